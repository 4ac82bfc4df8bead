import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTagsCommand, DescribeImagesCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/core/aws-clients.js';
import { REPO_ROOT, runPrism, type CliResult } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { freePort, startMoto, type Moto } from '../support/moto.js';
import { tempDir } from '../support/temp.js';
import { createBucket, motoClients } from './helpers.js';

let moto: Moto;
let clients: AwsClients;

beforeAll(async () => {
  requireBuild();
  moto = await startMoto();
  clients = motoClients(moto.env);
});
afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

/** A project with the bundled templates. */
async function project(): Promise<{ cwd: string; prism: (args: string[], env?: Record<string, string>) => Promise<CliResult> }> {
  const cwd = await tempDir();
  await cp(join(REPO_ROOT, 'templates'), join(cwd, 'templates'), { recursive: true });
  return { cwd, prism: (args, env = {}) => runPrism(['ami', ...args], { cwd, env: { ...moto.env, ...env } }) };
}

/** An image in moto with the tags a prism build puts on it. */
async function registerImage(region: string, name: string, tags: Record<string, string>): Promise<string> {
  const ec2 = await clients.ec2(region);
  const { ImageId } = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: '/dev/sda1',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 12 } }],
    }),
  );
  if (Object.keys(tags).length > 0)
    await ec2.send(new CreateTagsCommand({ Resources: [ImageId!], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  return ImageId!;
}

const buildTags = (template: string, arch: string, n: number) => ({
  'prism:managed': 'true',
  'prism:template': template,
  'prism:version': `1.2.${n}`,
  'prism:fingerprint': `sha256:${String(n).repeat(8)}`,
  'prism:source-image': 'ami-0base000000000000a',
  'prism:build-id': `build-00000000000${n}`,
  'prism:architecture': arch,
  'prism:validated': 'true',
  'prism:created-by': 'prism-ami',
});

function expectBadInput(result: CliResult, code: string, text: string): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toContain(`[${code}]`);
  expect(result.stderr).toContain(text);
  expect(result.stdout).toBe('');
  expectNoStackTrace(result);
}

describe('update-registry, list, resolve, rollback, revoke (moto EC2)', () => {
  it('records images found by their build tags, or named with --ami; the rest follows', async () => {
    const { cwd, prism } = await project();
    const region = 'us-east-2';
    const older = await registerImage(region, 'r-research-1.2.1-x86_64', buildTags('r-research', 'x86_64', 1));
    await new Promise((r) => setTimeout(r, 1100)); // EC2 creation dates have whole seconds
    const newer = await registerImage(region, 'r-research-1.2.2-x86_64', buildTags('r-research', 'x86_64', 2));
    await registerImage(region, 'r-research-arm', buildTags('r-research', 'arm64', 3));
    const other = await registerImage(region, 'python', buildTags('python-research', 'x86_64', 4));
    const untagged = await registerImage(region, 'hand-made', {});
    const where = ['--region', region, '--architecture', 'x86_64'];

    // Without --ami: the newest available image tagged for the template and architecture.
    const found = await prism(['update-registry', 'r-research', ...where]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe(`Recorded r-research.${region}.x86_64 = ${newer} (version 1.2.2, validated)\n`);
    // With --ami: that image (an older one, here), which becomes current.
    const named = await prism(['update-registry', 'r-research', ...where, '--ami', older, '--json']);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ amiId: older, version: '1.2.1', outcome: { status: 'recorded', previous: newer } });
    const again = await prism(['update-registry', 'r-research', ...where, '--ami', older]);
    expect(again.stdout).toBe(`r-research.${region}.x86_64: ${older} is already recorded (current); nothing changed\n`);
    // An untagged image is recorded with the version given (or the template's).
    expect((await prism(['update-registry', 'r-research', ...where, '--ami', untagged, '--version', 'hand-1'])).code).toBe(0);

    const registry = JSON.parse(await readFile(join(cwd, 'ami-registry.json'), 'utf8'));
    // The size is the root volume's, as EC2 reports it (moto gives every volume its own size).
    const [described] = (await (await clients.ec2(region)).send(new DescribeImagesCommand({ ImageIds: [newer] }))).Images!;
    const sizeGb = described.BlockDeviceMappings![0].Ebs!.VolumeSize;
    expect(registry.templates['r-research']).toMatchObject({
      version: 'hand-1',
      description: 'R + RStudio Server + tidyverse packages',
      ports: [22, 8787],
      estimated_cost_per_hour: { x86_64: 0.0464, arm64: 0.0368 },
    });
    expect(registry.templates['r-research'].history[region].x86_64[0]).toMatchObject({
      ami_id: newer,
      version: '1.2.2',
      fingerprint: 'sha256:22222222',
      source_ami: 'ami-0base000000000000a',
      build_id: 'build-000000000002',
      validated: true,
      status: 'superseded',
      size_gb: sizeGb,
    });

    // list: an aligned table of current images; --all adds the history with statuses.
    const list = await prism(['list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TEMPLATE\s+VERSION\s+REGION\s+ARCH\s+AMI\s+CREATED\s+VALIDATED\s+SIZE$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^r-research\\s+hand-1\\s+${region}\\s+x86_64\\s+${untagged}\\s+\\S+Z\\s+no\\s+${sizeGb} GiB$`));
    expect(lines[1].indexOf(untagged)).toBe(lines[0].indexOf('AMI'));
    const all = await prism(['list', '--all', '--template', 'r-research']);
    expect(
      all.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/).at(-1)),
    ).toEqual(['current', 'superseded', 'superseded']);
    const json = JSON.parse((await prism(['list', '--all', '--json', '--region', region, '--arch', 'x86_64'])).stdout) as {
      ami_id: string;
      status: string;
    }[];
    expect(json.map((i) => [i.ami_id, i.status])).toEqual([
      [untagged, 'current'],
      [older, 'superseded'],
      [newer, 'superseded'],
    ]);
    expect((await prism(['list', '--region', 'eu-west-3'])).stdout).toMatch(/^No images in file:.*ami-registry\.json/);

    // resolve prints the ID alone; rollback skips the unvalidated image; revoke falls back.
    const resolve = () => prism(['resolve', 'r-research', ...where]);
    expect(await resolve()).toMatchObject({ code: 0, stdout: `${untagged}\n`, stderr: '' });
    const rolled = await prism(['rollback', 'r-research', ...where]);
    expect(rolled.stdout).toBe(`Rolled back r-research.${region}.x86_64: ${untagged} → ${older}\n`);
    expect((await resolve()).stdout).toBe(`${older}\n`);
    // Revoking the current image makes the previous (earlier recorded) valid one current.
    const revoked = await prism(['revoke', 'r-research', '--ami', older, '--reason', 'CVE-2025-0001']);
    expect(revoked.stdout).toBe(`Revoked ${older}: r-research.${region}.x86_64 is now ${newer}\n`);
    expect((await resolve()).stdout).toBe(`${newer}\n`);
    expectBadInput(
      await prism(['rollback', 'r-research', ...where, '--to', older]),
      'USAGE',
      `${older} is revoked and cannot become current again`,
    );
    expect((await prism(['update-registry', 'r-research', ...where, '--ami', older])).stdout).toContain(
      'is already recorded (revoked); nothing changed',
    );
    expectBadInput(await prism(['rollback', 'r-research', ...where]), 'NOT_FOUND', 'no earlier validated image to roll back to');
    expect((await prism(['revoke', 'r-research', '--ami', newer])).stdout).toBe(
      `Revoked ${newer}: r-research.${region}.x86_64 has no current image now\n`,
    );
    const none = await resolve();
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(`has no current image for r-research.${region}.x86_64`);
    // Named explicitly, even an unvalidated image can be made current again.
    expect((await prism(['rollback', 'r-research', ...where, '--to', untagged])).stdout).toBe(
      `Rolled back r-research.${region}.x86_64: (none) → ${untagged}\n`,
    );
    expect((await prism(['revoke', 'r-research', '--ami', older])).stdout).toBe(`${older} is already revoked; nothing changed\n`);

    // Bad input: each a clear error, exit 2, nothing written (run at once: none of them writes).
    const before = await readFile(join(cwd, 'ami-registry.json'), 'utf8');
    const bad: [string[], string, string][] = [
      [
        ['update-registry', 'r-research', ...where, '--ami', other],
        'USAGE',
        `${other} was built from template "python-research", not "r-research"`,
      ],
      [
        ['update-registry', 'r-research', '--region', region, '--arch', 'arm64', '--ami', older],
        'USAGE',
        `${older} is an x86_64 image, not arm64`,
      ],
      [
        ['update-registry', 'r-research', ...where, '--ami', 'ami-0000000000000dead'],
        'NOT_FOUND',
        `no image ami-0000000000000dead in ${region}`,
      ],
      [
        ['update-registry', 'python-research', '--region', region, '--arch', 'arm64'],
        'NOT_FOUND',
        'no available image tagged prism:template=python-research and prism:architecture=arm64',
      ],
      [['update-registry', 'r-research', ...where, '--ami', 'ami-12'], 'USAGE', '"ami-12" is not an AMI ID'],
      [['update-registry', 'r-reserch', ...where], 'TEMPLATE_NOT_FOUND', 'Did you mean "r-research"?'],
      [['update-registry', 'r-research', '--region', 'us-east-2a', '--arch', 'x86_64'], 'USAGE', '"us-east-2a" is not a region name'],
      [['update-registry', 'r-research', '--arch', 'x86_64'], 'USAGE', '--region is required'],
      [['resolve', 'r-research', '--region', region], 'USAGE', '--architecture is required'],
      [['revoke', 'r-research'], 'USAGE', '--ami is required'],
      [
        ['revoke', 'r-research', '--ami', 'ami-0000000000000beef'],
        'NOT_FOUND',
        'ami-0000000000000beef is not recorded for template "r-research"',
      ],
      [['list', '--region', 'mars-1'], 'USAGE', '"mars-1" is not a region name'],
      [['list', '--template', 'pyton-research'], 'TEMPLATE_NOT_FOUND', 'Did you mean "python-research"?'],
    ];
    const results = await Promise.all(bad.map(([args]) => prism(args)));
    results.forEach((result, i) => expectBadInput(result, bad[i][1], bad[i][2]));
    const badArch = await prism(['resolve', 'r-research', '--region', region, '--architecture', 'amd64']);
    expect(badArch.code).toBe(2);
    expect(badArch.stderr).toContain("argument 'amd64' is invalid");
    expect(await readFile(join(cwd, 'ami-registry.json'), 'utf8')).toBe(before);
  }, 120_000);
});

