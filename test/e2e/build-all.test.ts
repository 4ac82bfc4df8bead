import type * as Ec2Module from '@aws-sdk/client-ec2';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { cloudState, createInstanceProfile, writeSeedAmis } from '../support/aws-env.js';
import { runPrism } from '../support/cli.js';
import { FaultProxy, requestTags, type RecordedCall } from '../support/fault-proxy.js';
import { events } from '../support/local-env.js';
import { startMoto, type Moto } from '../support/moto.js';

/**
 * `plan`, `build-all`, `validate` and `cleanup` end to end on AWS: real `prism` processes against
 * moto_server through the recording fault proxy. Two templates (one extends the other) × 4
 * regions × 2 architectures. moto's Run Command always succeeds with empty output, so the
 * templates' tests check exit codes only (docs/aws.md).
 */
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
/** With the regions one test adds. */
const ALL_REGIONS = [...REGIONS, 'eu-west-1', 'eu-central-1'];

interface Row {
  template: string;
  architecture: string;
  region: string;
  result: string;
  imageId?: string;
  durationMs: number;
  error?: string;
}
interface Summary {
  type: 'summary';
  status: string;
  rows: Row[];
}
interface PlanJson {
  strategy: string;
  items: {
    key: string;
    template: string;
    architecture: string;
    action: string;
    reasons: { code: string; detail: string }[];
    buildRegions: string[];
    copyTo: string[];
  }[];
  totals: { builds: number; copies: number; skips: number; estimate: { instanceHours: number } };
  perRegion: { builds: number };
  matrix: { include: { template: string; architecture: string }[] };
}
interface Listed {
  template: string;
  region: string;
  architecture: string;
  ami_id: string;
  status: string;
  validated: boolean;
  validated_at?: string;
  fingerprint?: string;
  source_ami?: string;
  deleted_at?: string;
}

const template = (name: string, head: string, setup: string) => `name: ${name}
${head}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  ${setup}
validation_tests:
  - name: shell works
    command: "true"
    expected_exit_code: 0
`;

const runTags = requestTags;
const isBuildOf = (slug: string, arch: string) => (call: Pick<RecordedCall, 'params'>) => {
  const tags = runTags(call);
  return tags['prism:template'] === slug && tags['prism:architecture'] === arch;
};

