import { describe, expect, it } from 'vitest';
import type { MatrixEntry } from './model.js';
import { splitStages } from './stages.js';

const parents: Record<string, string> = { child: 'base', grandchild: 'child', other: 'base' };
const parentOf = (slug: string) => parents[slug];
const e = (template: string, architecture: 'x86_64' | 'arm64' = 'x86_64'): MatrixEntry => ({ template, architecture });

describe('splitStages', () => {
  it('puts an image after its ancestors that are built in the same run for the same architecture', () => {
    const stages = splitStages(
      { include: [e('grandchild'), e('child'), e('base'), e('base', 'arm64'), e('child', 'arm64'), e('other')] },
      parentOf,
      3,
    );
    expect(stages).toEqual([
      { include: [e('base'), e('base', 'arm64')] },
      { include: [e('child'), e('child', 'arm64'), e('other')] },
      { include: [e('grandchild')] },
    ]);
  });

  it('a template whose ancestors are not built goes first; the other architecture does not wait', () => {
    expect(splitStages({ include: [e('grandchild'), e('base', 'arm64')] }, parentOf, 2)).toEqual([
      { include: [e('grandchild'), e('base', 'arm64')] },
      { include: [] },
    ]);
    expect(splitStages({ include: [e('grandchild'), e('base')] }, parentOf, 2)).toEqual([
      { include: [e('base')] },
      { include: [e('grandchild')] },
    ]);
  });

  it('always returns the number of stages asked for, keeps extra keys, and refuses a chain deeper than that', () => {
    expect(splitStages({ include: [] }, parentOf, 3)).toEqual([{ include: [] }, { include: [] }, { include: [] }]);
    const extra = { ...e('base'), note: 'kept' };
    expect(splitStages({ include: [extra] }, parentOf, 1)[0].include[0]).toBe(extra);
    expect(() => splitStages({ include: [e('grandchild'), e('child'), e('base')] }, parentOf, 2)).toThrow(/needs build stage 3.*2 stages/);
  });

  it('ends on an extends cycle', () => {
    const loop = (slug: string) => (slug === 'a' ? 'b' : 'a');
    // Both wait for the other once; the builds then report the cycle.
    expect(splitStages({ include: [e('a'), e('b')] }, loop, 2).map((s) => s.include.length)).toEqual([0, 2]);
  });
});
