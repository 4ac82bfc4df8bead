import { posix } from 'node:path';

const EXTENSIONS = ['.yml', '.yaml'];

/** Where, relative to the repository root, the templates and the folders they share live. */
export interface RepoLayout {
  /** The templates folder ('' for the root), with / separators and no trailing slash. */
  templatesPath: string;
  /** Shared folders or files, same form. */
  sharedPaths: string[];
  /** The slug of each template file now in the folder (a Prism file's `slug:`), by repository path. */
  slugs?: ReadonlyMap<string, string>;
}

/** `templates/`, `./templates` → `templates`; `.` → ''. */
export function normalizeRepoPath(path: string): string {
  const normal = posix.normalize(path.replaceAll('\\', '/')).replace(/\/+$/, '');
  return normal === '.' ? '' : normal.replace(/^\.\//, '');
}

/**
 * The slug when `path` is a template file of the folder or one of its subfolders (its `slug:`
 * where the layout knows it, else its file name), else undefined.
 */
export function templateSlugAt(path: string, layout: RepoLayout): string | undefined {
  const inside =
    layout.templatesPath === ''
      ? path
      : path.startsWith(`${layout.templatesPath}/`)
        ? path.slice(layout.templatesPath.length + 1)
        : undefined;
  if (inside === undefined || inside.split('/').some((part) => part.startsWith('.'))) return undefined;
  const ext = posix.extname(path);
  if (!EXTENSIONS.includes(ext)) return undefined;
  return layout.slugs?.get(path) ?? posix.basename(path, ext);
}

export function isSharedPath(path: string, layout: RepoLayout): boolean {
  return layout.sharedPaths.some((shared) => shared === '' || path === shared || path.startsWith(`${shared}/`));
}