describe('import-legacy', () => {
  it('reads JSON {template: {region: {arch: ami}}} and {region: {arch: ami}} with --template', async () => {
    const { cwd, prism } = await project();
    await writeFile(
      join(cwd, 'all.json'),
      JSON.stringify({ 'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148', arm64: 'ami-050499786ebf55a6a' } } }),
    );
    await writeFile(join(cwd, 'one.json'), JSON.stringify({ 'us-west-2': { x86_64: 'ami-0123456789abcdef0' } }));
    const all = await prism(['import-legacy', 'all.json']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe(
      'Imported 2 of 2 images from all.json (json) as version legacy\n  r-research.us-east-1.x86_64 = ami-02029c87fa31fb148  imported\n  r-research.us-east-1.arm64 = ami-050499786ebf55a6a  imported\n',
    );
    expectBadInput(await prism(['import-legacy', 'one.json']), 'USAGE', 'does not say which template it belongs to');
    const one = await prism(['import-legacy', 'one.json', '--template', 'python-research', '--validated', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).images).toEqual([
      { template: 'python-research', region: 'us-west-2', architecture: 'x86_64', amiId: 'ami-0123456789abcdef0', status: 'imported' },
    ]);
    const listed = JSON.parse((await prism(['list', '--json'])).stdout) as { template: string; version: string; validated: boolean }[];
    expect(listed.map((i) => [i.template, i.version, i.validated])).toEqual([
      ['python-research', 'legacy', true],
      ['r-research', 'legacy', false],
      ['r-research', 'legacy', false],
    ]);
    // A slot with a current image keeps it unless --replace.
    await writeFile(join(cwd, 'other.json'), JSON.stringify({ 'us-west-2': { x86_64: 'ami-0123456789abcdef9' } }));
    const kept = await prism(['import-legacy', 'other.json', '--template', 'python-research']);
    expect(kept.stdout).toContain('kept the current image ami-0123456789abcdef0');
    expect((await prism(['resolve', 'python-research', '--region', 'us-west-2', '--arch', 'x86_64'])).stdout).toBe(
      'ami-0123456789abcdef0\n',
    );
  });

  it('reads the Go map literal, several templates keyed by slug in one file', async () => {
    const { cwd, prism } = await project();
    await cp(join(REPO_ROOT, 'test/fixtures/registry/legacy-templates.go.txt'), join(cwd, 'templates.go'));
    await cp(join(REPO_ROOT, 'test/fixtures/seed/current-problem.go.txt'), join(cwd, 'seed.go'));
    const result = await prism(['import-legacy', 'templates.go']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Imported 4 of 4 images from templates.go (go) as version legacy');
    expect((await prism(['resolve', 'python-research', '--region', 'us-east-1', '--arch', 'x86_64'])).stdout).toBe(
      'ami-0123456789abcdef0\n',
    );
    const seed = await prism(['import-legacy', 'seed.go', '--template', 'r-research']);
    expect(seed.stdout).toContain('already recorded');
    expectBadInput(
      await prism(['import-legacy', 'seed.go', '--template', 'r-reserch']),
      'TEMPLATE_NOT_FOUND',
      'Did you mean "r-research"?',
    );
    expectBadInput(await prism(['import-legacy', 'missing.go']), 'USAGE', 'cannot read missing.go');
  });
});

