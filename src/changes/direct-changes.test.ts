import { describe, expect, it } from 'vitest';
import type { DiffEntry } from '../git/name-status.js';
import { directChanges } from './direct-changes.js';
import type { RepoLayout } from './layout.js';

const layout: RepoLayout = { templatesPath: 'templates', sharedPaths: ['scripts', 'files/motd'] };

function run(entries: DiffEntry[], slugs: string[], options: { layout?: RepoLayout; amisOnly?: string[] } = {}) {
  const result = directChanges({ entries, layout: options.layout ?? layout, slugs, amisOnly: new Set(options.amisOnly ?? []) });
  return { changed: Object.fromEntries(result.changed), removed: result.removed, ignored: result.ignored };
}

describe('directChanges', () => {
  it('marks added and modified templates, subfolders included; ignores other folders, other extensions and dot files', () => {
    const r = run(
      [
        { status: 'added', path: 'templates/a.yml' },
        { status: 'modified', path: 'templates/b.yaml' },
        { status: 'modified', path: 'templates/sub/c.yml' },
        { status: 'modified', path: 'templates/README.md' },
        { status: 'modified', path: 'templates/.d.yml' },
        { status: 'modified', path: 'templates/.hidden/f.yml' },
        { status: 'modified', path: 'other/e.yml' },
        { status: 'modified', path: 'scriptsfoo/x.sh' },
      ],
      ['a', 'b', 'c', 'e'],
    );
    expect(r).toEqual({
      changed: {
        a: [{ kind: 'changed', path: 'templates/a.yml' }],
        b: [{ kind: 'changed', path: 'templates/b.yaml' }],
        c: [{ kind: 'changed', path: 'templates/sub/c.yml' }],
      },
      removed: [],
      ignored: [],
    });
  });

  it("names a file by the slug: it declares (Prism's format) where the layout knows it", () => {
    const layout = {
      templatesPath: 'templates',
      sharedPaths: [],
      slugs: new Map([['templates/testing/test-web-streamlit.yml', 'test-web']]),
    };
    const r = run([{ status: 'modified', path: 'templates/testing/test-web-streamlit.yml' }], ['test-web'], { layout });
    expect(r.changed).toEqual({ 'test-web': [{ kind: 'changed', path: 'templates/testing/test-web-streamlit.yml' }] });
  });

  it('a rename removes the old slug and changes the new; a rename out of the folder only removes', () => {
    const r = run(
      [
        { status: 'renamed', from: 'templates/old.yml', path: 'templates/new.yml' },
        { status: 'renamed', from: 'templates/moved.yml', path: 'attic/moved.yml' },
      ],
      ['new'],
    );
    expect(r.changed).toEqual({ new: [{ kind: 'changed', path: 'templates/new.yml' }] });
    expect(r.removed).toEqual(['moved', 'old']);
  });

  it('a slug that still exists under another file changed rather than went away', () => {
    expect(run([{ status: 'renamed', from: 'templates/a.yml', path: 'templates/a.yaml' }], ['a'])).toMatchObject({
      changed: { a: [{ kind: 'changed' }] },
      removed: [],
    });
    // x.yml and x.yaml both existed; deleting one makes the slug resolvable again.
    expect(run([{ status: 'deleted', path: 'templates/x.yml' }], ['x'])).toMatchObject({
      changed: { x: [{ kind: 'changed', path: 'templates/x.yml' }] },
      removed: [],
    });
  });

  it('a change under a shared folder or to a shared file marks every template, a deletion there too', () => {
    for (const entry of [
      { status: 'modified', path: 'scripts/a/b.sh' },
      { status: 'deleted', path: 'files/motd' },
      { status: 'renamed', from: 'scripts/x.sh', path: 'elsewhere/x.sh' },
    ] as DiffEntry[]) {
      expect(run([entry], ['a', 'b']).changed).toEqual({
        a: [{ kind: 'shared', path: expect.any(String) }],
        b: [{ kind: 'shared', path: expect.any(String) }],
      });
    }
  });

  it('templates at the repository root', () => {
    const root = { templatesPath: '', sharedPaths: [] };
    expect(
      Object.keys(
        run(
          [
            { status: 'modified', path: 'a.yml' },
            { status: 'modified', path: 'sub/b.yml' },
          ],
          ['a', 'b'],
          { layout: root },
        ).changed,
      ),
    ).toEqual(['a', 'b']);
  });

  it('leaves out a modification the caller found to be only in the amis: block', () => {
    const r = run([{ status: 'modified', path: 'templates/a.yml' }], ['a'], { amisOnly: ['templates/a.yml'] });
    expect(r.changed).toEqual({});
    expect(r.ignored).toEqual([
      { template: 'a', path: 'templates/a.yml', why: 'only its amis: block changed (written by update-templates)' },
    ]);
  });
});
