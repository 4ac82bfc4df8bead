import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFiles, yamlLines } from '../../test/support/files.js';
import { tempDir } from '../../test/support/temp.js';
import { isPrismError, type PrismError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { loadTemplate, TemplateLibrary } from './library.js';
import { templateChain } from './model.js';

const ROOT = yamlLines(
  'name: Root',
  'base_ami:',
  '  source: ubuntu-22.04-lts',
  '  architecture: [x86_64, arm64]',
  'regions: [us-east-1, us-west-2]',
  'setup_script: |',
  '  set -euo pipefail',
  '  echo root',
  'validation_tests:',
  '  - name: os',
  '    command: cat /etc/os-release',
  '    expected_contains: Ubuntu',
  '  - name: tool',
  '    command: tool --version',
  '    expected: "1"',
  'ports: [22]',
  'estimated_cost_per_hour: {x86_64: 0.1, arm64: 0.08}',
  'build: {volume_size_gb: 20, instance_type: {x86_64: t3.small}}',
  'tags: {team: base, tier: "1"}',
);

const MID = yamlLines(
  'name: Mid',
  'extends: root',
  'setup_script: echo mid',
  'validation_tests:',
  '  - name: tool',
  '    command: tool --version',
  '    expected: "2"',
  '  - name: mid-check',
  '    command: mid --check',
  '    expected_exit_code: 0',
  'ports: [8080, 22]',
  'tags: {tier: "2", owner: mid}',
);

const LEAF = yamlLines(
  'name: Leaf',
  'extends: mid',
  'base_ami:',
  '  architecture: [arm64]',
  'regions: [eu-west-1]',
  'setup_steps:',
  '  - name: leaf',
  '    script: echo leaf',
  'validation_tests:',
  '  - name: leaf-check',
  '    command: leaf',
  '    expected: ok',
  'estimated_cost_per_hour: {arm64: 0.05}',
);

async function library(files: Record<string, string | Uint8Array>): Promise<{ dir: string; lib: TemplateLibrary }> {
  const dir = await tempDir();
  await writeFiles(dir, files);
  return { dir, lib: new TemplateLibrary(dir) };
}

async function prismError(promise: Promise<unknown>): Promise<PrismError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPrismError(error)) throw new Error(`expected a PrismError, got ${String(error)}`);
  return error;
}

