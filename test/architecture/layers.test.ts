import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, top first (README.md, "Development"). A module may import its own layer
 * and the layers below it, never one above: the test reads every import (static, type-only and
 * dynamic) of every source file. src/index.ts, the library's entry point, may import anything.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['render'],
  ['actions'],
  ['plan'],
  ['changes', 'ci'],
  ['engine'],
  ['registry'],
  ['providers'],
  ['config'],
  ['template'],
  ['git'],
  ['core'],
];

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function rank(file: string): number | undefined {
  const top = relative(SRC, file).split('/')[0];
  const index = LAYERS.findIndex((layer) => layer.includes(top));
  return index === -1 ? undefined : index;
}

/** Every relative module a file imports, resolved to a path under src/. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
  return specs.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

export function upwardImports(files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (relative(SRC, file) === 'index.ts') continue;
    const from = rank(file);
    for (const target of importsOf(file)) {
      const to = rank(target);
      if (from === undefined || to === undefined) continue;
      if (to < from)
        problems.push(
          `${relative(SRC, file)} imports ${relative(SRC, target)} (${LAYERS[to].join('/')} is above ${LAYERS[from].join('/')})`,
        );
    }
  }
  return problems;
}

describe('the layers of src/', () => {
  const files = sourceFiles(SRC);

  it('every top-level folder of src/ is a known layer', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(folders.filter((f) => !LAYERS.flat().includes(f))).toEqual([]);
  });

  it('no module imports a layer above its own', () => {
    expect(upwardImports(files)).toEqual([]);
  });

  it('the check sees an upward import when there is one (so a clean result means something)', () => {
    const fake = join(SRC, 'core', 'fake.ts');
    const text = "import type { Provider } from '../providers/provider.js';\nconst x = await import('../engine/pipeline.js');\n";
    expect(importsOf(fake, text)).toEqual([join(SRC, 'providers/provider.ts'), join(SRC, 'engine/pipeline.ts')]);
  });

  it('the README lists the layers in this order', () => {
    const readme = readFileSync(resolve(SRC, '../README.md'), 'utf8');
    const section = /^- Layers[\s\S]*?(?=^- |^#)/m.exec(readme)?.[0] ?? '';
    const listed = [...section.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]).filter((name) => LAYERS.flat().includes(name));
    const order = [...new Set(listed)];
    expect(order).toEqual(LAYERS.flat());
  });
});
