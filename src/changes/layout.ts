import { posix } from 'node:path';

const EXTENSIONS = ['.yml', '.yaml'];

/** Where, relative to the repository root, the templates and the folders they share live. */
export interface RepoLayout {
  /** The templates folder ('' for the root), with / separators and no trailing slash. */
  templatesPath: string;
  /** Shared folders or files, same form. */
  sharedPaths: string[];
}

/** `templates/`, `./templates` → `templates`; `.` → ''. */
export function normalizeRepoPath(path: string): string {
  const normal = posix.normalize(path.replaceAll('\\', '/')).replace(/\/+$/, '');
  return normal === '.' ? '' : normal.replace(/^\.\//, '');
}

/** The slug when `path` is a template file of the folder (not in a subfolder), else undefined. */
export function templateSlugAt(path: string, layout: RepoLayout): string | undefined {
  const dir = posix.dirname(path);
  if ((dir === '.' ? '' : dir) !== layout.templatesPath) return undefined;
  const ext = posix.extname(path);
  const name = posix.basename(path);
  if (!EXTENSIONS.includes(ext) || name.startsWith('.')) return undefined;
  return posix.basename(path, ext);
}

export function isSharedPath(path: string, layout: RepoLayout): boolean {
  return layout.sharedPaths.some((shared) => shared === '' || path === shared || path.startsWith(`${shared}/`));
}
