import { PrismError } from '../core/errors.js';
import { parseNameStatus, type DiffEntry } from './name-status.js';
import { runGit } from './run-git.js';

/** The branches tried, in order, when origin/HEAD does not name the default branch. */
const DEFAULT_BRANCH_CANDIDATES = ['origin/main', 'main', 'origin/master', 'master'];

/** A git work tree, queried through the git command (read-only: nothing here changes it). */
export class GitRepository {
  private constructor(
    /** The top folder of the work tree, as git prints it. */
    readonly root: string,
  ) {}

  /** The repository `cwd` is in; a clear USAGE error when it is in none. */
  static async open(cwd: string): Promise<GitRepository> {
    const result = await runGit(['rev-parse', '--show-toplevel'], cwd);
    if (result.code !== 0) {
      throw new PrismError('USAGE', `${cwd} is not in a git repository`, {
        hint: 'run prism ami changed inside the clone of your template repository',
        cause: new Error(result.stderr.trim()),
      });
    }
    return new GitRepository(result.stdout.trim());
  }

  private async git(args: string[]): Promise<string> {
    const result = await runGit(args, this.root);
    if (result.code !== 0) throw new PrismError('INTERNAL', `git ${args.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** The commit a revision names, or undefined when it names none. */
  async commitOf(ref: string): Promise<string | undefined> {
    // `--end-of-options` keeps a ref that starts with "-" from being read as an option.
    const result = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], this.root);
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /** The commit a revision names; USAGE (exit 2) when it names none. */
  async requireCommit(ref: string, flag: string): Promise<string> {
    const commit = await this.commitOf(ref);
    if (!commit) {
      throw new PrismError('USAGE', `${flag} ${ref}: no such commit, branch or tag in ${this.root}`, {
        hint: 'use a commit SHA, a tag or a branch that exists here; in a shallow clone, fetch more history (fetch-depth: 0)',
      });
    }
    return commit;
  }

  /** The checked-out branch, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const result = await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], this.root);
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /**
   * The default branch as a revision (`origin/main`, `main`, …): origin/HEAD's target, else the
   * first of origin/main, main, origin/master, master that exists.
   */
  async defaultBranch(): Promise<string | undefined> {
    const head = await runGit(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'], this.root);
    if (head.code === 0) {
      const target = head.stdout.trim().replace(/^refs\/remotes\//, '');
      if (await this.commitOf(target)) return target;
    }
    for (const candidate of DEFAULT_BRANCH_CANDIDATES) {
      if (await this.commitOf(candidate)) return candidate;
    }
    return undefined;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await runGit(['merge-base', a, b], this.root);
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /** The files that differ between two commits, with renames detected. */
  async diff(from: string, to: string): Promise<DiffEntry[]> {
    const out = await this.git([
      '-c',
      'core.quotePath=false',
      'diff',
      '--no-ext-diff',
      '--no-textconv',
      '--name-status',
      '-z',
      '-M',
      from,
      to,
      '--',
    ]);
    return parseNameStatus(out);
  }

  /** A file's content at a commit, or undefined when the commit has no such file. */
  async fileAt(commit: string, path: string): Promise<string | undefined> {
    const result = await runGit(['cat-file', 'blob', `${commit}:${path}`], this.root);
    return result.code === 0 ? result.stdout : undefined;
  }
}
