import type { DiffEntry } from '../git/name-status.js';
import { isSharedPath, templateSlugAt, type RepoLayout } from './layout.js';
import type { IgnoredChange, Reason } from './model.js';

export interface DirectChanges {
  /** Templates whose own file changed (or, for `shared`, every template), with why. */
  changed: Map<string, Reason[]>;
  /** Templates whose file is gone at HEAD (deleted, or renamed away). */
  removed: string[];
  ignored: IgnoredChange[];
}

export interface DirectChangesInput {
  entries: readonly DiffEntry[];
  layout: RepoLayout;
  /** The slugs of the working tree's templates. */
  slugs: readonly string[];
  /** Paths whose change the caller found to be only in the `amis:` block (update-templates). */
  amisOnly?: ReadonlySet<string>;
}

/**
 * The templates a diff touches directly. Pure. A rename removes the old slug and changes the new
 * one; files outside the templates folder (or in its subfolders, or not .yml/.yaml) are ignored
 * unless they are under a shared path, which marks every template.
 */
export function directChanges(input: DirectChangesInput): DirectChanges {
  const { layout } = input;
  const existing = new Set(input.slugs);
  const changed = new Map<string, Reason[]>();
  const gone = new Map<string, string>();
  const ignored: IgnoredChange[] = [];
  let shared: string | undefined;

  const mark = (slug: string, reason: Reason) => {
    const reasons = changed.get(slug) ?? [];
    if (!reasons.some((r) => r.kind === reason.kind)) reasons.push(reason);
    changed.set(slug, reasons);
  };

  for (const entry of input.entries) {
    const before = entry.status === 'renamed' ? entry.from : entry.status === 'deleted' ? entry.path : undefined;
    const after = entry.status === 'deleted' ? undefined : entry.path;
    if (before !== undefined) {
      const slug = templateSlugAt(before, layout);
      if (slug !== undefined) gone.set(slug, before);
    }
    if (after !== undefined) {
      const slug = templateSlugAt(after, layout);
      if (slug !== undefined) {
        if (entry.status === 'modified' && input.amisOnly?.has(after)) {
          ignored.push({ template: slug, path: after, why: 'only its amis: block changed (written by update-templates)' });
        } else if (existing.has(slug)) {
          mark(slug, { kind: 'changed', path: after });
        }
      }
    }
    shared ??= [before, after].find((p) => p !== undefined && isSharedPath(p, layout));
  }

  // A slug whose file went away but that still exists (x.yml renamed to x.yaml, or one of two
  // files of the same slug deleted) changed rather than went away.
  const removed: string[] = [];
  for (const [slug, path] of gone) {
    if (existing.has(slug)) {
      if (!changed.has(slug)) mark(slug, { kind: 'changed', path });
    } else {
      removed.push(slug);
    }
  }
  if (shared !== undefined) for (const slug of existing) mark(slug, { kind: 'shared', path: shared });
  return { changed, removed: removed.sort(), ignored };
}