describe.sequential('build-all, plan, validate and cleanup against moto_server', { timeout: 180_000 }, () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-build-all-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    await createInstanceProfile(moto.env);
    env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    await mkdir(join(dir, 'templates'));
    await writeBase('echo "==> base v1"');
    await writeFile(join(dir, 'templates', 'app.yml'), template('App', 'extends: base', 'echo "==> app"'));
    await writeFile(
      join(dir, 'prism-ami.config.yaml'),
      `templatesDir: templates\ninstanceProfile: prism-builder\ninstanceProfileWaitSeconds: 2\nreadyTimeoutMinutes: 2\nimageTimeoutMinutes: 2\nregions: [${REGIONS.join(', ')}]\n`,
    );
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => proxy.reset());

  const writeBase = (setup: string) =>
    writeFile(
      join(dir, 'templates', 'base.yml'),
      template('Base', `base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}\nregions: [${REGIONS.join(', ')}]`, setup),
    );
  const prism = (args: string[]) => runPrism(args, { cwd: dir, env });
  const summaryOf = (stdout: string) => events(stdout).find((e) => e.type === 'summary') as unknown as Summary;
  const cell = (rows: Row[], slug: string, arch: string, region: string) =>
    rows.find((r) => r.template === slug && r.architecture === arch && r.region === region)!;
  const list = async (all = false): Promise<Listed[]> => {
    const result = await prism(['ami', 'list', '--json', ...(all ? ['--all'] : [])]);
    expect(result.code, result.stdout).toBe(0);
    return JSON.parse(result.stdout) as Listed[];
  };
  /** Builds made (a build's fresh-boot re-test launches one instance more, counted apart). */
  const made = () => ({
    RunInstances: proxy.calls.filter((c) => c.action === 'RunInstances' && runTags(c)['prism:role'] === 'build').length,
    CreateImage: proxy.count('CreateImage'),
    CopyImage: proxy.count('CopyImage'),
  });
  const launchedTemplates = () =>
    proxy.calls
      .filter((c) => c.action === 'RunInstances' && !c.faulted && runTags(c)['prism:role'] === 'build')
      .map((c) => `${runTags(c)['prism:template']}/${runTags(c)['prism:architecture']}`)
      .sort();
  /** After every run: no live instance, no build security group, no unfinished image. */
  const clean = async () => {
    for (const state of await cloudState(moto.endpoint, ALL_REGIONS)) {
      expect(state.liveInstances, `instances left in ${state.region}`).toEqual([]);
      expect(state.buildGroups, `security groups left in ${state.region}`).toEqual([]);
      expect(
        state.images.filter((i) => i.tags['prism:status'] !== 'complete'),
        `unfinished images in ${state.region}`,
      ).toEqual([]);
    }
  };

  test('plan: 4 builds and 12 copies, with reasons and the cost of building in every region', async () => {
    const result = await prism(['ami', 'plan', 'base', 'app', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);
    const plan = JSON.parse(result.stdout) as PlanJson;
    expect(plan.totals).toMatchObject({ builds: 4, copies: 12, skips: 0 });
    expect(plan.items.map((i) => `${i.key}:${i.action}`)).toEqual([
      'base/x86_64:build',
      'base/arm64:build',
      'app/x86_64:build',
      'app/arm64:build',
    ]);
    for (const item of plan.items) {
      expect(item.buildRegions).toEqual(['us-east-1']);
      expect(item.copyTo).toEqual(['us-east-2', 'us-west-1', 'us-west-2']);
      expect(item.reasons.map((r) => r.code)).toContain('new');
    }
    expect(plan.perRegion.builds).toBe(16);
    expect(plan.matrix.include).toHaveLength(4);
    // Planning creates nothing.
    expect(made()).toEqual({ RunInstances: 0, CreateImage: 0, CopyImage: 0 });

    const human = await prism(['ami', 'plan', 'base', 'app']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^TEMPLATE\s+ARCH\s+ACTION\s+BUILD IN\s+COPY TO\s+WHY$/m);
    expect(human.stdout).toContain('4 builds, 12 copies, 0 up to date (strategy: copy)');
    // 30 minutes a build and 5 of a fresh-boot re-test (the defaults of buildMinutesEstimate and retestMinutesEstimate).
    expect(human.stdout).toContain('Estimated cost: 2.3 instance-hours (0.3 of them fresh-boot re-tests)');
    expect(human.stdout).toMatch(
      /Building in every region instead: 16 builds, 9\.3 instance-hours .*Copying uses 4\.0× less instance time/,
    );
  });

  test('build-all makes exactly the plan: 4 builds, 12 copies, 16 current registry entries; parents first', async () => {
    const result = await prism(['ami', 'build-all', 'base', 'app']);
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 4, CreateImage: 4, CopyImage: 12 });
    expect(launchedTemplates()).toEqual(['app/arm64', 'app/x86_64', 'base/arm64', 'base/x86_64']);
    // Each child is launched only after its parent's image (and copies) exist.
    for (const arch of ['x86_64', 'arm64']) {
      const childLaunch = proxy.calls.find((c) => c.action === 'RunInstances' && isBuildOf('app', arch)(c))!;
      const parentImages = proxy.calls.filter(
        (c) => c.action === 'CreateImage' && String(c.params.Name).startsWith(`base-`) && String(c.params.Name).includes(`-${arch}-`),
      );
      expect(parentImages).toHaveLength(1);
      expect(childLaunch.at).toBeGreaterThan(parentImages[0].done ?? parentImages[0].at);
    }
    // Without a terminal, progress is plain lines naming their target.
    expect(result.stdout).toMatch(/^\[base x86_64 us-east-1\] .*Launching build instance/m);
    // A copy is its own run, named after the region it copies to.
    expect(result.stdout).toMatch(/^\[app arm64 us-west-2\] .*Copied to us-west-2: ami-/m);
    // The summary: a row per template, architecture and region.
    expect(result.stdout).toMatch(/^TEMPLATE\s+ARCH\s+REGION\s+RESULT\s+AMI\s+TIME$/m);
    expect(result.stdout).toContain('4 built, 12 copied, 0 up to date, 0 failed, 0 blocked');
    expect(result.stdout).toMatch(/^app\s+arm64\s+us-west-2\s+copied\s+ami-[0-9a-f]+\s+\d/m);
    expect(result.stdout).toMatch(/^base\s+x86_64\s+us-east-1\s+built\s+ami-[0-9a-f]+\s+\d/m);

    const current = await list();
    expect(current).toHaveLength(16);
    expect(current.every((i) => i.status === 'current' && i.validated)).toBe(true);
    expect(new Set(current.map((i) => `${i.template}/${i.architecture}/${i.region}`)).size).toBe(16);
    // Copies name the built image as their source; the same fingerprint in every region.
    for (const slug of ['base', 'app']) {
      for (const arch of ['x86_64', 'arm64']) {
        const slots = current.filter((i) => i.template === slug && i.architecture === arch);
        const built = slots.find((i) => i.region === 'us-east-1')!;
        expect(new Set(slots.map((i) => i.fingerprint)).size).toBe(1);
        expect(slots.filter((i) => i.region !== 'us-east-1').every((i) => i.source_ami === built.ami_id)).toBe(true);
      }
    }
    await clean();
  });

  test('a second build-all makes nothing: no RunInstances, CreateImage or CopyImage', async () => {
    const result = await prism(['ami', 'build-all', 'base', 'app', '--json']);
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 0, CreateImage: 0, CopyImage: 0 });
    const summary = summaryOf(result.stdout);
    expect(summary.status).toBe('succeeded');
    expect(summary.rows).toHaveLength(16);
    expect(summary.rows.every((r) => r.result === 'up to date' && r.imageId?.startsWith('ami-'))).toBe(true);
    await clean();
  });

  test("changing the parent's setup rebuilds the parent and the child only; an unrelated template stays skipped", async () => {
    await writeFile(
      join(dir, 'templates', 'other.yml'),
      template('Other', `base_ami: {source: al2023, architecture: [x86_64]}\nregions: [${REGIONS.join(', ')}]`, 'echo other'),
    );
    const first = await prism(['ami', 'build-all', 'other']);
    expect(first.code, first.stdout.slice(-2000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 1, CreateImage: 1, CopyImage: 3 });
    await clean();
    proxy.reset();

    await writeBase('echo "==> base v2"');
    const plan = JSON.parse((await prism(['ami', 'plan', '--json'])).stdout) as PlanJson;
    expect(plan.items.map((i) => `${i.key}:${i.action}:${i.reasons.map((r) => r.code).join('+')}`)).toEqual([
      'base/x86_64:build:changed',
      'base/arm64:build:changed',
      'app/x86_64:build:parent-rebuilt+changed',
      'app/arm64:build:parent-rebuilt+changed',
      'other/x86_64:skip:up-to-date',
    ]);
    proxy.reset();
    const result = await prism(['ami', 'build-all', '--concurrency', '1', '--json']);
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 4, CreateImage: 4, CopyImage: 12 });
    // --concurrency 1: each build (with its copies) is over before the next one launches.
    // Each build has two instances (the build's and its fresh-boot re-test's).
    const launches = proxy.calls.filter((c) => c.action === 'RunInstances' && runTags(c)['prism:role'] === 'build');
    launches.forEach((launch, i) => {
      const terminated = proxy.calls.filter((c) => c.action === 'TerminateInstances' && (c.done ?? Infinity) <= launch.at);
      expect(new Set(terminated.map((c) => c.params['InstanceId.1'])).size).toBe(2 * i);
    });
    expect(launchedTemplates()).toEqual(['app/arm64', 'app/x86_64', 'base/arm64', 'base/x86_64']);
    const rows = summaryOf(result.stdout).rows;
    expect(rows.filter((r) => r.template === 'other').map((r) => r.result)).toEqual([
      'up to date',
      'up to date',
      'up to date',
      'up to date',
    ]);
    expect(rows.filter((r) => r.template !== 'other').every((r) => r.result === (r.region === 'us-east-1' ? 'built' : 'copied'))).toBe(
      true,
    );
    const current = await list();
    expect(current).toHaveLength(20);
    for (const row of rows)
      expect(cell(rows, row.template, row.architecture, row.region).imageId).toBe(
        current.find((i) => i.template === row.template && i.architecture === row.architecture && i.region === row.region)!.ami_id,
      );
    await clean();
  });

  test('a failed build of one architecture of the child: the other architecture and the parent complete, exit 3', async () => {
    await writeBase('echo "==> base v3"');
    const before = await list();
    proxy.setRules([
      {
        action: 'RunInstances',
        when: isBuildOf('app', 'arm64'),
        error: { status: 400, code: 'InjectedFailure', message: 'injected launch failure' },
      },
    ]);
    const result = await prism(['ami', 'build-all']);
    expect(result.code, result.stdout.slice(-3000)).toBe(3);
    expect(proxy.calls.filter((c) => c.faulted).length).toBeGreaterThanOrEqual(1);
    // base: both architectures; app: x86_64 only.
    expect(made()).toEqual({ RunInstances: 3 + proxy.calls.filter((c) => c.faulted).length, CreateImage: 3, CopyImage: 9 });
    expect(result.stdout).toMatch(/^app\s+arm64\s+us-east-1\s+failed\s+-/m);
    for (const region of ['us-east-2', 'us-west-1', 'us-west-2'])
      expect(result.stdout).toMatch(new RegExp(`^app\\s+arm64\\s+${region}\\s+blocked\\s+-`, 'm'));
    expect(result.stdout).toMatch(/^app\s+x86_64\s+us-west-1\s+copied\s+ami-/m);
    expect(result.stdout).toMatch(/^base\s+arm64\s+us-east-1\s+built\s+ami-/m);
    expect(result.stdout).toContain('3 built, 9 copied, 4 up to date, 1 failed, 3 blocked');
    expect(result.stdout).toMatch(/Failures:\n\s+app arm64 us-east-1: .*InjectedFailure: injected launch failure\n/);

    const after = await list();
    const changed = (slug: string, arch: string) =>
      REGIONS.filter(
        (region) =>
          after.find((i) => i.template === slug && i.architecture === arch && i.region === region)!.ami_id !==
          before.find((i) => i.template === slug && i.architecture === arch && i.region === region)!.ami_id,
      );
    expect(changed('base', 'x86_64')).toEqual(REGIONS);
    expect(changed('base', 'arm64')).toEqual(REGIONS);
    expect(changed('app', 'x86_64')).toEqual(REGIONS);
    expect(changed('app', 'arm64')).toEqual([]);
    await clean();

    // What finished is kept: the next run builds only what failed.
    proxy.reset();
    const retry = await prism(['ami', 'build-all', '--json']);
    expect(retry.code, retry.stdout.slice(-2000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 1, CreateImage: 1, CopyImage: 3 });
    expect(launchedTemplates()).toEqual(['app/arm64']);
    await clean();
  });

  test('--fail-fast: the first failure cancels the builds still running, and nothing more is made', async () => {
    proxy.setRules([
      {
        action: 'RunInstances',
        when: isBuildOf('app', 'arm64'),
        error: { status: 400, code: 'InjectedFailure', message: 'injected launch failure' },
      },
      // Keeps the x86_64 build waiting on its launch until the arm64 failure has stopped the run.
      { action: 'RunInstances', when: isBuildOf('app', 'x86_64'), delayMs: 5_000 },
    ]);
    const result = await prism(['ami', 'build-all', 'app', '--force', 'app', '--fail-fast', '--json']);
    expect(result.code, result.stdout.slice(-3000)).toBe(1);
    const summary = summaryOf(result.stdout);
    expect(summary.status).toBe('failed');
    expect(cell(summary.rows, 'app', 'arm64', 'us-east-1').result).toBe('failed');
    expect(REGIONS.map((r) => cell(summary.rows, 'app', 'x86_64', r).result)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(summary.rows.filter((r) => r.template === 'base').every((r) => r.result === 'up to date')).toBe(true);
    expect(proxy.count('CreateImage')).toBe(0);
    expect(proxy.count('CopyImage')).toBe(0);
    await clean();

    // Without --fail-fast the same failure leaves the other architecture to finish.
    proxy.reset();
    proxy.setRules([
      {
        action: 'RunInstances',
        when: isBuildOf('app', 'arm64'),
        error: { status: 400, code: 'InjectedFailure', message: 'injected launch failure' },
      },
    ]);
    const onward = await prism(['ami', 'build-all', 'app', '--force', 'app', '--json']);
    expect(onward.code, onward.stdout.slice(-2000)).toBe(3);
    expect(summaryOf(onward.stdout).status).toBe('partial');
    expect(REGIONS.map((r) => cell(summaryOf(onward.stdout).rows, 'app', 'x86_64', r).result)).toEqual([
      'built',
      'copied',
      'copied',
      'copied',
    ]);
    await clean();
    // The failed forced rebuild left app/arm64's images as they were: nothing to do now.
    proxy.reset();
    expect((await prism(['ami', 'build-all', 'app'])).code).toBe(0);
    expect(made()).toEqual({ RunInstances: 0, CreateImage: 0, CopyImage: 0 });

    // --concurrency 1: base/x86_64 fails; base/arm64, which took the free slot, is stopped at
    // once; other/x86_64, still waiting for a slot, never starts. Each is reported in every region.
    proxy.reset();
    proxy.setRules([
      {
        action: 'RunInstances',
        when: isBuildOf('base', 'x86_64'),
        error: { status: 400, code: 'InjectedFailure', message: 'injected launch failure' },
      },
    ]);
    const queued = await prism([
      'ami',
      'build-all',
      'base',
      'other',
      '--force',
      'base,other',
      '--fail-fast',
      '--concurrency',
      '1',
      '--json',
    ]);
    expect(queued.code, queued.stdout.slice(-3000)).toBe(1);
    expect(proxy.count('CreateImage')).toBe(0);
    expect(launchedTemplates().filter((t) => t.startsWith('other/'))).toEqual([]);
    const rows = summaryOf(queued.stdout).rows;
    expect(rows).toHaveLength(12);
    expect(REGIONS.map((r) => cell(rows, 'base', 'x86_64', r).result)).toEqual(['failed', 'blocked', 'blocked', 'blocked']);
    expect(REGIONS.map((r) => cell(rows, 'base', 'arm64', r).result)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(REGIONS.map((r) => cell(rows, 'other', 'x86_64', r)?.result)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(
      events(queued.stdout).filter((ev) => ev.type === 'run-start' && (ev.target as { template: string }).template === 'other'),
    ).toEqual([]);
    await clean();
  });

  test('a region added: copies from the build region, no builds; the next run has nothing to do; per-region builds only there', async () => {
    const regions = [...REGIONS, 'eu-west-1'].join(',');
    const planned = await prism(['ami', 'plan', '--regions', regions, '--json']);
    expect(planned.code, planned.stdout.slice(-2000)).toBe(0);
    const plan = JSON.parse(planned.stdout) as PlanJson;
    expect(plan.items.map((i) => `${i.key}:${i.action}:${i.copyTo.join()}`)).toEqual([
      'base/x86_64:copy:eu-west-1',
      'base/arm64:copy:eu-west-1',
      'app/x86_64:copy:eu-west-1',
      'app/arm64:copy:eu-west-1',
      'other/x86_64:copy:eu-west-1',
    ]);
    expect(plan.totals).toMatchObject({ builds: 0, copies: 5, estimate: { instanceHours: 0 } });
    const human = await prism(['ami', 'plan', '--regions', regions]);
    expect(human.stdout).toMatch(
      /^base\s+x86_64\s+copy\s+\(us-east-1\)\s+eu-west-1\s+up to date in us-east-1, us-east-2, us-west-1, us-west-2; missing in eu-west-1$/m,
    );
    expect(human.stdout).toContain('Copying needs no build instance and makes identical images everywhere');

    const before = await list();
    proxy.reset();
    const result = await prism(['ami', 'build-all', '--regions', regions, '--json']);
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 0, CreateImage: 0, CopyImage: 5 });
    const copies = proxy.calls.filter((c) => c.action === 'CopyImage');
    expect(copies.every((c) => c.region === 'eu-west-1' && c.params.SourceRegion === 'us-east-1')).toBe(true);
    const rows = summaryOf(result.stdout).rows;
    expect(rows).toHaveLength(25);
    expect(rows.filter((r) => r.region === 'eu-west-1').every((r) => r.result === 'copied')).toBe(true);
    expect(
      rows
        .filter((r) => r.region !== 'eu-west-1')
        .every(
          (r) =>
            r.result === 'up to date' &&
            r.imageId ===
              before.find((i) => i.template === r.template && i.architecture === r.architecture && i.region === r.region)!.ami_id,
        ),
    ).toBe(true);
    const after = await list();
    expect(after).toHaveLength(25);
    for (const copy of after.filter((i) => i.region === 'eu-west-1')) {
      const source = after.find((i) => i.template === copy.template && i.architecture === copy.architecture && i.region === 'us-east-1')!;
      expect(copy).toMatchObject({ source_ami: source.ami_id, fingerprint: source.fingerprint, validated: true, status: 'current' });
    }
    for (const state of await cloudState(moto.endpoint, ['eu-west-1'])) {
      expect(state.liveInstances).toEqual([]);
      expect(state.images.map((i) => i.id).sort()).toEqual(
        after
          .filter((i) => i.region === 'eu-west-1')
          .map((i) => i.ami_id)
          .sort(),
      );
    }
    await clean();

    proxy.reset();
    const again = await prism(['ami', 'build-all', '--regions', regions, '--json']);
    expect(again.code).toBe(0);
    expect(made()).toEqual({ RunInstances: 0, CreateImage: 0, CopyImage: 0 });
    expect(summaryOf(again.stdout).rows.every((r) => r.result === 'up to date')).toBe(true);

    // --strategy per-region: a build in the added region only, for the parent and the child.
    const more = `${regions},eu-central-1`;
    proxy.reset();
    const perRegion = await prism(['ami', 'build-all', 'app', '--strategy', 'per-region', '--regions', more, '--json']);
    expect(perRegion.code, perRegion.stdout.slice(-3000)).toBe(0);
    expect(made()).toEqual({ RunInstances: 4, CreateImage: 4, CopyImage: 0 });
    expect(proxy.calls.filter((c) => c.action === 'RunInstances').every((c) => c.region === 'eu-central-1')).toBe(true);
    const perRegionRows = summaryOf(perRegion.stdout).rows;
    expect(perRegionRows).toHaveLength(2 * 2 * 6);
    expect(
      perRegionRows
        .filter((r) => r.result === 'built')
        .map((r) => `${r.template}/${r.architecture}/${r.region}`)
        .sort(),
    ).toEqual(['app/arm64/eu-central-1', 'app/x86_64/eu-central-1', 'base/arm64/eu-central-1', 'base/x86_64/eu-central-1']);
    expect(perRegionRows.filter((r) => r.region !== 'eu-central-1').every((r) => r.result === 'up to date')).toBe(true);
    // The child in the new region is built on the parent's image built there.
    const central = (await list()).filter((i) => i.region === 'eu-central-1');
    for (const arch of ['x86_64', 'arm64']) {
      expect(central.find((i) => i.template === 'app' && i.architecture === arch)!.source_ami).toBe(
        central.find((i) => i.template === 'base' && i.architecture === arch)!.ami_id,
      );
    }
    await clean();
  });

  test('validate on AWS records validated and validated_at in the registry', async () => {
    const file = join(dir, 'ami-registry.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as {
      templates: Record<
        string,
        {
          amis: Record<string, Record<string, Record<string, unknown>>>;
          history: Record<string, Record<string, Record<string, unknown>[]>>;
        }
      >;
    };
    const entry = doc.templates.app;
    const id = entry.amis['us-east-2'].x86_64.ami_id as string;
    // Take its validation away, as if it had never been validated.
    for (const h of [entry.amis['us-east-2'].x86_64, entry.history['us-east-2'].x86_64.find((x) => x.ami_id === id)!]) {
      h.validated = false;
      delete h.validated_at;
    }
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    const slot = async () => (await list()).find((i) => i.template === 'app' && i.region === 'us-east-2' && i.architecture === 'x86_64')!;
    expect(await slot()).toMatchObject({ ami_id: id, validated: false });
    expect((await slot()).validated_at).toBeUndefined();

    const started = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    proxy.reset();
    const result = await prism(['ami', 'validate', 'app', '--region', 'us-east-2', '--architecture', 'x86_64']);
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    // A fresh instance from the image, in its region, removed afterwards.
    const launch = proxy.calls.find((c) => c.action === 'RunInstances')!;
    expect(launch.region).toBe('us-east-2');
    expect(launch.params.ImageId).toBe(id);
    expect(proxy.count('TerminateInstances')).toBe(1);
    expect(proxy.count('CreateImage')).toBe(0);
    const after = await slot();
    expect(after).toMatchObject({ ami_id: id, validated: true, status: 'current' });
    expect(after.validated_at! >= started).toBe(true);
    await clean();
  });

  describe.sequential('cleanup --keep-latest 1', () => {
    let ec2m: typeof Ec2Module;
    const ec2 = (region: string) =>
      new ec2m.EC2Client({ region, endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    let instanceId: string;
    let byInstance: string;
    let byLaunchTemplate: string;
    /** Our images per region with their snapshots, as EC2 has them. */
    const ownImages = async (): Promise<Map<string, { region: string; snapshots: string[] }>> => {
      const map = new Map<string, { region: string; snapshots: string[] }>();
      for (const region of ALL_REGIONS) {
        const client = ec2(region);
        const images = await client.send(new ec2m.DescribeImagesCommand({ Owners: ['self'] }));
        for (const image of images.Images ?? [])
          map.set(image.ImageId!, {
            region,
            snapshots: (image.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((x): x is string => Boolean(x)),
          });
        client.destroy();
      }
      return map;
    };
    const snapshotsIn = async (region: string): Promise<Set<string>> => {
      const client = ec2(region);
      const result = await client.send(new ec2m.DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
      client.destroy();
      return new Set((result.Snapshots ?? []).map((x) => x.SnapshotId!));
    };
    interface Report {
      confirmed: boolean;
      items: { template: string; architecture: string; region: string; imageId: string; decision: string; why: string; status: string }[];
    }
    let expectedDeleted: string[];
    let newestOthers: Set<string>;
    let before: Map<string, { region: string; snapshots: string[] }>;

    beforeAll(async () => {
      ec2m = await import('@aws-sdk/client-ec2');
      const all = await list(true);
      const superseded = (slug: string, arch: string, region: string) =>
        all.filter((i) => i.template === slug && i.architecture === arch && i.region === region && i.status === 'superseded');
      // An old image still running as an instance, and another named by a launch template version.
      byInstance = superseded('base', 'x86_64', 'us-east-1').at(-1)!.ami_id;
      byLaunchTemplate = superseded('app', 'arm64', 'us-west-2').at(-1)!.ami_id;
      const east = ec2('us-east-1');
      const launched = await east.send(
        new ec2m.RunInstancesCommand({ ImageId: byInstance, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }),
      );
      instanceId = launched.Instances![0].InstanceId!;
      east.destroy();
      const west = ec2('us-west-2');
      const lt = await west.send(
        new ec2m.CreateLaunchTemplateCommand({
          LaunchTemplateName: 'web-fleet',
          LaunchTemplateData: {
            ImageId: all.find(
              (i) => i.template === 'app' && i.architecture === 'arm64' && i.region === 'us-west-2' && i.status === 'current',
            )!.ami_id,
            InstanceType: 't4g.micro',
          },
        }),
      );
      await west.send(
        new ec2m.CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId,
          LaunchTemplateData: { ImageId: byLaunchTemplate, InstanceType: 't4g.micro' },
        }),
      );
      west.destroy();
      // --keep-latest 1 keeps the current image and the newest one besides it (list --all is newest first).
      newestOthers = new Set<string>();
      const seen = new Set<string>();
      for (const i of all.filter((x) => x.status === 'superseded')) {
        const slot = `${i.template}/${i.architecture}/${i.region}`;
        if (!seen.has(slot)) newestOthers.add(i.ami_id);
        seen.add(slot);
      }
      expectedDeleted = all
        .filter((i) => i.status === 'superseded' && !newestOthers.has(i.ami_id) && i.ami_id !== byInstance && i.ami_id !== byLaunchTemplate)
        .map((i) => i.ami_id)
        .sort();
      before = await ownImages();
    });

    test('--dry-run lists what would go and why the rest stays, and deletes nothing', async () => {
      const result = await prism(['ami', 'cleanup', '--keep-latest', '1', '--dry-run', '--json']);
      expect(result.code, result.stdout.slice(-2000)).toBe(0);
      const report = JSON.parse(result.stdout) as Report;
      expect(report.confirmed).toBe(false);
      expect(
        report.items
          .filter((i) => i.status === 'would-delete')
          .map((i) => i.imageId)
          .sort(),
      ).toEqual(expectedDeleted);
      expect(expectedDeleted.length).toBeGreaterThanOrEqual(10);
      expect(newestOthers.size).toBeGreaterThanOrEqual(10);
      const kept = (id: string) => report.items.find((i) => i.imageId === id)!;
      expect(kept(byInstance)).toMatchObject({ decision: 'keep', status: 'kept', why: `used by instance ${instanceId} (running)` });
      expect(kept(byLaunchTemplate)).toMatchObject({
        decision: 'keep',
        status: 'kept',
        why: 'used by launch template web-fleet version 2',
      });
      const current = await list();
      for (const image of current) expect(kept(image.ami_id)).toMatchObject({ decision: 'keep', why: 'the current image' });
      expect(proxy.count('DeregisterImage') + proxy.count('DeleteSnapshot')).toBe(0);
      expect([...(await ownImages()).keys()].sort()).toEqual([...before.keys()].sort());

      const human = await prism(['ami', 'cleanup', '--keep-latest', '1', '--dry-run']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^TEMPLATE\s+REGION\s+ARCH\s+IMAGE\s+CREATED\s+ACTION\s+WHY$/m);
      expect(human.stdout).toMatch(new RegExp(`${byInstance}\\s+\\S+\\s+keep\\s+used by instance ${instanceId} \\(running\\)`));
      expect(human.stdout).toMatch(/would delete\s+older than the 1 newest besides the current one/);
      for (const id of newestOthers)
        if (id !== byInstance && id !== byLaunchTemplate)
          expect(kept(id)).toMatchObject({ decision: 'keep', why: 'one of the 1 newest besides the current one' });
      expect(human.stdout).toContain(`${expectedDeleted.length} would be deleted. Nothing was deleted.`);
    });

    test('without a terminal, --yes or --dry-run: exit 2 and nothing deleted', async () => {
      const result = await prism(['ami', 'cleanup', '--keep-latest', '1']);
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).toContain('pass --yes (or --dry-run to see the list)');
      expect(proxy.count('DeregisterImage') + proxy.count('DeleteSnapshot')).toBe(0);
      expect((await ownImages()).size).toBe(before.size);
    });

    test('--yes: keeps the current images and those in use, deregisters the others, deletes their snapshots, marks them deleted', async () => {
      const result = await prism(['ami', 'cleanup', '--keep-latest', '1', '--yes']);
      expect(result.code, result.stdout.slice(-2000)).toBe(0);
      expect(result.stdout).toContain(`${expectedDeleted.length} deleted (with their snapshots).`);
      expect(result.stdout).toMatch(new RegExp(`${byLaunchTemplate}\\s+\\S+\\s+keep\\s+used by launch template web-fleet version 2`));
      expect(
        proxy.calls
          .filter((c) => c.action === 'DeregisterImage')
          .map((c) => c.params.ImageId)
          .sort(),
      ).toEqual(expectedDeleted);

      const after = await ownImages();
      for (const id of expectedDeleted) expect(after.has(id), `${id} still registered`).toBe(false);
      for (const id of [byInstance, byLaunchTemplate, ...(await list()).map((i) => i.ami_id)])
        expect(after.has(id), `${id} was deleted`).toBe(true);
      // The deleted images' snapshots are gone; the kept images' snapshots are not.
      const deletedSnapshots = expectedDeleted.flatMap((id) =>
        before.get(id)!.snapshots.map((snap) => [before.get(id)!.region, snap] as const),
      );
      expect(deletedSnapshots.length).toBeGreaterThanOrEqual(expectedDeleted.length);
      for (const region of ALL_REGIONS) {
        const left = await snapshotsIn(region);
        expect(
          deletedSnapshots.filter(([r, snap]) => r === region && left.has(snap)),
          `snapshots left in ${region}`,
        ).toEqual([]);
        for (const [id, image] of after)
          if (image.region === region)
            for (const snap of image.snapshots) expect(left.has(snap), `snapshot ${snap} of kept ${id}`).toBe(true);
      }

      const registry = await list(true);
      for (const id of expectedDeleted) expect(registry.find((i) => i.ami_id === id)).toMatchObject({ status: 'deleted' });
      expect(registry.filter((i) => i.status === 'current')).toHaveLength(29);
      expect(registry.find((i) => i.ami_id === byInstance)!.status).toBe('superseded');
      expect(registry.find((i) => i.ami_id === byLaunchTemplate)!.status).toBe('superseded');
      const file = JSON.parse(await readFile(join(dir, 'ami-registry.json'), 'utf8')) as {
        templates: Record<string, { history: Record<string, Record<string, { ami_id: string; deleted_at?: string }[]>> }>;
      };
      const deletedEntry = Object.values(file.templates)
        .flatMap((t) => Object.values(t.history).flatMap((byArch) => Object.values(byArch).flat()))
        .find((h) => h.ami_id === expectedDeleted[0]);
      expect(deletedEntry?.deleted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      // Once the instance is gone, its image goes on the next cleanup.
      const east = ec2('us-east-1');
      await east.send(new ec2m.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      east.destroy();
      proxy.reset();
      const again = await prism(['ami', 'cleanup', '--keep-latest', '1', '--yes', '--json']);
      expect(again.code).toBe(0);
      expect((JSON.parse(again.stdout) as Report).items.filter((i) => i.status === 'deleted').map((i) => i.imageId)).toEqual([byInstance]);
      await clean();
    });
  });
});
