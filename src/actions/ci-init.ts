import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { chainDepth } from '../changes/closure.js';
import { normalizeRepoPath } from '../changes/layout.js';
import { checkWorkflowSettings, DEFAULT_SCHEDULE, MAX_STAGES, type WorkflowSettings } from '../ci/settings.js';
import { parseToolSource, SOURCE_FORMS, type ToolSource } from '../ci/tool-source.js';
import { renderWorkflow, WORKFLOW_PATH } from '../ci/workflow.js';
import type { ConfigFile } from '../config/config.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { PrismError } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { GitRepository } from '../git/repository.js';
import { TemplateLibrary } from '../template/library.js';
import { DEFAULT_SHARED_PATHS } from './changed.js';
import { readTemplateNodes } from './template-graph.js';

export interface CiInitOptions {
  templatesDir: string;
  config: ConfigFile;
  registry?: string;
  roleArn?: string;
  regions?: string[];
  architectures?: Architecture[];
  instanceProfile?: string;
  branch?: string;
  stages?: number;
  schedule?: string;
  openPr?: boolean;
  force?: boolean;
  /**
   * Where the jobs get prism-ami (`npm:NAME@VERSION#sha512-…`, `https://…tgz#sha256=…`,
   * `git+https://…#COMMIT`); default: the repository's package.json and package-lock.json.
   */
  prismSource?: string;
  /** Where to write (default: .github/workflows/ami-build.yml at the repository root). */
  output?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface CiInitReport {
  file: string;
  settings: WorkflowSettings;
  /** The flags whose values are placeholders in the file: the workflow fails early until they are set. */
  missing: string[];
  overwritten: boolean;
}

/** `prism ami ci init`: writes the GitHub Actions workflow that builds this repository's images. */
export async function ciInit(options: CiInitOptions): Promise<CiInitReport> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const repo = await GitRepository.open(cwd).catch(() => undefined);
  const root = repo?.root ?? cwd;
  const config = options.config;
  const registry = options.registry ?? s3Only(env.PRISM_AMI_REGISTRY) ?? s3Only(config.registry);
  const regions = options.regions ?? config.regions ?? (config.region ? [config.region] : undefined);
  const roleArn = options.roleArn ?? config.roleArn;
  const architectures = options.architectures ?? config.architectures;
  const settings = checkWorkflowSettings({
    toolVersion: await ownVersion(),
    source: options.prismSource !== undefined ? parseToolSource(options.prismSource) : await lockfileSource(root),
    branch: options.branch ?? (await defaultBranchName(repo)),
    templatesPath: repoPath(root, resolve(cwd, options.templatesDir), 'the templates folder'),
    sharedPaths: (config.sharedPaths ?? DEFAULT_SHARED_PATHS).map((p) => repoPath(root, resolve(cwd, p), 'the shared path')),
    instanceProfile: options.instanceProfile ?? config.instanceProfile ?? 'prism-builder',
    openPr: options.openPr ?? false,
    stages: options.stages ?? (await neededStages(resolve(cwd, options.templatesDir))),
    schedule: options.schedule ?? DEFAULT_SCHEDULE,
    ...(regions ? { regions } : {}),
    ...(roleArn ? { roleArn } : {}),
    ...(registry ? { registry } : {}),
    ...(architectures ? { architectures } : {}),
  });
  const file = options.output ? resolve(cwd, options.output) : join(root, WORKFLOW_PATH);
  const overwritten = await writeWorkflow(file, renderWorkflow(settings), options.force ?? false);
  const missing = [!settings.roleArn && '--role-arn', !settings.registry && '--registry', !settings.regions && '--regions'].filter(
    (f): f is string => Boolean(f),
  );
  return { file, settings, missing, overwritten };
}

/** Refuses to replace a file without --force; the check and the creation are one step. */
async function writeWorkflow(file: string, text: string, force: boolean): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true });
  if (force) {
    const existed = await stat(file).then(
      () => true,
      () => false,
    );
    await writeFileAtomic(file, text);
    return existed;
  }
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PrismError('USAGE', `${file} already exists`, {
        hint: 'pass --force to replace it (your edits to it are lost), or --output to write elsewhere',
      });
    }
    throw error;
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return false;
}

function s3Only(location: string | undefined): string | undefined {
  return location?.startsWith('s3://') ? location : undefined;
}

function repoPath(root: string, absolute: string, what: string): string {
  const rel = relative(root, absolute);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new PrismError('USAGE', `${what} ${absolute} is outside the repository ${root}`, {
      hint: 'the workflow only sees files of the repository',
    });
  return normalizeRepoPath(rel.split(sep).join('/'));
}

async function defaultBranchName(repo: GitRepository | undefined): Promise<string> {
  const ref = await repo?.defaultBranch();
  if (ref) return ref.replace(/^origin\//, '');
  return (await repo?.currentBranch()) ?? 'main';
}

/** Stages for the deepest extends chain of the templates folder, at least 2. */
async function neededStages(templatesDir: string): Promise<number> {
  const nodes = await readTemplateNodes(new TemplateLibrary(templatesDir)).catch(() => []);
  const bySlug = new Map(nodes.map((n) => [n.slug, n]));
  return Math.min(MAX_STAGES, Math.max(2, ...nodes.map((n) => chainDepth(n.slug, bySlug) + 1)));
}

/**
 * The prism-ami the repository pins: package.json depends on it and its lock file records the
 * version (and integrity) `npm ci` installs. Anything less is a USAGE error that says how to pin
 * it: the workflow never installs a package by name alone.
 */
async function lockfileSource(root: string): Promise<ToolSource> {
  const hint = `pin it in the repository: npm install --save-dev prism-ami@<version> (or a tarball or git+https URL), then commit package.json and package-lock.json; or name a pinned source with --prism-source ${SOURCE_FORMS.join(' | ')}`;
  const refuse = (why: string): never => {
    throw new PrismError('USAGE', `the workflow would not know which prism-ami to install: ${why}`, { hint });
  };
  const pkg = await readJson(root, 'package.json');
  if (pkg === undefined) return refuse(`${root} has no package.json`);
  const deps = { ...(pkg.dependencies as object | undefined), ...(pkg.devDependencies as object | undefined) } as Record<string, unknown>;
  if (!deps['prism-ami']) return refuse('package.json does not depend on prism-ami');
  // npm ci prefers npm-shrinkwrap.json when there is one.
  for (const lockfile of ['npm-shrinkwrap.json', 'package-lock.json'] as const) {
    const lock = await readJson(root, lockfile);
    if (lock === undefined) continue;
    const packages = lock.packages as Record<string, { version?: unknown }> | undefined;
    const legacy = lock.dependencies as Record<string, { version?: unknown }> | undefined;
    const version = packages?.['node_modules/prism-ami']?.version ?? legacy?.['prism-ami']?.version;
    if (typeof version !== 'string') return refuse(`${lockfile} does not pin prism-ami (run npm install and commit it)`);
    return { kind: 'lockfile', lockfile, version };
  }
  return refuse('package.json depends on prism-ami, but there is no package-lock.json to pin it (run npm install and commit it)');
}

/** A JSON file of the repository root; undefined when it does not exist. */
async function readJson(root: string, name: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(join(root, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new PrismError('USAGE', `${join(root, name)} is not a JSON object`, { hint: `fix ${name}; npm reads it too` });
}

async function ownVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
