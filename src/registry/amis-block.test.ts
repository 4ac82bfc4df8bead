import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APPENDED_COMMENT, renderAmisBlock, writeAmisBlock } from './amis-block.js';

const COMMENTED = readFileSync(fileURLToPath(new URL('../../test/fixtures/registry/commented-template.yml', import.meta.url)), 'utf8');
const MAP = {
  'us-east-1': { arm64: 'ami-0ccccccccccccccc3', x86_64: 'ami-0ddddddddddddddd4' },
  'eu-west-1': { x86_64: 'ami-0eeeeeeeeeeeeeee5' },
};

/** Lines of `before` and `after` that differ, with the unchanged lines around them checked equal. */
function changedLines(before: string, after: string): { removed: string[]; added: string[]; prefix: number; suffix: number } {
  const a = before.split('\n');
  const b = after.split('\n');
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return { removed: a.slice(prefix, a.length - suffix), added: b.slice(prefix, b.length - suffix), prefix, suffix };
}

describe('writeAmisBlock', () => {
  it('replaces only the amis block of a template full of comments', () => {
    const after = writeAmisBlock(COMMENTED, MAP);
    const diff = changedLines(COMMENTED, after);
    // `amis:` itself is the same line before and after, so the diff starts below it.
    expect(diff.removed).toEqual([
      '  us-east-1:',
      '    x86_64: ami-0aaaaaaaaaaaaaaa1   # stale: replaced by the registry',
      '    # a comment inside the block goes with it',
      '  us-west-2: {arm64: ami-0bbbbbbbbbbbbbbb2}',
    ]);
    expect(diff.added).toEqual([
      '  eu-west-1:',
      '    x86_64: ami-0eeeeeeeeeeeeeee5',
      '  us-east-1:',
      '    x86_64: ami-0ddddddddddddddd4',
      '    arm64: ami-0ccccccccccccccc3',
    ]);
    expect(COMMENTED.split('\n').slice(diff.prefix - 2, diff.prefix)).toEqual([
      '# The images currently in use. update-templates rewrites only this block.',
      'amis:',
    ]);
    expect(COMMENTED.split('\n').at(-diff.suffix)).toBe('');
    expect(COMMENTED.split('\n').at(-diff.suffix + 1)).toBe('# This comment belongs to setup_script, which follows.');
    const { amis, ...rest } = parse(after) as Record<string, unknown>;
    const { amis: _old, ...restBefore } = parse(COMMENTED) as Record<string, unknown>;
    void _old;
    expect(amis).toEqual(MAP);
    expect(rest).toEqual(restBefore);
    // Writing the same map again changes nothing.
    expect(writeAmisBlock(after, MAP)).toBe(after);
  });

  it('appends a block at the end when the template has none', () => {
    const text = 'name: x\n# last comment\n';
    expect(writeAmisBlock(text, MAP)).toBe(`${text}${APPENDED_COMMENT}\n${renderAmisBlock(MAP)}`);
    expect(writeAmisBlock('name: x', { 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } })).toBe(
      `name: x\n${APPENDED_COMMENT}\namis:\n  us-east-1:\n    x86_64: ami-0123456789abcdef0\n`,
    );
    expect(writeAmisBlock(text, {})).toBe(text);
  });

  it('writes an empty block as amis: {} and keeps what follows', () => {
    expect(writeAmisBlock('name: x\namis:\n  us-east-1: {x86_64: ami-0123456789abcdef0}\n\ntags: {a: b}\n', {})).toBe(
      'name: x\namis: {}\n\ntags: {a: b}\n',
    );
    expect(writeAmisBlock('name: x\namis:\ntags: {}\n', MAP)).toContain('    arm64: ami-0ccccccccccccccc3\ntags: {}\n');
  });

  it("keeps CRLF line ends, a byte order mark and the file's indentation step", () => {
    const text = '\uFEFFname: x\r\nbuild:\r\n    volume_size_gb: 20\r\namis: {}\r\nports: [22]\r\n';
    expect(writeAmisBlock(text, { 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } })).toBe(
      '\uFEFFname: x\r\nbuild:\r\n    volume_size_gb: 20\r\namis:\r\n    us-east-1:\r\n        x86_64: ami-0123456789abcdef0\r\nports: [22]\r\n',
    );
  });

  it('refuses what it cannot rewrite safely', () => {
    expect(() => writeAmisBlock('{name: x, amis: {}}\n', MAP)).toThrow(/not a block-style key/);
    expect(() => writeAmisBlock('- a\n- b\n', MAP)).toThrow(/not a YAML mapping/);
  });
});
