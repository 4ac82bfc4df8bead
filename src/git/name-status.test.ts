import { describe, expect, it } from 'vitest';
import { parseNameStatus } from './name-status.js';

describe('parseNameStatus', () => {
  it('reads adds, changes, deletions, type changes, renames and copies from -z output', () => {
    const out = [
      'A',
      'templates/new.yml',
      'M',
      'templates/a b.yml',
      'D',
      'gone.yml',
      'T',
      'link',
      'R087',
      'old.yml',
      'new\nline.yml',
      'C100',
      'x.yml',
      'y.yml',
      '',
    ].join('\0');
    expect(parseNameStatus(out)).toEqual([
      { status: 'added', path: 'templates/new.yml' },
      { status: 'modified', path: 'templates/a b.yml' },
      { status: 'deleted', path: 'gone.yml' },
      { status: 'type-changed', path: 'link' },
      { status: 'renamed', from: 'old.yml', path: 'new\nline.yml' },
      { status: 'copied', from: 'x.yml', path: 'y.yml' },
    ]);
  });

  it('is empty for no output and refuses a truncated record', () => {
    expect(parseNameStatus('')).toEqual([]);
    expect(() => parseNameStatus('R100\0only-one\0')).toThrow(/truncated/);
    expect(() => parseNameStatus('M')).toThrow(/truncated/);
  });
});
