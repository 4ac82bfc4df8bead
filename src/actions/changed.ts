import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { onlyAmisChanged } from '../changes/amis-only.js';
import { withDescendants } from '../changes/closure.js';
import { directChanges } from '../changes/direct-changes.js';
import { normalizeRepoPath, templateSlugAt, type RepoLayout } from '../changes/layout.js';
import { buildMatrix } from '../changes/matrix.js';
import type { IgnoredChange, Matrix, Reason, SelectedTemplate, TemplateNode } from '../changes/model.js';
import { PrismError } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import type { DiffEntry } from '../git/name-status.js';
import { GitRepository } from '../git/repository.js';
import { TemplateLibrary } from '../template/library.js';
import { chooseChangeBase } from './change-base.js';
import { readTemplateNodes } from './template-graph.js';

/** Shared folders every template reads, by default (`sharedPaths` in the config). */
export const DEFAULT_SHARED_PATHS = ['scripts/'];

export interface ChangedOptions {
  templatesDir: string;
  /** Compare HEAD with this commit, tag or branch instead of the default base. */
  since?: string;
  /** Select these slugs (comma or space separated) or `all` instead of asking git. */
  templates?: string;
  /** Folders or files every template reads (relative to cwd, or absolute). */
  sharedPaths?: readonly string[];
  /** Only these architectures in the matrix. */
  architectures?: readonly Architecture[];
  cwd?: string;
}

export interface ChangedReport {
  /** The templates to build, parents before children. */
  templates: string[];
  /** Templates whose file is gone at HEAD: never built. */
  removed: string[];
  matrix: Matrix;
  /** What HEAD was compared with; absent with --templates. */
  since?: { commit: string | null; ref?: string; why: string };
  details: SelectedTemplate[];
  ignored: IgnoredChange[];
}

/** `prism ami changed`: the templates to build after a change, and the matrix to build them. */
export async function changed(options: ChangedOptions): Promise<ChangedReport> {
  const cwd = options.cwd ?? process.cwd();
  const library = new TemplateLibrary(resolve(cwd, options.templatesDir));
  if (options.templates !== undefined) {
    if (options.since !== undefined)
      throw new PrismError('USAGE', '--since and --templates do not go together', {
        hint: '--templates names the templates itself; --since asks git',
      });
    const nodes = await readTemplateNodes(library);
    return report(await requested(options.templates, library, nodes), nodes, [], [], options.architectures);
  }

  const repo = await GitRepository.open(cwd);
  const nodes = await readTemplateNodes(library);
  const base = await chooseChangeBase(repo, options.since);
  const since = { commit: base.commit ?? null, ...(base.commit !== undefined ? { ref: base.ref } : {}), why: base.why };
  if (base.commit === undefined) {
    const all = new Map<string, Reason[]>(nodes.map((n) => [n.slug, [{ kind: 'no-history' }]]));
    return { ...report(all, nodes, [], [], options.architectures), since };
  }

  const layout = await repoLayout(repo, library, options.sharedPaths ?? DEFAULT_SHARED_PATHS, cwd);
  const entries = await repo.diff(base.commit, 'HEAD');
  const amisOnly = await amisOnlyPaths(repo, base.commit, entries, layout);
  const direct = directChanges({ entries, layout, slugs: nodes.map((n) => n.slug), amisOnly });
  return { ...report(direct.changed, nodes, direct.removed, direct.ignored, options.architectures), since };
}

function report(
  direct: ReadonlyMap<string, Reason[]>,
  nodes: TemplateNode[],
  removed: string[],
  ignored: IgnoredChange[],
  architectures?: readonly Architecture[],
): ChangedReport {
  const details = withDescendants(direct, nodes, removed);
  return {
    templates: details.map((d) => d.template),
    removed,
    matrix: buildMatrix(details, nodes, architectures),
    details,
    ignored,
  };
}

async function requested(list: string, library: TemplateLibrary, nodes: TemplateNode[]): Promise<Map<string, Reason[]>> {
  const names = list.split(/[\s,]+/).filter(Boolean);
  if (names.length === 0)
    throw new PrismError('USAGE', '--templates is empty', {
      hint: 'name templates, e.g. --templates r-research,basic-ubuntu, or --templates all',
    });
  const slugs = names.includes('all')
    ? nodes.map((n) => n.slug)
    : await Promise.all(names.map(async (name) => (await library.find(name)).slug));
  return new Map(slugs.map((slug) => [slug, [{ kind: 'requested' }]]));
}

/** The templates folder and shared paths relative to the repository root. */
async function repoLayout(repo: GitRepository, library: TemplateLibrary, sharedPaths: readonly string[], cwd: string): Promise<RepoLayout> {
  const templatesDir = library.dir;
  const root = await realpath(repo.root);
  const inRepo = async (path: string, what: string): Promise<string> => {
    const absolute = isAbsolute(path) ? path : resolve(cwd, path);
    const real = await realpath(absolute).catch(() => absolute);
    const rel = relative(root, real);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new PrismError('USAGE', `${what} ${path} is outside the git repository ${repo.root}`, {
        hint: 'change detection only sees files of the repository',
      });
    }
    return normalizeRepoPath(rel.split(sep).join('/'));
  };
  const slugs = new Map<string, string>();
  for (const ref of await library.list()) slugs.set(await inRepo(ref.file, 'a template'), ref.slug);
  return {
    templatesPath: await inRepo(templatesDir, 'the templates folder'),
    sharedPaths: await Promise.all(sharedPaths.map((p) => inRepo(p, 'the shared path'))),
    slugs,
  };
}

/** Changed template files whose only change is in their amis: block. */
async function amisOnlyPaths(repo: GitRepository, base: string, entries: DiffEntry[], layout: RepoLayout): Promise<Set<string>> {
  const paths = new Set<string>();
  for (const entry of entries) {
    if (entry.status !== 'modified' || templateSlugAt(entry.path, layout) === undefined) continue;
    const [before, after] = await Promise.all([repo.fileAt(base, entry.path), repo.fileAt('HEAD', entry.path)]);
    if (before !== undefined && after !== undefined && onlyAmisChanged(before, after)) paths.add(entry.path);
  }
  return paths;
}
