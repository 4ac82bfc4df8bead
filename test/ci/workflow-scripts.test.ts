import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRISM_BIN } from '../support/cli.js';
import { requireBuild } from '../support/cli-checks.js';
import { GIT_ENV, TestRepo, templateYaml } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { ciInit, hasCommand, readWorkflow, templateRepo, type Workflow } from './workflow-helpers.js';

/**
 * The generated workflow's shell steps, run for real with bash (as GitHub runs `shell: bash`)
 * against real git repositories and the built prism CLI: what GitHub would do, short of AWS.
 */

beforeAll(requireBuild);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    // Git without this machine's configuration; names come from the script's own git config.
    const gitEnv = { GIT_CONFIG_NOSYSTEM: GIT_ENV.GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL: GIT_ENV.GIT_CONFIG_GLOBAL };
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd, env: { ...process.env, ...gitEnv, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * A folder with a `prism` command on PATH: the built CLI, except that `ami build` only records
 * its arguments and `ami plan` prints `plan` (no AWS here).
 */
async function prismOnPath(plan = '{"matrix":{"include":[]}}'): Promise<{ path: string; builds: () => Promise<string[]> }> {
  const bin = await tempDir('prism-ami-bin-');
  const log = join(bin, 'builds.log');
  await writeFile(join(bin, 'plan.json'), plan);
  await writeFile(
    join(bin, 'prism'),
    `#!/bin/bash
if [[ "$1 $2" == "ami build" ]]; then shift; printf '%s\\n' "$*" >> ${JSON.stringify(log)}; exit 0; fi
if [[ "$1 $2" == "ami plan" ]]; then cat ${JSON.stringify(join(bin, 'plan.json'))}; exit 0; fi
exec ${JSON.stringify(process.execPath)} ${JSON.stringify(PRISM_BIN)} "$@"
`,
  );
  await chmod(join(bin, 'prism'), 0o755);
  return {
    path: `${bin}:${process.env.PATH}`,
    builds: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

function step(workflow: Workflow, job: string, id: string): string {
  const found = workflow.jobs[job].steps.find((s) => s.id === id || s.name?.startsWith(id));
  if (!found?.run) throw new Error(`no run step ${id} in ${job}`);
  return found.run;
}

/** Runs detect's two steps as GitHub would and returns what the job outputs. */
async function detect(
  repo: TestRepo,
  workflow: Workflow,
  env: NodeJS.ProcessEnv,
  plan?: string,
): Promise<{ outputs: Record<string, string>; summary: string; select: Ran }> {
  const prism = await prismOnPath(plan);
  const files = await tempDir('prism-ami-gh-');
  const githubEnv = {
    PATH: prism.path,
    GITHUB_OUTPUT: join(files, 'output'),
    GITHUB_STEP_SUMMARY: join(files, 'summary'),
    ...workflow.env,
  };
  const select = await bash(step(workflow, 'detect', 'select'), repo.dir, { ...githubEnv, ...env });
  expect(select.code, select.stderr).toBe(0);
  const order = await bash(step(workflow, 'detect', 'order'), repo.dir, githubEnv);
  expect(order.code, order.stderr).toBe(0);
  const outputs = Object.fromEntries(
    (await readFile(join(files, 'output'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { outputs, summary: await readFile(join(files, 'summary'), 'utf8'), select };
}

async function setup(): Promise<{ repo: TestRepo; workflow: Workflow; first: string }> {
  const repo = await templateRepo();
  const first = await repo.git('rev-parse', 'HEAD');
  const init = await ciInit(
    repo,
    '--role-arn',
    'arn:aws:iam::123456789012:role/ci',
    '--registry',
    's3://bucket/r.json',
    '--regions',
    'us-east-1,us-west-2',
  );
  expect(init.code).toBe(0);
  await repo.commit('workflow');
  return { repo, workflow: (await readWorkflow(repo.dir)).workflow, first };
}

const stage = (outputs: Record<string, string>, n: number) =>
  JSON.parse(outputs[`stage${n}`]) as { include: { template: string; architecture: string }[] };

describe.skipIf(!hasCommand('jq'))('the generated workflow, run', () => {
  it('on a push: builds what changed since the commit before it, parents in stage 1 and children in stage 2', async () => {
    const { repo, workflow } = await setup();
    const before = await repo.git('rev-parse', 'HEAD');
    await repo.write({ 'templates/base.yml': templateYaml('base', { setup: 'echo new' }) });
    await repo.commit('one');
    await repo.write({ 'README.md': 'two\n' });
    await repo.commit('two');

    const { outputs, summary } = await detect(repo, workflow, { EVENT: 'push', BEFORE: before });
    expect(outputs.total).toBe('4');
    expect(stage(outputs, 1).include).toEqual([
      { template: 'base', architecture: 'x86_64' },
      { template: 'base', architecture: 'arm64' },
    ]);
    expect(outputs.stage1_count).toBe('2');
    expect(stage(outputs, 2).include).toEqual([
      { template: 'child', architecture: 'x86_64' },
      { template: 'child', architecture: 'arm64' },
    ]);
    expect(summary).toContain('- stage 1: base (x86_64, arm64)\n- stage 2: child (x86_64, arm64)\n');
  });

  it('on a push that changed nothing to build: every stage is {"include":[]} and total is 0, so no build job runs', async () => {
    const { repo, workflow } = await setup();
    const before = await repo.git('rev-parse', 'HEAD');
    await repo.write({ 'docs.md': 'nothing\n' });
    await repo.commit('docs');
    const { outputs } = await detect(repo, workflow, { EVENT: 'push', BEFORE: before });
    expect(outputs).toEqual({ total: '0', stage1: '{"include":[]}', stage1_count: '0', stage2: '{"include":[]}', stage2_count: '0' });
  });

  it('on a new branch (all-zero before) or an unknown before: compares with the previous commit', async () => {
    const { repo, workflow } = await setup();
    await repo.write({
      'templates/solo.yml': templateYaml('solo', { architectures: ['x86_64'], regions: ['eu-west-1'], setup: 'echo x' }),
    });
    await repo.commit('solo');
    const zero = await detect(repo, workflow, { EVENT: 'push', BEFORE: '0000000000000000000000000000000000000000' });
    expect(stage(zero.outputs, 1).include).toEqual([{ template: 'solo', architecture: 'x86_64' }]);
    const gone = await detect(repo, workflow, { EVENT: 'push', BEFORE: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef' });
    expect(gone.select.stdout).toContain('::warning::deadbeef');
    expect(stage(gone.outputs, 1).include).toEqual([{ template: 'solo', architecture: 'x86_64' }]);
  });

  it('on demand: the templates asked for (and what extends them), or all', async () => {
    const { repo, workflow } = await setup();
    const some = await detect(repo, workflow, { EVENT: 'workflow_dispatch', REQUESTED: 'base' });
    expect(some.outputs.total).toBe('4');
    expect(stage(some.outputs, 2).include.map((e) => e.template)).toEqual(['child', 'child']);
    const all = await detect(repo, workflow, { EVENT: 'workflow_dispatch', REQUESTED: 'all' });
    expect(all.outputs.total).toBe('5');
  });

  it("on the schedule: the plan's matrix, ordered into stages", async () => {
    const { repo, workflow } = await setup();
    const plan = JSON.stringify({
      items: [],
      matrix: {
        include: [
          { template: 'child', architecture: 'arm64' },
          { template: 'base', architecture: 'arm64' },
        ],
      },
    });
    const { outputs } = await detect(repo, workflow, { EVENT: 'schedule' }, plan);
    expect(stage(outputs, 1).include).toEqual([{ template: 'base', architecture: 'arm64' }]);
    expect(stage(outputs, 2).include).toEqual([{ template: 'child', architecture: 'arm64' }]);
  });

  it("builds in the template's first region and copies to the others (else AMI_REGIONS); --force on the schedule", async () => {
    const { repo, workflow } = await setup();
    const prism = await prismOnPath();
    const script = step(workflow, 'build-1', 'Build');
    const run = (template: string, architecture: string, force: string, regions = workflow.env.AMI_REGIONS) =>
      bash(script, repo.dir, {
        ...workflow.env,
        AMI_REGIONS: regions,
        PATH: prism.path,
        TEMPLATE: template,
        ARCHITECTURE: architecture,
        FORCE: force,
      });
    for (const r of [
      await run('solo', 'x86_64', 'false'),
      await run('base', 'arm64', 'true'),
      await run('child', 'x86_64', 'false', 'eu-north-1'),
    ]) {
      expect(r.code, r.stderr).toBe(0);
    }
    expect(await prism.builds()).toEqual([
      'build solo --architecture x86_64 --region eu-west-1 --instance-profile prism-builder --copy-to eu-central-1,ap-south-1',
      'build base --architecture arm64 --region us-east-1 --instance-profile prism-builder --copy-to us-west-2 --force',
      'build child --architecture x86_64 --region eu-north-1 --instance-profile prism-builder',
    ]);
  });

  it('commits the updated templates and pushes them, rebasing when the branch moved meanwhile', async () => {
    const { repo, workflow } = await setup();
    const remote = await tempDir('prism-ami-remote-');
    await repo.git('init', '--quiet', '--bare', '--initial-branch', 'main', remote);
    await repo.git('push', '--quiet', remote, 'main');
    const runner = TestRepo.at(await tempDir('prism-ami-runner-'));
    await runner.git('clone', '--quiet', remote, '.');
    const commitStep = workflow.jobs['update-templates'].steps.at(-1)!.run!;
    const env = { ...workflow.env, BRANCH: 'main', GITHUB_RUN_ID: '42' };

    // Nothing changed: nothing committed.
    const nothing = await bash(commitStep, runner.dir, env);
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stdout).toContain("The templates already show the registry's current images.");

    // Someone pushes while the job runs; the job's push is rejected once, then rebased and pushed.
    const other = TestRepo.at(await tempDir('prism-ami-other-'));
    await other.git('clone', '--quiet', remote, '.');
    await other.write({ 'NOTES.md': 'meanwhile\n' });
    await other.commit('meanwhile');
    await other.git('push', '--quiet', 'origin', 'main');
    await runner.write({ 'templates/base.yml': `${templateYaml('base')}amis:\n  us-east-1:\n    x86_64: ami-0123456789abcdef0\n` });
    const pushed = await bash(commitStep, runner.dir, env);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain('push failed (attempt 1); rebasing on main');
    const log = await runner.git('--git-dir', remote, 'log', '--format=%s|%an', 'main');
    expect(log.split('\n').slice(0, 2)).toEqual(['Update AMI IDs in templates|github-actions[bot]', 'meanwhile|Test']);
  });
});
