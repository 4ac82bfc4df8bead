import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { isArchitecture, isRegionName } from '../core/types.js';
import type { TemplateDefinition } from './model.js';
import { parseTemplate } from './parse-template.js';

/**
 * Random mutations of the bundled templates must give either a well-formed definition or a
 * typed, located template error: never an exception.
 */

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
const BUNDLED = readdirSync(TEMPLATES_DIR)
  .filter((name) => name.endsWith('.yml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(`${TEMPLATES_DIR}${name}`, 'utf8') }));

type Path = (string | number)[];

/** Every path in a JSON-like tree, the root included. */
function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...paths(item, [...prefix, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]));
  }
  return out;
}

function parentOf(root: unknown, path: Path): { parent: Record<string | number, unknown> | unknown[]; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node = root as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  return { parent: node, key: path[path.length - 1] };
}

type Mutation =
  | { kind: 'delete'; pick: number }
  | { kind: 'replace'; pick: number; value: unknown }
  | { kind: 'insert'; pick: number; key: string; value: unknown }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'append-bytes'; bytes: Uint8Array }
  | { kind: 'truncate'; fraction: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    pick: fc.nat(),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('name', 'base', 'extends', 'validation', 'setup_script', 'expected', 'build_steps', 'architecture'),
    ),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('append-bytes' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

/** Applies mutations in order: data edits re-serialise the YAML, byte edits work on the text. */
function mutate(text: string, mutations: Mutation[]): string | Uint8Array {
  let current: string | Uint8Array = text;
  for (const m of mutations) {
    if (m.kind === 'append-bytes') {
      const bytes: Uint8Array = typeof current === 'string' ? Buffer.from(current) : current;
      current = Buffer.concat([bytes, m.bytes]);
      continue;
    }
    if (m.kind === 'truncate') {
      const bytes: Uint8Array = typeof current === 'string' ? Buffer.from(current) : current;
      current = bytes.subarray(0, Math.floor(bytes.length * m.fraction));
      continue;
    }
    // Structural edits need the data; when earlier edits broke the YAML, they do nothing.
    let data: unknown;
    try {
      data = parseYaml(typeof current === 'string' ? current : Buffer.from(current).toString('utf8'));
    } catch {
      continue;
    }
    const all = paths(data);
    const path = all[m.pick % all.length];
    const target = parentOf(data, path);
    switch (m.kind) {
      case 'delete':
        if (!target) data = null;
        else if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 1);
        else delete target.parent[target.key];
        break;
      case 'replace':
        if (!target) data = m.value;
        else (target.parent as Record<string | number, unknown>)[target.key] = m.value;
        break;
      case 'insert': {
        const containers = all
          .map((p) => ({ p, node: p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], data) }))
          .filter(({ node }) => node !== null && typeof node === 'object');
        if (containers.length === 0) break;
        const { node } = containers[m.pick % containers.length];
        if (Array.isArray(node)) node.push(m.value);
        else (node as Record<string, unknown>)[m.key] = m.value;
        break;
      }
      case 'duplicate': {
        const lists = all
          .map((p) => p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], data))
          .filter((node): node is unknown[] => Array.isArray(node) && node.length > 0);
        if (lists.length === 0) break;
        const list = lists[m.pick % lists.length];
        list.push(structuredClone(list[m.pick % list.length]));
        break;
      }
    }
    current = stringify(data);
  }
  return current;
}

/** A definition that went through the checks must hold what the checks promise. */
function expectWellFormed(d: TemplateDefinition, slug: string): void {
  expect(d.slug).toBe(slug);
  expect(['prism-ami', 'legacy']).toContain(d.format);
  expect(typeof d.name).toBe('string');
  expect(d.name.length).toBeGreaterThan(0);
  expect(typeof d.description).toBe('string');
  // A root names its base; a child builds on its parent's image.
  expect(d.base === undefined).toBe(d.extends !== undefined);
  expect(d.setup.length).toBeGreaterThan(0);
  for (const step of d.setup) {
    expect(step.script.trim().length).toBeGreaterThan(0);
    expect(Number.isInteger(step.timeoutSeconds) && step.timeoutSeconds >= 1).toBe(true);
  }
  expect(new Set(d.tests.map((t) => t.name)).size).toBe(d.tests.length);
  for (const test of d.tests) {
    expect(test.command.length).toBeGreaterThan(0);
    expect(Number.isInteger(test.exitCode) && test.exitCode >= 0 && test.exitCode <= 255).toBe(true);
    if (test.output) expect(['equals', 'contains', 'regex']).toContain(test.output.kind);
    if (test.output?.kind === 'regex') expect(() => new RegExp(test.output!.value)).not.toThrow();
  }
  if (d.architectures) {
    expect(d.architectures.length).toBeGreaterThan(0);
    expect(d.architectures.every(isArchitecture)).toBe(true);
  }
  for (const region of d.regions ?? []) expect(isRegionName(region)).toBe(true);
  for (const port of d.ports ?? []) expect(Number.isInteger(port) && port >= 1 && port <= 65535).toBe(true);
  for (const cost of Object.values(d.costs ?? {})) expect(Number.isFinite(cost) && cost >= 0).toBe(true);
  for (const value of Object.values(d.tags)) expect(typeof value).toBe('string');
}

describe('parseTemplate under random mutation (fast-check)', () => {
  it('the bundled templates are the valid starting points', () => {
    expect(BUNDLED.length).toBeGreaterThanOrEqual(5);
    for (const { name, text } of BUNDLED) expect(parseTemplate(text, name, 'seed').ok, name).toBe(true);
  });

  it('gives a well-formed definition or located diagnostics, never an exception', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(fc.constantFrom(...BUNDLED), fc.array(mutation, { minLength: 1, maxLength: 3 }), (template, mutations) => {
        const input = mutate(template.text, mutations);
        const result = parseTemplate(input, 'mutant.yml', 'mutant');
        if (result.ok) {
          valid++;
          expectWellFormed(result.parsed.definition, 'mutant');
          return;
        }
        invalid++;
        expect(result.diagnostics.length).toBeGreaterThan(0);
        const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
        const lineCount = text.split('\n').length;
        for (const d of result.diagnostics) {
          expect(d.severity).toBe('error');
          expect(d.file).toBe('mutant.yml');
          expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount).toBe(true);
          expect(Number.isInteger(d.column) && d.column >= 1).toBe(true);
          expect(d.rule).toMatch(/^[a-z]+\/[a-z0-9-]+$/);
          expect(d.message.trim().length).toBeGreaterThan(0);
          expect(typeof d.path).toBe('string');
        }
      }),
      { seed: 20_240_617, numRuns: 300 },
    );
    // The mutations exercise both outcomes, so neither branch above is dead.
    expect(valid).toBeGreaterThan(10);
    expect(invalid).toBeGreaterThan(10);
  });
});
