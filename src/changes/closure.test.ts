import { describe, expect, it } from 'vitest';
import { withDescendants } from './closure.js';
import type { Reason, TemplateNode } from './model.js';

const nodes: TemplateNode[] = [
  { slug: 'z-root', architectures: ['x86_64'] },
  { slug: 'a-child', parent: 'z-root' },
  { slug: 'b-grandchild', parent: 'a-child', problem: 'does not parse' },
  { slug: 'c-other-child', parent: 'z-root' },
  { slug: 'orphan', parent: 'gone' },
  { slug: 'loop-1', parent: 'loop-2' },
  { slug: 'loop-2', parent: 'loop-1' },
];
const changed = (...slugs: string[]) => new Map<string, Reason[]>(slugs.map((s) => [s, [{ kind: 'changed', path: `templates/${s}.yml` }]]));

describe('withDescendants', () => {
  it('adds every descendant, parents first then by slug, each with its direct parent as the reason', () => {
    const result = withDescendants(changed('z-root'), nodes);
    expect(result.map((r) => [r.template, r.reasons.map((x) => (x.kind === 'extends' ? x.parent : x.kind))])).toEqual([
      ['z-root', ['changed']],
      ['a-child', ['z-root']],
      ['c-other-child', ['z-root']],
      ['b-grandchild', ['a-child']],
    ]);
    expect(result[3].problem).toBe('does not parse');
  });

  it('keeps both reasons when a changed template also extends a changed one', () => {
    expect(withDescendants(changed('z-root', 'a-child'), nodes).find((r) => r.template === 'a-child')!.reasons).toEqual([
      { kind: 'changed', path: 'templates/a-child.yml' },
      { kind: 'extends', parent: 'z-root' },
    ]);
  });

  it('marks the children of a removed parent, ends on an extends cycle, and skips slugs it does not know', () => {
    expect(withDescendants(new Map(), nodes, ['gone']).map((r) => r.template)).toEqual(['orphan']);
    expect(
      withDescendants(changed('loop-1'), nodes)
        .map((r) => r.template)
        .sort(),
    ).toEqual(['loop-1', 'loop-2']);
    expect(withDescendants(changed('nobody'), nodes)).toEqual([]);
  });
});