describe('TemplateLibrary: extends', () => {
  it('resolves a three-level chain parent-first and applies the merge rules', async () => {
    const { lib, dir } = await library({ 'root.yml': ROOT, 'mid.yml': MID, 'leaf.yml': LEAF });
    const leaf = await lib.resolve('leaf');

    expect(templateChain(leaf)).toEqual(['root', 'mid', 'leaf']);
    expect(leaf.parent?.slug).toBe('mid');
    expect(leaf.parent?.parent?.slug).toBe('root');
    expect(leaf.file).toBe(join(dir, 'leaf.yml'));
    // Built on the parent's image: the root's base, and only the leaf's own setup.
    expect(leaf.base).toEqual({ kind: 'alias', alias: 'ubuntu-22.04-lts' });
    expect(leaf.setup.map((s) => s.script)).toEqual(['echo leaf']);
    expect(leaf.parent!.setup.map((s) => s.script)).toEqual(['echo mid']);
    // Parent's tests first; mid's "tool" replaces root's in place; then each child's new tests.
    expect(leaf.tests.map((t) => [t.name, t.origin])).toEqual([
      ['os', 'root'],
      ['tool', 'mid'],
      ['mid-check', 'mid'],
      ['leaf-check', 'leaf'],
    ]);
    expect(leaf.tests[1].output).toEqual({ kind: 'equals', value: '2' });
    expect(leaf.ports).toEqual([22, 8080]);
    expect(leaf.tags).toEqual({ team: 'base', tier: '2', owner: 'mid' });
    // Set by the leaf: its own; not set: inherited.
    expect(leaf.regions).toEqual(['eu-west-1']);
    expect(leaf.architectures).toEqual(['arm64']);
    expect(leaf.costs).toEqual({ x86_64: 0.1, arm64: 0.05 });
    expect(leaf.build).toEqual({ instanceType: { x86_64: 't3.small' }, volumeSizeGb: 20 });

    const mid = leaf.parent!;
    expect(mid.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(mid.architectures).toEqual(['x86_64', 'arm64']);
    expect(mid.costs).toEqual({ x86_64: 0.1, arm64: 0.08 });
    expect(mid.ports).toEqual([22, 8080]);
  });

  it('rejects a child that sets base_ami.source, at that key', async () => {
    const child = yamlLines('name: Child', 'extends: root', 'base_ami:', '  source: debian-12', 'setup_script: echo child');
    const { lib } = await library({ 'root.yml': ROOT, 'child.yml': child });
    const error = await prismError(lib.resolve('child'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.diagnostics.map((d) => `${d.rule}@${d.line}:${d.column} ${d.path}`)).toEqual(['schema/extends-base@4:3 base_ami.source']);
  });

  it('rejects a child that names an architecture its parent does not build', async () => {
    const child = yamlLines('name: Child', 'extends: leaf', 'base_ami:', '  architecture: [x86_64, arm64]', 'setup_script: echo child');
    const { lib } = await library({ 'root.yml': ROOT, 'mid.yml': MID, 'leaf.yml': LEAF, 'child.yml': child });
    const error = await prismError(lib.resolve('child'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.diagnostics).toHaveLength(1);
    const [d] = error.diagnostics;
    expect([d.rule, d.line, d.column, d.path]).toEqual(['extends/architecture', 4, 17, 'base_ami.architecture']);
    expect(d.message).toBe('x86_64 is not built by the parent "leaf" (it builds arm64)');
    expect(d.file).toBe(lib.display(join(lib.dir, 'child.yml')));
  });

  it("rejects a child whose disk is smaller than its parent's", async () => {
    const child = yamlLines('name: Child', 'extends: root', 'setup_script: echo child', 'build:', '  volume_size_gb: 10');
    const { lib } = await library({ 'root.yml': ROOT, 'child.yml': child });
    const error = await prismError(lib.resolve('child'));
    expect(error.diagnostics.map((d) => `${d.rule}@${d.line}:${d.column}`)).toEqual(['extends/volume-size@5:19']);
  });

  it('reports a cycle a → b → a as EXTENDS_CYCLE (exit 2), from either end', async () => {
    const files = {
      'a.yml': yamlLines('name: A', 'extends: b', 'setup_script: echo a'),
      'b.yml': yamlLines('name: B', 'extends: a', 'setup_script: echo b'),
    };
    const { lib } = await library(files);
    const error = await prismError(lib.resolve('a'));
    expect(error.code).toBe('EXTENDS_CYCLE');
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.message).toContain('a → b → a');
    expect(error.diagnostics.map((d) => [d.rule, d.line, d.column])).toEqual([['extends/cycle', 2, 10]]);

    const fresh = new TemplateLibrary(lib.dir);
    expect((await prismError(fresh.resolve('b'))).message).toContain('b → a → b');
  });

  it('reports a template that extends itself, and a cycle entered from outside it', async () => {
    const { lib } = await library({
      'self.yml': yamlLines('name: Self', 'extends: self', 'setup_script: echo self'),
      'c.yml': yamlLines('name: C', 'extends: a', 'setup_script: echo c'),
      'a.yml': yamlLines('name: A', 'extends: b', 'setup_script: echo a'),
      'b.yml': yamlLines('name: B', 'extends: a', 'setup_script: echo b'),
    });
    expect((await prismError(lib.resolve('self'))).message).toContain('self → self');
    const entered = await prismError(lib.resolve('c'));
    expect(entered.code).toBe('EXTENDS_CYCLE');
    expect(entered.message).toContain('a → b → a');
    expect(entered.message).not.toContain('c →');
  });

  it('reports a missing parent as EXTENDS_MISSING naming the file that refers to it', async () => {
    const orphan = yamlLines('name: Orphan', 'extends: rot', 'setup_script: echo orphan');
    const { lib, dir } = await library({ 'root.yml': ROOT, 'orphan.yml': orphan });
    const error = await prismError(lib.resolve('orphan'));
    expect(error.code).toBe('EXTENDS_MISSING');
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.message).toContain(lib.display(join(dir, 'orphan.yml')));
    expect(error.message).toContain('extends "rot"');
    expect(error.message).toContain('Did you mean "root"?');
    expect(error.diagnostics.map((d) => [d.rule, d.line, d.column, d.path])).toEqual([['extends/missing', 2, 10, 'extends']]);
  });

  it('reports an unknown slug as TEMPLATE_NOT_FOUND with the closest slug', async () => {
    const { lib } = await library({ 'root.yml': ROOT, 'mid.yml': MID, 'leaf.yml': LEAF });
    const error = await prismError(lib.resolve('lef'));
    expect(error.code).toBe('TEMPLATE_NOT_FOUND');
    expect(error.message).toContain('no template "lef"');
    expect(error.message).toContain('Did you mean "leaf"?');
    expect(error.hint).toContain('leaf, mid, root');

    const far = await prismError(lib.resolve('something-else'));
    expect(far.message).not.toContain('Did you mean');
  });

  it("resolves the parents of a template named by path in the path's own folder", async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      // The configured folder has a different "root"; a path reference must not use it.
      'templates/root.yml': ROOT.replace('ubuntu-22.04-lts', 'debian-12'),
      'elsewhere/root.yaml': ROOT,
      'elsewhere/child.yml': yamlLines('name: Child', 'extends: root', 'setup_script: echo child'),
    });
    const child = await loadTemplate(join(dir, 'elsewhere', 'child.yml'), { templatesDir: join(dir, 'templates') });
    expect(child.slug).toBe('child');
    expect(child.parent?.file).toBe(join(dir, 'elsewhere', 'root.yaml'));
    expect(child.base).toEqual({ kind: 'alias', alias: 'ubuntu-22.04-lts' });

    const bySlug = await loadTemplate('root', { templatesDir: join(dir, 'templates') });
    expect(bySlug.base).toEqual({ kind: 'alias', alias: 'debian-12' });
  });

  it('lists .yml and .yaml files by slug and refuses a slug that exists twice', async () => {
    const { lib } = await library({
      'b.yaml': ROOT,
      'a.yml': ROOT,
      'notes.txt': 'x',
      '.hidden.yml': ROOT,
      'dup.yml': ROOT,
      'dup.yaml': ROOT,
    });
    expect((await lib.list()).map((t) => t.slug)).toEqual(['a', 'b', 'dup', 'dup']);
    const error = await prismError(lib.resolve('dup'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.message).toContain('exists twice');
  });

  it('reports a templates folder that does not exist', async () => {
    const dir = await tempDir();
    const error = await prismError(new TemplateLibrary(join(dir, 'missing')).list());
    expect(error.code).toBe('TEMPLATE_NOT_FOUND');
    expect(error.message).toContain('does not exist');
  });
});

