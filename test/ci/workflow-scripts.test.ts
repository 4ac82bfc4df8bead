import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRISM_BIN } from '../support/cli.js';
import { requireBuild } from '../support/cli-checks.js';
import { writeFiles } from '../support/files.js';
import { GIT_ENV, TestRepo, templateYaml } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { ciInit, hasCommand, prismAmiPin, readWorkflow, templateRepo, type Workflow } from './workflow-helpers.js';

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
    const commitStep = step(workflow, 'update-templates', 'Commit the templates');
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

/**
 * The install step of each prism-ami source, run for real with npm, git, curl and the checksum
 * tools, offline: a small package named prism-ami (its `prism` prints its version) stands in for
 * the real one, and the one value that would reach the internet (the registry's package, the
 * download URL, the git URL) is pointed at a local copy, a local HTTPS server or a local
 * repository. Everything else is the step exactly as ci init wrote it.
 */
describe.skipIf(!hasCommand('jq') || !hasCommand('sha512sum') || !hasCommand('npm'))('the install step, run', () => {
  const VERSION = '1.2.3';

  /** The stand-in package's files; `build` writes its bin (as prism-ami's build writes dist/). */
  function packageFiles(says: string): Record<string, string> {
    return {
      'package.json': `${JSON.stringify({ name: 'prism-ami', version: VERSION, bin: { prism: 'bin/prism.js' }, scripts: { build: 'node build.js' } }, null, 2)}\n`,
      'package-lock.json': `${JSON.stringify({ name: 'prism-ami', version: VERSION, lockfileVersion: 3, requires: true, packages: { '': { name: 'prism-ami', version: VERSION, bin: { prism: 'bin/prism.js' } } } }, null, 2)}\n`,
      'build.js': `require('node:fs').mkdirSync('bin', { recursive: true });\nrequire('node:fs').writeFileSync('bin/prism.js', '#!/usr/bin/env node\\nconsole.log(${JSON.stringify(says)});\\n', { mode: 0o755 });\n`,
    };
  }

  /** npm pack of the stand-in: the tarball with its sha256 (hex) and sha512 (npm's integrity). */
  async function tarball(says: string): Promise<{ file: string; sha256: string; integrity: string }> {
    const dir = await tempDir('prism-ami-pkg-');
    await writeFiles(dir, packageFiles(says));
    await run('node', ['build.js'], dir);
    const out = await tempDir('prism-ami-tgz-');
    await run('npm', ['pack', '--silent', '--pack-destination', out], dir, npmEnv(await tempDir()));
    const file = join(out, `prism-ami-${VERSION}.tgz`);
    const bytes = await readFile(file);
    return {
      file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    };
  }

  /** npm offline, with its own cache and global prefix (what `npm install --global` writes to). */
  function npmEnv(prefix: string): NodeJS.ProcessEnv {
    return {
      npm_config_prefix: prefix,
      npm_config_cache: join(prefix, '.npm-cache'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
  }

  function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(command, args, { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`));
        else resolve(stdout);
      });
    });
  }

  /** The install step of a workflow ci init wrote, with its env, and a runner: its temp folder, a global npm prefix on PATH. */
  async function installStep(workflow: Workflow): Promise<{ script: string; env: NodeJS.ProcessEnv; prefix: string }> {
    const found = workflow.jobs['build-1'].steps.find((s) => s.name?.startsWith('Install prism-ami'))!;
    const prefix = await tempDir('prism-ami-global-');
    return {
      script: found.run!,
      prefix,
      env: {
        ...npmEnv(prefix),
        ...found.env,
        RUNNER_TEMP: await tempDir('prism-ami-runner-temp-'),
        PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
      },
    };
  }

  const installed = (prefix: string) =>
    stat(join(prefix, 'bin', 'prism')).then(
      () => true,
      () => false,
    );

  async function initWith(source: string): Promise<Workflow> {
    const repo = await templateRepo('main', undefined, false);
    const init = await ciInit(repo, '--prism-source', source);
    expect(init.code, init.stderr).toBe(0);
    return (await readWorkflow(repo.dir)).workflow;
  }

  it('from the lock file: npm ci installs what it pins and refuses a tarball that is not', async () => {
    const good = await tarball('prism-ami 1.2.3 from the lock file');
    const repo = await templateRepo('main', undefined, false);
    const vendored = `vendor/prism-ami-${VERSION}.tgz`;
    await writeFiles(repo.dir, { [vendored]: await readFile(good.file) });
    const pin = prismAmiPin(VERSION, good.integrity);
    const lock = JSON.parse(pin['package-lock.json']) as { packages: Record<string, Record<string, unknown>> };
    lock.packages[''].devDependencies = { 'prism-ami': `file:${vendored}` };
    lock.packages['node_modules/prism-ami'].resolved = `file:${vendored}`;
    await repo.write({
      'package.json': pin['package.json'].replace(`"prism-ami": "${VERSION}"`, `"prism-ami": "file:${vendored}"`),
      'package-lock.json': JSON.stringify(lock, null, 2),
    });
    const init = await ciInit(repo);
    expect(init.code, init.stderr).toBe(0);
    const { workflow } = await readWorkflow(repo.dir);
    const step = await installStep(workflow);
    const githubPath = join(step.env.RUNNER_TEMP!, 'github-path');
    const ran = await bash(step.script, repo.dir, { ...step.env, GITHUB_WORKSPACE: repo.dir, GITHUB_PATH: githubPath });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('prism-ami 1.2.3 from the lock file');
    expect((await readFile(githubPath, 'utf8')).trim()).toBe(join(repo.dir, 'node_modules/.bin'));

    // Other bytes under the same name and version (on a runner with an empty npm cache): refused.
    await rm(join(repo.dir, 'node_modules'), { recursive: true, force: true });
    await writeFiles(repo.dir, { [vendored]: await readFile((await tarball('something else')).file) });
    const again = await installStep(workflow);
    const tampered = await bash(again.script, repo.dir, {
      ...again.env,
      GITHUB_WORKSPACE: repo.dir,
      GITHUB_PATH: join(again.env.RUNNER_TEMP!, 'github-path'),
    });
    expect(tampered.code).not.toBe(0);
    expect(tampered.stderr).toMatch(/EINTEGRITY|integrity/i);
  });

  it('from the registry: the tarball is checked against the pinned integrity before it is installed', async () => {
    const good = await tarball('prism-ami 1.2.3 from the registry');
    const workflow = await initWith(`npm:prism-ami@${VERSION}#${good.integrity}`);
    const step = await installStep(workflow);
    expect(step.env.PRISM_PACKAGE).toBe(`prism-ami@${VERSION}`);
    // The local tarball stands in for what the registry serves as prism-ami@1.2.3.
    const ran = await bash(step.script, step.env.RUNNER_TEMP!, { ...step.env, PRISM_PACKAGE: good.file });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('prism-ami 1.2.3 from the registry');
    expect(await installed(step.prefix)).toBe(true);

    const other = await installStep(workflow);
    const bad = await tarball('a republished or hijacked prism-ami 1.2.3');
    const refused = await bash(other.script, other.env.RUNNER_TEMP!, { ...other.env, PRISM_PACKAGE: bad.file });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/FAILED/);
    expect(await installed(other.prefix)).toBe(false);
  });

  it.skipIf(!hasCommand('openssl') || !hasCommand('curl'))(
    'from a tarball URL: downloaded over HTTPS only, checked against its sha256 before it is installed',
    async () => {
      const good = await tarball('prism-ami 1.2.3 from a tarball');
      const bad = await tarball('not the pinned tarball');
      const workflow = await initWith(`https://downloads.example.com/prism-ami-${VERSION}.tgz#sha256=${good.sha256}`);
      const server = await httpsServer({ '/good.tgz': await readFile(good.file), '/bad.tgz': await readFile(bad.file) });
      try {
        const step = await installStep(workflow);
        const env = { ...step.env, CURL_CA_BUNDLE: server.ca };
        const ran = await bash(step.script, step.env.RUNNER_TEMP!, { ...env, PRISM_TARBALL_URL: `${server.url}/good.tgz` });
        expect(ran.code, ran.stderr).toBe(0);
        expect(ran.stdout).toContain('prism-ami 1.2.3 from a tarball');
        expect(await installed(step.prefix)).toBe(true);

        const other = await installStep(workflow);
        const otherEnv = { ...other.env, CURL_CA_BUNDLE: server.ca };
        const refused = await bash(other.script, other.env.RUNNER_TEMP!, { ...otherEnv, PRISM_TARBALL_URL: `${server.url}/bad.tgz` });
        expect(refused.code).not.toBe(0);
        expect(refused.stdout + refused.stderr).toMatch(/FAILED/);
        const plain = await bash(other.script, other.env.RUNNER_TEMP!, {
          ...otherEnv,
          PRISM_TARBALL_URL: `${server.url.replace('https:', 'http:')}/good.tgz`,
        });
        expect(plain.code).not.toBe(0);
        expect(plain.stderr).toMatch(/protocol/i);
        expect(await installed(other.prefix)).toBe(false);
      } finally {
        await server.close();
      }
    },
  );

  it('from a git commit: that commit is built and installed, whatever the branch has since', async () => {
    const source = await TestRepo.create('main');
    await source.write(packageFiles('prism-ami 1.2.3 at the pinned commit'));
    const pinned = await source.commit('prism-ami');
    const workflow = await initWith(`git+https://github.com/example/prism-ami.git#${pinned}`);
    await source.write(packageFiles('prism-ami pushed after ci init'));
    await source.commit('newer');

    const step = await installStep(workflow);
    expect(step.env.PRISM_GIT_COMMIT).toBe(pinned);
    // The local repository stands in for github.com/example/prism-ami.
    const env = { ...step.env, ...GIT_ENV, PRISM_GIT_URL: `file://${source.dir}` };
    const ran = await bash(step.script, step.env.RUNNER_TEMP!, env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('prism-ami 1.2.3 at the pinned commit');
    expect(ran.stdout).not.toContain('pushed after ci init');

    // A server that serves no commit by its ID (git's protocol v0 without allowReachableSHA1InWant).
    const old = await installStep(workflow);
    const v0 = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: '0' };
    const fallback = await bash(old.script, old.env.RUNNER_TEMP!, { ...old.env, ...GIT_ENV, ...v0, PRISM_GIT_URL: `file://${source.dir}` });
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stderr).toContain('unadvertised object');
    expect(fallback.stdout).toContain('prism-ami 1.2.3 at the pinned commit');

    const other = await installStep(workflow);
    const missing = await bash(other.script, other.env.RUNNER_TEMP!, {
      ...other.env,
      ...GIT_ENV,
      PRISM_GIT_URL: `file://${source.dir}`,
      PRISM_GIT_COMMIT: 'f'.repeat(40),
    });
    expect(missing.code).not.toBe(0);
    expect(await installed(other.prefix)).toBe(false);
  });
});

/** A loopback HTTPS server with a self-signed certificate (openssl), serving these paths. */
async function httpsServer(files: Record<string, Buffer>): Promise<{ url: string; ca: string; close(): Promise<void> }> {
  const dir = await tempDir('prism-ami-tls-');
  const key = join(dir, 'key.pem');
  const ca = join(dir, 'cert.pem');
  await new Promise<void>((resolve, reject) =>
    execFile(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        ca,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      (error, _stdout, stderr) => (error ? reject(new Error(`openssl: ${stderr || error.message}`)) : resolve()),
    ),
  );
  const server = createHttpsServer({ key: await readFile(key), cert: await readFile(ca) }, (req, res) => {
    const body = files[req.url ?? ''];
    res.writeHead(body ? 200 : 404);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    ca,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