describe('resolve --fallback and unreachable registries', () => {
  it('uses the legacy map, with a warning on stderr, when the registry is unreachable or has no entry', async () => {
    const { cwd, prism } = await project();
    await writeFile(join(cwd, 'legacy.json'), JSON.stringify({ 'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148' } } }));
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = [
      'resolve',
      'r-research',
      '--region',
      'us-east-1',
      '--arch',
      'x86_64',
      '--registry',
      's3://prism-registry/ami-registry.json',
    ];
    const down = await prism([...unreachable, '--fallback', 'legacy.json'], { AWS_ENDPOINT_URL: closed });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe('ami-02029c87fa31fb148\n');
    expect(down.stderr).toMatch(
      /^warning: the registry is unavailable \(REGISTRY_UNREACHABLE: cannot read the registry s3:\/\/prism-registry\/ami-registry.json: .*\); using ami-02029c87fa31fb148 from legacy.json\n$/,
    );
    const noFallback = await prism(unreachable, { AWS_ENDPOINT_URL: closed });
    expectBadInput(noFallback, 'REGISTRY_UNREACHABLE', 'S3 cannot be reached');

    const empty = await prism(['resolve', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64', '--fallback', 'legacy.json']);
    expect(empty.stdout).toBe('ami-02029c87fa31fb148\n');
    expect(empty.stderr).toContain('has no current image for r-research.us-east-1.x86_64; using ami-02029c87fa31fb148 from legacy.json');
    expectBadInput(
      await prism(['resolve', 'r-research', '--region', 'eu-west-1', '--arch', 'x86_64', '--fallback', 'legacy.json']),
      'NOT_FOUND',
      'neither the registry nor legacy.json has an image for r-research.eu-west-1.x86_64',
    );

    // A fallback image the registry knows as revoked is never resolved.
    expect((await prism(['import-legacy', 'legacy.json'])).code).toBe(0);
    expect((await prism(['revoke', 'r-research', '--ami', 'ami-02029c87fa31fb148'])).code).toBe(0);
    expectBadInput(
      await prism(['resolve', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64', '--fallback', 'legacy.json']),
      'NOT_FOUND',
      'is revoked in the registry',
    );
  });

  it('an S3 registry: a missing bucket is REGISTRY_UNREACHABLE with a hint; a good one works like a file', async () => {
    const { cwd, prism } = await project();
    expectBadInput(
      await prism(['list', '--registry', 's3://no-such-bucket/r.json']),
      'REGISTRY_UNREACHABLE',
      'the bucket no-such-bucket does not exist',
    );
    expectBadInput(await prism(['list', '--registry', 's3://Bad_Bucket/r.json']), 'USAGE', 'is not an S3 bucket name');
    expectBadInput(await prism(['list', '--registry', 's3://bucket-only']), 'USAGE', 'names no object key');
    await createBucket(clients, 'cli-registry');
    await writeFile(join(cwd, 'legacy.json'), JSON.stringify({ 'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148' } } }));
    const s3 = { PRISM_AMI_REGISTRY: 's3://cli-registry/prism/registry.json' };
    expect((await prism(['import-legacy', 'legacy.json'], s3)).code).toBe(0);
    expect((await prism(['resolve', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64'], s3)).stdout).toBe(
      'ami-02029c87fa31fb148\n',
    );
  });
});
