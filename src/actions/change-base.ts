import { PrismError } from '../core/errors.js';
import type { GitRepository } from '../git/repository.js';

/** The commit HEAD is compared with, and how it was chosen. */
export type ChangeBase =
  | { commit: string; ref: string; why: string }
  /** Nothing to compare with: every template counts as changed. */
  | { commit: undefined; why: string };

/**
 * `--since REF` when given. Otherwise: on a branch other than the default branch (or a detached
 * HEAD off it), the merge base with the default branch; on the default branch, the previous
 * commit; when HEAD has no parent, nothing (every template).
 */
export async function chooseChangeBase(repo: GitRepository, since: string | undefined): Promise<ChangeBase> {
  if (since !== undefined) return { commit: await repo.requireCommit(since, '--since'), ref: since, why: `--since ${since}` };
  const head = await repo.commitOf('HEAD');
  if (!head) throw new PrismError('USAGE', `${repo.root} has no commits yet`, { hint: 'commit the templates first' });

  const [branch, defaultRef] = await Promise.all([repo.currentBranch(), repo.defaultBranch()]);
  const defaultName = defaultRef?.replace(/^origin\//, '');
  const defaultCommit = defaultRef ? await repo.commitOf(defaultRef) : undefined;
  const onDefault = defaultRef === undefined || branch === defaultName || (branch === undefined && defaultCommit === head);
  if (!onDefault) {
    const base = await repo.mergeBase('HEAD', defaultRef);
    if (!base) {
      throw new PrismError('USAGE', `${branch ?? 'HEAD'} and ${defaultRef} have no common history`, {
        hint: 'pass --since REF to say what to compare with',
      });
    }
    return {
      commit: base,
      ref: `merge-base HEAD ${defaultRef}`,
      why: `merge base of ${branch ?? 'HEAD'} with the default branch ${defaultRef}`,
    };
  }
  const previous = await repo.commitOf('HEAD~1');
  const where = defaultRef === undefined ? 'no default branch found' : `on the default branch ${defaultName}`;
  if (!previous) return { commit: undefined, why: `HEAD has no parent commit (${where}): every template` };
  return { commit: previous, ref: 'HEAD~1', why: `previous commit (${where})` };
}
