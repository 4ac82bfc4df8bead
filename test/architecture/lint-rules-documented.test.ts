import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/templates.md promises a table row for every lint rule a template can get. This reads every
 * rule id written in src/ and every id the tables name, and fails when one side has an id the other
 * does not (a rule renamed in the code, or documented under a spelling the tool never prints).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const PREFIXES = ['schema', 'script', 'prism', 'template', 'validation', 'yaml', 'input', 'extends', 'inherits', 'legacy', 'shellcheck'];
const RULE = new RegExp(`['"\`]((?:${PREFIXES.join('|')})/[a-z0-9-]+)['"\`]`, 'g');
/** Strings with a rule's shape that are not rules. */
const NOT_RULES = new Set(['prism/ami', 'template/architecture']);
/** Rules made from an error code at run time (`template/${code}` in lint-templates.ts). */
const FROM_ERROR_CODES = ['template/template-invalid', 'template/template-not-found'];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function rulesInCode(): Set<string> {
  const found = new Set<string>(FROM_ERROR_CODES);
  for (const file of sources(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(RULE)) if (!NOT_RULES.has(m[1])) found.add(m[1]);
  }
  return found;
}

function rulesInDocs(): Set<string> {
  const found = new Set<string>();
  for (const line of readFileSync(join(ROOT, 'docs/templates.md'), 'utf8').split('\n')) {
    const first = /^\|([^|]+)\|/.exec(line)?.[1];
    for (const m of first?.matchAll(/`([a-z]+\/[a-z0-9-]+)`/g) ?? []) found.add(m[1]);
  }
  return found;
}

describe('lint rules in docs/templates.md', () => {
  it('documents every rule the code can report, under the id the tool prints', () => {
    const docs = rulesInDocs();
    expect([...rulesInCode()].filter((r) => !docs.has(r)).sort()).toEqual([]);
  });

  it('documents no rule the code cannot report', () => {
    const code = rulesInCode();
    expect([...rulesInDocs()].filter((r) => !code.has(r)).sort()).toEqual([]);
  });

  it('the rules made from error codes are the ones lint-templates.ts makes', () => {
    const made = readFileSync(join(ROOT, 'src/template/lint/lint-templates.ts'), 'utf8');
    expect(made).toContain("rule: `template/${error.code.toLowerCase().replace(/_/g, '-')}`");
  });
});
