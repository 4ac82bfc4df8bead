import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { cloudState, createInstanceProfile, imageSnapshotTags, SEEDED, writeSeedAmis } from '../support/aws-env.js';
import { PRISM_BIN, runPrism } from '../support/cli.js';
import { FaultProxy, requestTags, type RecordedCall } from '../support/fault-proxy.js';
import { debianListing, ManifestMachine } from '../support/manifest-machine.js';
import { motoClients as clientsFor } from '../registry/helpers.js';
import { events } from '../support/local-env.js';
import { startMoto, type Moto } from '../support/moto.js';

/**
 * The AWS provider end to end: real `prism` processes, the AWS SDK, moto_server behind a
 * recording fault proxy. moto's Run Command always succeeds with empty output, so these tests
 * prove the control plane (what is created, tagged, waited for and removed); builds whose
 * commands really execute are in aws-twin.test.ts (the instance twin, docs/aws.md).
 */
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];

describe.sequential('aws builds against moto_server', { timeout: 120_000 }, () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-aws-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    await createInstanceProfile(moto.env);
    env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    const templates = join(dir, 'templates');
    await import('node:fs/promises').then((fs) => fs.mkdir(templates));
    const tiny = (name: string, base: string, extra = '') => `name: ${name}
${base}
regions: [us-east-1, us-east-2, us-west-1, us-west-2]
setup_script: |
  #!/bin/bash
  set -euo pipefail
  echo "==> configuring"
validation_tests:
  - name: shell works
    command: "true"
    expected_exit_code: 0
${extra}`;
    await writeFile(
      join(templates, 'tiny.yml'),
      tiny(
        'Tiny',
        'base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}',
        'build: {volume_size_gb: 20}\ntags: {team: research}\n',
      ),
    );
    await writeFile(join(templates, 'amazon.yml'), tiny('Amazon', 'base_ami: {source: al2023, architecture: [x86_64]}'));
    await writeFile(join(templates, 'child.yml'), tiny('Child', 'extends: tiny'));
    await writeFile(join(templates, 'debian.yml'), tiny('Debian', 'base_ami: {source: debian-12, architecture: [x86_64]}'));
    await writeFile(
      join(dir, 'prism-ami.config.yaml'),
      'templatesDir: templates\ninstanceProfile: prism-builder\ninstanceProfileWaitSeconds: 2\nreadyTimeoutMinutes: 2\nimageTimeoutMinutes: 2\nregions: [us-east-1, us-east-2, us-west-1, us-west-2]\n',
    );
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Every AWS action any build here made, and every call that creates something (with what it
  // asked for), to check against `prism ami iam-policy`.
  const seenActions = new Set<string>();
  const seenCreates: RecordedCall[] = [];
  const CREATING = ['RunInstances', 'CreateSecurityGroup', 'CreateImage', 'CopyImage'];
  const remember = () => {
    for (const call of proxy.calls) {
      if (call.faulted) continue;
      seenActions.add(`${call.service}:${call.action}`);
      if (call.service === 'ec2' && CREATING.includes(call.action)) seenCreates.push(call);
    }
  };
  beforeEach(() => {
    remember();
    proxy.reset();
  });

  const prism = (args: string[], extraEnv: Record<string, string> = {}) => runPrism(args, { cwd: dir, env: { ...env, ...extraEnv } });
  const param = (action: string, key: string, index = 0) => proxy.calls.filter((c) => c.action === action)[index]?.params[key];
  const clean = async () => {
    for (const state of await cloudState(moto.endpoint, REGIONS)) {
      expect(state.liveInstances, `instances left in ${state.region}`).toEqual([]);
      expect(state.buildGroups, `security groups left in ${state.region}`).toEqual([]);
      expect(
        state.images.filter((i) => i.tags['prism:status'] !== 'complete'),
        `unfinished images in ${state.region}`,
      ).toEqual([]);
    }
  };
  const imagesOf = async (buildId: string) =>
    (await cloudState(moto.endpoint, REGIONS)).flatMap((s) =>
      s.images.filter((i) => i.tags['prism:build-id'] === buildId).map((i) => ({ ...i, region: s.region })),
    );

  test('a full build: base found, instance launched as specified, image tagged with its snapshots, nothing left', async () => {
    const result = await prism([
      'ami',
      'build',
      'tiny',
      '--architecture',
      'x86_64',
      '--region',
      'us-east-1',
      '--version',
      'v1.2.3',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const all = events(result.stdout);
    const base = all.find((e) => e.type === 'step-end' && e.step === 'find-base') as { detail: string };
    // The newer of the two Ubuntu 22.04 images, shown with its name.
    expect(base.detail).toBe(`${SEEDED.jammyAmd64} (ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240601)`);
    const end = all.at(-1) as { status: string; image: { id: string; name: string } };
    expect(end.status).toBe('succeeded');
    expect(end.image.name).toMatch(/^tiny-v1\.2\.3-x86_64-\d{8}T\d{6}Z$/);

    // What was asked of EC2.
    expect(param('RunInstances', 'MetadataOptions.HttpTokens')).toBe('required');
    expect(param('RunInstances', 'BlockDeviceMapping.1.Ebs.Encrypted')).toBe('true');
    expect(param('RunInstances', 'BlockDeviceMapping.1.Ebs.VolumeType')).toBe('gp3');
    expect(param('RunInstances', 'BlockDeviceMapping.1.Ebs.VolumeSize')).toBe('20');
    expect(param('RunInstances', 'IamInstanceProfile.Name')).toBe('prism-builder');
    expect(param('RunInstances', 'ClientToken')).toMatch(/^build-[0-9a-f]{12}-ami-/);
    expect(param('RunInstances', 'InstanceType')).toBe('t3.medium');
    expect(param('RunInstances', 'InstanceInitiatedShutdownBehavior')).toBe('terminate');
    expect([param('RunInstances', 'TagSpecification.1.ResourceType'), param('RunInstances', 'TagSpecification.2.ResourceType')]).toEqual([
      'instance',
      'volume',
    ]);
    expect(
      proxy.calls
        .filter((c) => c.action === 'RunInstances')
        .flatMap((c) =>
          Object.entries(c.params)
            .filter(([k]) => /^TagSpecification\.1\.Tag\.\d+\.Key$/.test(k))
            .map(([, v]) => v),
        ),
    ).toEqual(expect.arrayContaining(['prism:managed', 'prism:build-id', 'prism:template', 'Name']));
    expect(param('CreateSecurityGroup', 'GroupName')).toMatch(/^prism-build-/);
    expect(proxy.calls.filter((c) => c.action === 'AuthorizeSecurityGroupIngress')).toEqual([]);
    expect(
      proxy.calls
        .filter((c) => c.action === 'SendCommand')
        .every((c) => (c.params as { DocumentName?: string }).DocumentName === 'AWS-RunShellScript'),
    ).toBe(true);
    expect(param('ModifyImageAttribute', 'ImdsSupport.Value')).toBe('v2.0');
    // Two instances: the build, and the fresh-boot re-test from the new image, in one security
    // group; the build instance is let go as soon as its image is made; both are terminated.
    const launches = proxy.calls.filter((c) => c.action === 'RunInstances');
    expect(launches.map((c) => c.params.ImageId)).toEqual([SEEDED.jammyAmd64, end.image.id]);
    expect(launches.map((c) => requestTags(c)['prism:role'])).toEqual(['build', 'retest']);
    expect(proxy.count('CreateSecurityGroup')).toBe(1);
    const terminated = new Set(proxy.calls.filter((c) => c.action === 'TerminateInstances').map((c) => c.params['InstanceId.1']));
    expect(terminated.size).toBe(2);
    const released = proxy.calls.findIndex((c) => c.action === 'TerminateInstances');
    expect(released).toBeLessThan(proxy.calls.findIndex((c) => c.action === 'RunInstances' && c.params.ImageId === end.image.id));
    expect(proxy.count('DeleteSecurityGroup')).toBeGreaterThanOrEqual(1);

    // The image and its snapshots carry the build's tags.
    const [state] = await cloudState(moto.endpoint, ['us-east-1']);
    const image = state.images.find((i) => i.id === end.image.id)!;
    expect(image.tags).toMatchObject({
      'prism:template': 'tiny',
      'prism:version': 'v1.2.3',
      'prism:architecture': 'x86_64',
      'prism:source-image': SEEDED.jammyAmd64,
      'prism:validated': 'true',
      'prism:created-by': 'prism-ami',
      'prism:status': 'complete',
      team: 'research',
    });
    expect(image.tags['prism:fingerprint']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.tags['prism:build-id']).toMatch(/^build-/);
    const tagged = proxy.calls
      .filter((c) => c.action === 'CreateTags')
      .flatMap((c) =>
        Object.entries(c.params)
          .filter(([k]) => k.startsWith('ResourceId.'))
          .map(([, v]) => v),
      );
    expect(tagged.some((id) => String(id).startsWith('snap-'))).toBe(true);
    // The snapshots are tagged by CreateImage itself (what the builder policy requires), then
    // marked complete with the image.
    expect([param('CreateImage', 'TagSpecification.1.ResourceType'), param('CreateImage', 'TagSpecification.2.ResourceType')]).toEqual([
      'image',
      'snapshot',
    ]);
    const snapshots = Object.values(await imageSnapshotTags(moto.endpoint, 'us-east-1', end.image.id));
    expect(snapshots.length).toBeGreaterThan(0);
    for (const tags of snapshots) {
      expect(tags).toMatchObject({ 'prism:managed': 'true', 'prism:build-id': image.tags['prism:build-id'], 'prism:status': 'complete' });
    }
    await clean();
  });

  test('an unchanged template is skipped: its image is found by fingerprint tags', async () => {
    const result = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is up to date');
    expect(proxy.count('RunInstances')).toBe(0);
  });

  test('copies to 3 regions: all at once, encrypted, idempotency tokens, tagged in every region', async () => {
    const result = await prism([
      'ami',
      'build',
      'tiny',
      '--arch',
      'arm64',
      '--region',
      'us-east-1',
      '--copy-to',
      'us-east-2,us-west-1,us-west-2',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const end = events(result.stdout).at(-1) as { image: { id: string }; copies: { region: string; id: string }[] };
    expect(end.copies.map((c) => c.region).sort()).toEqual(['us-east-2', 'us-west-1', 'us-west-2']);
    const copies = proxy.calls.filter((c) => c.action === 'CopyImage');
    expect(copies.map((c) => c.region).sort()).toEqual(['us-east-2', 'us-west-1', 'us-west-2']);
    expect(copies.every((c) => c.params.Encrypted === 'true' && String(c.params.ClientToken).endsWith(`-${c.region}`))).toBe(true);
    expect(param('RunInstances', 'InstanceType')).toBe('t4g.medium');
    const buildId =
      (await imagesOf('')).length === 0
        ? String(proxy.calls.find((c) => c.action === 'CopyImage')!.params.ClientToken).replace(/-us-.*$/, '')
        : '';
    const made = await imagesOf(buildId);
    expect(made.map((i) => i.region).sort()).toEqual(['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2']);
    for (const copy of made.filter((i) => i.region !== 'us-east-1')) {
      expect(copy.tags).toMatchObject({
        'prism:template': 'tiny',
        'prism:status': 'complete',
        'prism:copied-from': `us-east-1/${end.image.id}`,
      });
      for (const tags of Object.values(await imageSnapshotTags(moto.endpoint, copy.region, copy.id))) {
        expect(tags).toMatchObject({
          'prism:managed': 'true',
          'prism:status': 'complete',
          'prism:copied-from': `us-east-1/${end.image.id}`,
        });
      }
    }
    // Each copy is tagged as it is made (building until it is available), not with the source's tags.
    for (const copy of copies) {
      expect(copy.params.CopyImageTags).toBeUndefined();
      expect([copy.params['TagSpecification.1.ResourceType'], copy.params['TagSpecification.2.ResourceType']]).toEqual([
        'image',
        'snapshot',
      ]);
    }
    await clean();
  });

  test('base lookup through the public SSM parameter (al2023) and the DescribeImages fallback (ubuntu)', async () => {
    const amazon = await prism(['ami', 'build', 'amazon', '--region', 'us-east-1', '--json']);
    expect(amazon.code).toBe(0);
    const parameterCalls = proxy.calls.filter((c) => c.action === 'GetParameter');
    expect(parameterCalls.map((c) => c.params.Name)).toEqual(['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64']);
    expect(proxy.calls.filter((c) => c.action === 'DescribeImages').some((c) => c.params['Owner.1'] === 'amazon')).toBe(false);
    proxy.reset();
    const ubuntu = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-2', '--json']);
    expect(ubuntu.code).toBe(0);
    expect(proxy.calls.find((c) => c.action === 'GetParameter')!.params.Name).toBe(
      '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id',
    );
    const fallback = proxy.calls.find((c) => c.action === 'DescribeImages' && c.params['Owner.1'] !== 'self' && 'Owner.1' in c.params)!;
    expect(fallback.params['Owner.1']).toBe('099720109477');
    expect(param('RunInstances', 'ImageId')).toBe(SEEDED.jammyAmd64);
    await clean();
  });

  // A failure at every step that talks to AWS; after each, nothing of the build remains.
  const failures: [string, string, number, string | undefined][] = [
    ['preflight (credentials check)', 'GetCallerIdentity', 0, undefined],
    ['find base', 'DescribeImages', 0, undefined],
    ['security group', 'CreateSecurityGroup', 0, undefined],
    ['launch', 'RunInstances', 0, undefined],
    ['wait for status checks', 'DescribeInstanceStatus', 0, undefined],
    ['SSM agent check', 'SendCommand', 0, undefined],
    ['setup command', 'SendCommand', 1, undefined],
    ['setup result', 'GetCommandInvocation', 1, undefined],
    ['validation test', 'SendCommand', 2, undefined],
    ['create image', 'CreateImage', 0, undefined],
    ['wait for the image', 'DescribeImages', 2, undefined],
    ['IMDSv2 on the image', 'ModifyImageAttribute', 0, undefined],
    // The image and its snapshots are tagged by CreateImage; the first CreateTags marks them complete.
    ['record (final tags)', 'CreateTags', 0, undefined],
  ];
  test.each(failures)('a failure at %s (%s) removes everything the build made', async (_step, action, skip) => {
    proxy.setRules([{ action, skip, times: 1, error: { status: 400, code: 'InjectedFailure', message: `injected at ${action}` } }]);
    const result = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-west-2', '--force', '--json']);
    expect(result.code, result.stdout.slice(-2000)).toBe(1);
    const end = events(result.stdout).at(-1) as { status: string; error: { message: string }; image?: unknown };
    expect(end.status).toBe('failed');
    expect(end.error.message).toContain('InjectedFailure');
    expect(end.image).toBeUndefined();
    expect(proxy.calls.some((c) => c.faulted)).toBe(true);
    const buildId = String(events(result.stdout).find((e) => e.type === 'run-start')!.buildId);
    expect(await imagesOf(buildId)).toEqual([]);
    await clean();
  });

  test('a failed copy keeps the image and the other copies, removes its own half, and exits 3', async () => {
    proxy.setRules([{ action: 'CopyImage', region: 'us-west-1', error: { status: 400, code: 'InjectedFailure' } }]);
    const result = await prism([
      'ami',
      'build',
      'tiny',
      '--arch',
      'x86_64',
      '--region',
      'us-east-1',
      '--force',
      '--copy-to',
      'us-east-2,us-west-1',
      '--json',
    ]);
    expect(result.code).toBe(3);
    const end = events(result.stdout).at(-1) as { status: string; copies: { region: string }[] };
    expect(end.status).toBe('partial');
    expect(end.copies.map((c) => c.region)).toEqual(['us-east-2']);
    await clean();
  });

  test('throttling is retried by the SDK and the build succeeds', async () => {
    proxy.setRules([
      { action: 'RunInstances', times: 2, error: { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' } },
    ]);
    const result = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-west-1', '--force']);
    expect(result.code, result.stdout).toBe(0);
    // Two throttled tries and the build's launch, then the fresh-boot re-test's.
    expect(proxy.count('RunInstances')).toBe(4);
    expect(
      proxy.calls
        .filter((c) => c.action === 'RunInstances')
        .slice(0, 3)
        .map((c) => c.params.ClientToken)
        .every((t, _i, all) => t === all[0]),
    ).toBe(true);
    await clean();
  });

  test('SIGINT while waiting for the instance: cleanup runs, exit 130, nothing left', async () => {
    proxy.setRules([{ action: 'DescribeInstanceStatus', delayMs: 60_000 }]);
    const { code, stdout } = await runAndSignal(
      ['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-2', '--force'],
      'Waiting for instance ready',
      'SIGINT',
    );
    expect(code).toBe(130);
    expect(stdout).toContain('Build cancelled');
    await clean();
  });

  test('Ctrl-C while AWS is creating something: what it made is still registered and removed', async () => {
    // The security group is made at once, but its answer comes late: an aborted request would
    // lose it. Create calls are never aborted half-way.
    proxy.setRules([{ action: 'CreateSecurityGroup', delayResponseMs: 3000 }]);
    const { code, stdout } = await runAndSignal(
      ['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-west-2', '--force'],
      'Launching build instance',
      'SIGINT',
    );
    expect(code).toBe(130);
    expect(stdout).toContain('Build cancelled');
    expect(proxy.count('DeleteSecurityGroup')).toBeGreaterThanOrEqual(1);
    await clean();
  });

  test('sweep removes what a killed run left, from its journal and by tags', async () => {
    proxy.setRules([{ action: 'DescribeInstanceStatus', delayMs: 60_000 }]);
    const killed = await runAndSignal(
      ['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-2', '--force'],
      'Waiting for instance ready',
      'SIGKILL',
    );
    expect(killed.code).toBe(null);
    const [left] = await cloudState(moto.endpoint, ['us-east-2']);
    expect(left.liveInstances.length).toBe(1);
    expect(left.buildGroups.length).toBe(1);
    proxy.reset();
    const dry = await prism(['ami', 'sweep', '--provider', 'aws', '--dry-run']);
    expect(dry.stdout).toMatch(/would remove\s+instance i-/);
    expect(proxy.count('TerminateInstances')).toBe(0);
    const swept = await prism(['ami', 'sweep', '--provider', 'aws']);
    expect(swept.code, swept.stdout).toBe(0);
    expect(swept.stdout).toMatch(/removed\s+instance i-/);
    expect(swept.stdout).toMatch(/removed\s+security group sg-/);
    await clean();

    // No journal (another machine's run): found by the prism:managed tag once old enough.
    proxy.setRules([{ action: 'DescribeInstanceStatus', delayMs: 60_000 }]);
    await runAndSignal(
      ['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-west-1', '--force'],
      'Waiting for instance ready',
      'SIGKILL',
    );
    for (const file of await readdir(join(dir, 'state', 'runs'))) await rm(join(dir, 'state', 'runs', file));
    proxy.reset();
    const young = await prism(['ami', 'sweep', '--provider', 'aws']);
    expect(young.stdout).toContain('Nothing to sweep');
    const old = await prism(['ami', 'sweep', '--provider', 'aws', '--older-than', '0s']);
    expect(old.stdout).toMatch(/removed\s+instance i-.* \(found by scan\)/);
    await clean();
  });

  test('--dry-run proves permissions with EC2 DryRun and creates nothing', async () => {
    const result = await prism([
      'ami',
      'build',
      'tiny',
      '--arch',
      'x86_64',
      '--region',
      'us-east-1',
      '--dry-run',
      '--copy-to',
      'us-west-2',
    ]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('✅ ec2:RunInstances (t3.medium): allowed (DryRun)');
    expect(result.stdout).toContain('✅ ec2:CopyImage to us-west-2: allowed (DryRun)');
    expect(result.stdout).toContain('Nothing was created.');
    expect(
      proxy.calls
        .filter((c) => ['RunInstances', 'CreateSecurityGroup', 'CopyImage'].includes(c.action))
        .every((c) => c.params.DryRun === 'true'),
    ).toBe(true);
    await clean();
  });

  test('no credentials is a clear error naming the ways to provide them', async () => {
    const result = await runPrism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1', '--force'], {
      cwd: dir,
      env: {
        AWS_ENDPOINT_URL: proxy.endpoint,
        PRISM_AMI_STATE_DIR: join(dir, 'state'),
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: '',
        HOME: dir,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: join(dir, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      },
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('no usable AWS credentials');
    expect(result.stdout).toMatch(/AWS_PROFILE.*AWS_ACCESS_KEY_ID/);
  });

  test('a missing instance profile is a clear error after a short retry, and nothing is left', async () => {
    const result = await prism([
      'ami',
      'build',
      'tiny',
      '--arch',
      'x86_64',
      '--region',
      'us-east-1',
      '--force',
      '--instance-profile',
      'no-such-profile',
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('the instance profile "no-such-profile" does not exist or cannot be used');
    expect(result.stdout).toContain('prism ami iam-policy');
    await clean();
  });

  test("an extends child is launched from its parent's image", async () => {
    const parent = (await cloudState(moto.endpoint, ['us-east-1']))[0].images.find(
      (i) =>
        i.tags['prism:template'] === 'tiny' &&
        i.tags['prism:architecture'] === 'x86_64' &&
        i.tags['prism:status'] === 'complete' &&
        !i.tags['prism:copied-from'],
    )!;
    const result = await prism(['ami', 'build', 'child', '--arch', 'x86_64', '--region', 'us-east-1', '--json']);
    expect(result.code, result.stdout.slice(-1500)).toBe(0);
    const fingerprintOfParent = parent.tags['prism:fingerprint'];
    expect(proxy.calls.some((c) => c.action === 'DescribeImages' && Object.values(c.params).includes(fingerprintOfParent))).toBe(true);
    const launchedFrom = param('RunInstances', 'ImageId');
    const parentIds = (await cloudState(moto.endpoint, ['us-east-1']))[0].images
      .filter((i) => i.tags['prism:fingerprint'] === fingerprintOfParent)
      .map((i) => i.id);
    expect(parentIds).toContain(launchedFrom);
    await clean();
  });

  test('a Debian base (no SSM agent) is launched with user data that installs it; Ubuntu and the re-test instance are not', async () => {
    const result = await prism(['ami', 'build', 'debian', '--region', 'us-east-1']);
    expect(result.code, result.stdout.slice(-1500)).toBe(0);
    expect(result.stdout).toContain('waiting for the SSM agent, which the user data installs (the base image has none)');
    const launches = proxy.calls.filter((c) => c.action === 'RunInstances');
    expect(launches.map((c) => requestTags(c)['prism:role'])).toEqual(['build', 'retest']);
    const userData = Buffer.from(String(launches[0].params.UserData), 'base64').toString('utf8');
    expect(userData).toMatch(/^#!\/bin\/sh\n# prism-ami: install the SSM agent/);
    expect(userData).toContain("fetch 'https://s3.us-east-1.amazonaws.com/amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb'");
    expect(userData).toContain('gpgv --keyring');
    expect(launches[1].params.UserData).toBeUndefined();
    proxy.reset();
    const ubuntu = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1', '--force']);
    expect(ubuntu.code, ubuntu.stdout.slice(-1500)).toBe(0);
    expect(ubuntu.stdout).toContain('waiting for the SSM agent (it comes with the base image)');
    expect(proxy.calls.filter((c) => c.action === 'RunInstances').map((c) => c.params.UserData)).toEqual([undefined, undefined]);
    await clean();
  });

  test('the package manifest: collected over SSM, read back in pieces, stored next to an S3 registry, tagged on the image (moto: the output is seeded)', async () => {
    // moto's Run Command answers every command with empty output: the proxy answers the manifest
    // commands as an instance would (test/support/manifest-machine.ts), everything else is moto's.
    const many = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [`lib${i.toString(36)}-${(i * 7919).toString(16)}`, `${i}.${i % 7}-${i % 13}`]),
    );
    const machine = new ManifestMachine(debianListing({ ...many, openssl: '3.0.2-0ubuntu1.15', bash: '5.1-6ubuntu1' }));
    proxy.seedCommandOutput((commands) => machine.answerCommandLines(commands));
    const clients = clientsFor(moto.env);
    const s3 = await clients.s3('us-east-1');
    await s3.send(new CreateBucketCommand({ Bucket: 'manifest-registry' }));
    const registry = 's3://manifest-registry/prism/ami-registry.json';
    try {
      const result = await prism([
        'ami',
        'build',
        'tiny',
        '--arch',
        'x86_64',
        '--region',
        'us-west-1',
        '--force',
        '--registry',
        registry,
        '--json',
      ]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const all = events(result.stdout);
      const step = all.find((e) => e.type === 'step-end' && e.step === 'manifest') as { status: string; detail: string };
      expect(step.detail).toMatch(/^3002 packages \(dpkg 3002\), sha256:/);
      // The listing (about 100 KB) is larger than one SSM output: it was read in several pieces.
      const pieces = proxy.calls.filter(
        (c) => c.action === 'SendCommand' && JSON.stringify(c.params).includes('f=/run/prism-ami/manifest.txt; o='),
      );
      expect(pieces.length).toBeGreaterThan(1);
      const end = all.at(-1) as { image: { id: string } };
      const shown = await prism(['ami', 'manifest', end.image.id, '--registry', registry, '--json']);
      const manifest = JSON.parse(shown.stdout) as {
        recorded: boolean;
        manifest_digest: string;
        manifest: { packages: { dpkg: { name: string; version: string }[] } };
      };
      expect(manifest.recorded).toBe(true);
      expect(manifest.manifest.packages.dpkg.find((p) => p.name === 'openssl')).toMatchObject({ version: '3.0.2-0ubuntu1.15' });
      const [state] = await cloudState(moto.endpoint, ['us-west-1']);
      expect(state.images.find((i) => i.id === end.image.id)?.tags['prism:manifest']).toBe(manifest.manifest_digest);
      const sidecar = await s3.send(
        new GetObjectCommand({ Bucket: 'manifest-registry', Key: `prism/ami-registry.manifests/${end.image.id}.json` }),
      );
      expect(JSON.parse(await sidecar.Body!.transformToString())).toMatchObject({
        image_id: end.image.id,
        digest: manifest.manifest_digest,
        region: 'us-west-1',
      });
      // The policy for this registry allows writing the sidecars.
      const policy = JSON.parse((await prism(['ami', 'iam-policy', '--registry', registry])).stdout) as {
        builder: { Statement: { Sid?: string; Resource: string[] }[] };
      };
      expect(policy.builder.Statement.find((s) => s.Sid === 'Registry')?.Resource).toContain(
        'arn:aws:s3:::manifest-registry/prism/ami-registry.manifests/*',
      );
    } finally {
      proxy.seedCommandOutput(undefined);
      clients.destroy();
    }
    // The registry's S3 calls (recorded by HTTP method) are checked against the Registry statement
    // above; the policy check at the end is for builds with a file registry.
    proxy.calls = proxy.calls.filter((c) => c.service !== 's3');
    await clean();
  });

  test('without seeding (moto prints nothing), the build goes on and says no manifest was recorded', async () => {
    const result = await prism(['ami', 'build', 'amazon', '--arch', 'x86_64', '--region', 'us-west-1', '--force', '--json']);
    expect(result.code).toBe(0);
    const all = events(result.stdout);
    expect(all.find((e) => e.type === 'step-end' && e.step === 'manifest')).toMatchObject({ status: 'ok', detail: 'not recorded' });
    expect(all.find((e) => e.type === 'notice' && e.level === 'warning')).toMatchObject({
      message: expect.stringContaining('no package manifest was recorded for this image') as unknown,
    });
    const end = all.at(-1) as { image: { id: string } };
    expect(JSON.parse((await prism(['ami', 'manifest', end.image.id, '--json'])).stdout)).toMatchObject({ recorded: false });
    await clean();
  });

  test('`prism ami iam-policy` allows every call the builds above made, with the tags it requires', async () => {
    remember();
    // The role comes from instanceProfile in prism-ami.config.yaml (prism-builder here).
    const result = await prism(['ami', 'iam-policy']);
    expect(result.code).toBe(0);
    const { builder, instanceProfile } = JSON.parse(result.stdout) as {
      builder: {
        Statement: { Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }[];
      };
      instanceProfile: { roleName: string; managedPolicyArns: string[] };
    };
    const allowed = new Set(builder.Statement.flatMap((s) => s.Action));
    const used = [...seenActions];
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((a) => !allowed.has(a))).toEqual([]);
    expect(instanceProfile.managedPolicyArns).toContain('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
    expect(instanceProfile.roleName).toBe('prism-builder');
    expect(builder.Statement.flatMap((s) => (s.Action.includes('iam:PassRole') ? [s.Resource] : []))).toEqual([
      'arn:aws:iam::*:role/prism-builder',
    ]);

    // The resource types the policy lets each creating call make only with prism:managed=true
    // in the request (arn:aws:ec2:*::snapshot/* → snapshot) ...
    const requestTagged = (action: string) =>
      builder.Statement.filter(
        (s) => s.Action.includes(`ec2:${action}`) && s.Condition?.StringEquals?.['aws:RequestTag/prism:managed'] === 'true',
      )
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
        .map((arn) => /:([a-z-]+)\/\*$/.exec(arn)?.[1] ?? arn);
    // ... and what each recorded call asked for: TagSpecification.N.ResourceType with its tags.
    const tagsOf = (call: RecordedCall, type: string) => {
      const p = call.params as Record<string, string>;
      for (let n = 1; p[`TagSpecification.${n}.ResourceType`]; n++) {
        if (p[`TagSpecification.${n}.ResourceType`] !== type) continue;
        const tags: Record<string, string> = {};
        for (let m = 1; p[`TagSpecification.${n}.Tag.${m}.Key`]; m++)
          tags[p[`TagSpecification.${n}.Tag.${m}.Key`]] = p[`TagSpecification.${n}.Tag.${m}.Value`];
        return tags;
      }
      return undefined;
    };
    expect([...new Set(seenCreates.map((c) => c.action))].sort()).toEqual([...CREATING].sort());
    const untagged: string[] = [];
    for (const action of CREATING) {
      const types = requestTagged(action);
      expect(types.length, `the policy conditions ${action} on request tags`).toBeGreaterThan(0);
      for (const call of seenCreates.filter((c) => c.action === action)) {
        for (const type of types) {
          if (tagsOf(call, type)?.['prism:managed'] !== 'true')
            untagged.push(`${action} in ${call.region}${call.params.DryRun ? ' (DryRun)' : ''}: ${type}`);
        }
      }
    }
    expect(untagged).toEqual([]);
  });

  /** Starts a build, waits for a line, sends a signal, returns when it exits. */
  async function runAndSignal(args: string[], waitFor: string, signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string }> {
    const child = spawn(process.execPath, [PRISM_BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes(waitFor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toContain(waitFor);
    await new Promise((r) => setTimeout(r, 300));
    child.kill(signal);
    return { code: await exited, stdout };
  }
});