describe('TemplateLibrary: hostile files on disk', () => {
  it('refuses a file over 1 MiB with input/too-large', async () => {
    const big = `name: big\ndescription: "${'x'.repeat(1024 * 1024)}"\n`;
    const { lib } = await library({ 'big.yml': big });
    const error = await prismError(lib.resolve('big'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.diagnostics.map((d) => [d.rule, d.line, d.column])).toEqual([['input/too-large', 1, 1]]);
    expect(error.diagnostics[0].message).toContain(`${Buffer.byteLength(big)} bytes`);
  });

  it('refuses a directory named x.yml as not a regular file', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'x.yml'));
    const lib = new TemplateLibrary(dir);
    expect((await lib.list()).map((t) => t.slug)).toEqual(['x']);
    const error = await prismError(lib.resolve('x'));
    expect(error.code).toBe('TEMPLATE_NOT_FOUND');
    expect(error.message).toContain('is not a regular file');
  });

  it('refuses a file that is not UTF-8, naming its line', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'latin.yml'),
      Buffer.concat([Buffer.from('name: x\ndescription: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    );
    const error = await prismError(new TemplateLibrary(dir).resolve('latin'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.diagnostics.map((d) => [d.rule, d.line])).toEqual([['input/encoding', 2]]);
  });

  it('turns every problem of a bad file into one TEMPLATE_INVALID error with all diagnostics', async () => {
    const bad = yamlLines('name: Bad', 'base_ami: {source: debian-12, architecture: [amd64]}', 'setup_script: ""', 'ports: [0]');
    const { lib, dir } = await library({ 'bad.yml': bad });
    const error = await prismError(lib.resolve('bad'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.message).toBe(`${lib.display(join(dir, 'bad.yml'))} has 3 problems`);
    expect(error.diagnostics.map((d) => d.rule).sort()).toEqual(['schema/architecture', 'schema/empty-setup', 'schema/port']);
  });
});
