import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../core/diagnostic.js';
import { parseTemplate } from './parse-template.js';
import { parseYamlSource, YAML_LIMITS } from './yaml-source.js';

const MiB = 1024 * 1024;
/** Hostile input must fail fast; generous enough for a slow CI machine, far below a hang. */
const QUICK_MS = 2000;

/** Parses hostile input, requiring a single located diagnostic with `rule`, quickly. */
function rejects(input: string | Uint8Array, rule: string): Diagnostic {
  const started = performance.now();
  const result = parseYamlSource(input, 'hostile.yml');
  const elapsed = performance.now() - started;
  expect(elapsed, 'parse time in ms').toBeLessThan(QUICK_MS);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.diagnostics.map((d) => d.rule)).toEqual([rule]);
  const [d] = result.diagnostics;
  expect(d.severity).toBe('error');
  expect(d.file).toBe('hostile.yml');
  expect(d.message.length).toBeGreaterThan(0);
  return d;
}

function accepts(input: string | Uint8Array): unknown {
  const result = parseYamlSource(input, 'fine.yml');
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} [${d.rule}] ${d.message}`).join('\n'));
  return result.source.data;
}

const at = (d: Diagnostic) => `${d.line}:${d.column}`;

describe('parseYamlSource: hostile input ends in a clear diagnostic, never a throw or a hang', () => {
  it('refuses more than 1 MiB, as text or bytes, and accepts exactly 1 MiB', () => {
    const tooBig = `a: ${'x'.repeat(MiB)}\n`;
    const d = rejects(tooBig, 'input/too-large');
    expect(at(d)).toBe('1:1');
    expect(d.message).toContain(`${Buffer.byteLength(tooBig)} bytes`);
    expect(d.fix).toBeDefined();
    rejects(Buffer.from(tooBig), 'input/too-large');
    // Multi-byte characters count as bytes, not characters.
    rejects(`a: ${'é'.repeat(MiB / 2 + 1)}\n`, 'input/too-large');

    const exactly = `a: ${'x'.repeat(MiB - 4)}\n`;
    expect(Buffer.byteLength(exactly)).toBe(YAML_LIMITS.maxBytes);
    expect(accepts(exactly)).toEqual({ a: 'x'.repeat(MiB - 4) });
  });

  it('refuses bytes that are not UTF-8, naming the line', () => {
    const latin1 = Buffer.concat([Buffer.from('name: x\n\ndescription: caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const d = rejects(latin1, 'input/encoding');
    expect(at(d)).toBe('3:1');
    expect(d.message).toContain('0xe9');
    expect(d.message).toContain('offset 25');

    rejects(Buffer.from([0xff, 0xfe, 0x61, 0x00]), 'input/encoding'); // UTF-16 with a byte-order mark
    rejects(Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0xaf]), 'input/encoding'); // overlong "/"
    rejects(Buffer.from([0x61, 0x3a, 0x20, 0xed, 0xa0, 0x80]), 'input/encoding'); // a UTF-16 surrogate
    expect(at(rejects(Buffer.from('a: 1\nb: \xe2\x82', 'latin1'), 'input/encoding'))).toBe('2:1'); // cut short at the end

    expect(accepts(Buffer.from('name: "ℹ café 🚀"\n'))).toEqual({ name: 'ℹ café 🚀' });
    expect(accepts(Buffer.from('\ufeffname: bom\n'))).toEqual({ name: 'bom' });
  });

  it('refuses a YAML alias bomb ("billion laughs") quickly', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const prev = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const d = rejects(`${levels.join('\n')}\n`, 'input/alias-bomb');
    expect(d.message).toContain('billion laughs');
    // Ordinary anchors and aliases are fine.
    expect(accepts('common: &c {a: 1}\nuse: *c\n')).toEqual({ common: { a: 1 }, use: { a: 1 } });
  });

  it('refuses a file of several YAML documents at the second one', () => {
    const d = rejects('name: one\n---\nname: two\n', 'input/multi-document');
    expect(at(d)).toBe('2:1');
    expect(d.message).toContain('holds 2 YAML documents');
    expect(accepts('---\nname: one\n...\n')).toEqual({ name: 'one' });
  });

  it('refuses flow nesting 10,000 deep where the limit is crossed', () => {
    expect(at(rejects('['.repeat(10_000), 'input/too-deep'))).toBe('1:65');
    expect(at(rejects(`a: ${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'input/too-deep'))).toBe('1:68');
    expect(at(rejects('{a: '.repeat(10_000), 'input/too-deep'))).toBe('1:257');
    expect(at(rejects('[{'.repeat(MiB / 4), 'input/too-deep'))).toBe('1:65');
    // 64 levels is the limit, not over it.
    expect(accepts(`a: ${'['.repeat(63)}${']'.repeat(63)}`)).toBeDefined();
  });

  it('refuses block nesting deeper than 64 levels at the first node too deep', () => {
    const nested = (levels: number) =>
      Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + `\n${' '.repeat(levels)}leaf\n`;
    expect(at(rejects(nested(70), 'input/too-deep'))).toBe('65:65');
    expect(accepts(nested(63))).toBeDefined();

    // Compact sequences nest two bytes a level: a megabyte of them is 500,000 levels.
    expect(at(rejects(`${'- '.repeat(65)}x\n`, 'input/too-deep'))).toBe('1:129');
    expect(at(rejects(`${'- '.repeat(MiB / 2 - 1)}x`, 'input/too-deep'))).toBe('1:129');
    expect(at(rejects('? '.repeat(MiB / 2), 'input/too-deep'))).toBe('1:129');
    expect(at(rejects(`a:\n${'- '.repeat(5000)}x\n`, 'input/too-deep'))).toBe('2:127');
    expect(accepts(`${'- '.repeat(63)}x\n`)).toBeDefined();
  });

  it('refuses an empty file: nothing, blank lines, only comments, a null document', () => {
    for (const empty of ['', '   \n\n', '# just a comment\n', '~\n', new Uint8Array()]) {
      expect(at(rejects(empty, 'input/empty'))).toBe('1:1');
    }
  });

  it('reports syntax errors at their line instead of throwing', () => {
    const result = parseYamlSource('name: "unterminated\nother: 1\n', 'bad.yml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) {
      expect(d.rule).toBe('yaml/syntax');
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('turns a top-level list or scalar into a schema/type error, not a crash', () => {
    for (const text of ['- a\n- b\n', 'hello\n', '42\n', 'true\n']) {
      const result = parseTemplate(text, 'top.yml', 'top');
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.diagnostics.map((d) => `${d.rule}@${d.line}:${d.column}`)).toEqual(['schema/type@1:1']);
      expect(result.diagnostics[0].message).toContain('a template is a mapping of keys');
    }
  });
});
