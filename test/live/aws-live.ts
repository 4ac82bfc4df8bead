/**
 * `npm run test:aws-live`: the opt-in acceptance run against a real AWS account. It builds a
 * tiny Debian 12 template (the SSM agent is installed by user data) on t3.nano and t4g.nano, one
 * copy to a second region, validates it, then removes everything it made (images, snapshots,
 * instances, security groups) by a run-unique tag and checks that nothing is left.
 *
 * It refuses to start unless PRISM_AMI_LIVE_ACCOUNT names the account the credentials belong
 * to, and never runs against an emulator (AWS_ENDPOINT_URL). Without the variable it says it
 * skipped and exits 0. Costs: docs/aws.md ("The live acceptance run").
 *
 * Settings: PRISM_AMI_LIVE_ACCOUNT (required), PRISM_AMI_LIVE_INSTANCE_PROFILE (default
 * prism-builder), PRISM_AMI_LIVE_REGION (us-east-1), PRISM_AMI_LIVE_COPY_REGION (us-west-2).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const PRISM = fileURLToPath(new URL('../../bin/prism.js', import.meta.url));
const env = process.env;

function stop(code: number, message: string): never {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}

async function guard(): Promise<string> {
  const wanted = env.PRISM_AMI_LIVE_ACCOUNT;
  if (!wanted)
    stop(
      0,
      'test:aws-live skipped: set PRISM_AMI_LIVE_ACCOUNT=<your AWS account id> to run it against that account (about 5 cents, docs/aws.md)',
    );
  if (!/^\d{12}$/.test(wanted)) stop(2, `PRISM_AMI_LIVE_ACCOUNT must be a 12-digit account id, not "${wanted}"`);
  if (env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_EC2)
    stop(2, 'test:aws-live runs against real AWS only: unset AWS_ENDPOINT_URL (it points at an emulator)');
  let account: string | undefined;
  try {
    account = (await new STSClient({ region: env.PRISM_AMI_LIVE_REGION ?? 'us-east-1' }).send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    stop(2, `test:aws-live: the AWS credentials do not work: ${(error as Error).message}`);
  }
  if (account !== wanted)
    stop(2, `test:aws-live refuses: the credentials are for account ${account}, PRISM_AMI_LIVE_ACCOUNT says ${wanted}`);
  return account;
}

function prism(args: string[], cwd: string): Promise<number> {
  console.log(`\n$ prism ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PRISM, ...args], { cwd, env, stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Everything tagged with this run's tag, in a region: removed, then counted again. */
async function teardown(region: string, tag: string): Promise<string[]> {
  const ec2 = new EC2Client({ region });
  const filter = [{ Name: `tag:prism-live-run`, Values: [tag] }];
  const images = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: filter }))).Images ?? [];
  for (const image of images) {
    await ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId }));
    for (const m of image.BlockDeviceMappings ?? []) {
      if (m.Ebs?.SnapshotId) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: m.Ebs.SnapshotId })).catch(() => undefined);
    }
  }
  const left: string[] = [];
  const snapshots = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filter }))).Snapshots ?? [];
  for (const s of snapshots) {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId })).catch(() => left.push(`snapshot ${s.SnapshotId}`));
  }
  const reservations =
    (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:prism:template', Values: ['live-tiny'] }] }))).Reservations ?? [];
  for (const i of reservations.flatMap((r) => r.Instances ?? [])) {
    if (i.State?.Name !== 'terminated' && i.Tags?.some((t) => t.Key === 'prism:build-id'))
      left.push(`instance ${i.InstanceId} (${i.State?.Name})`);
  }
  const groups =
    (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:prism:template', Values: ['live-tiny'] }] })))
      .SecurityGroups ?? [];
  left.push(...groups.map((g) => `security group ${g.GroupId}`));
  return left.map((l) => `${region}: ${l}`);
}

async function main(): Promise<void> {
  const account = await guard();
  const region = env.PRISM_AMI_LIVE_REGION ?? 'us-east-1';
  const copyRegion = env.PRISM_AMI_LIVE_COPY_REGION ?? 'us-west-2';
  const profile = env.PRISM_AMI_LIVE_INSTANCE_PROFILE ?? 'prism-builder';
  const tag = `live-${randomBytes(6).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'prism-live-'));
  console.log(`test:aws-live in account ${account}, ${region} (copy to ${copyRegion}), run tag prism-live-run=${tag}`);
  await mkdir(join(dir, 'templates'));
  await writeFile(
    join(dir, 'templates', 'live-tiny.yml'),
    `name: Live tiny
base_ami: {source: debian-12, architecture: [x86_64, arm64]}
build:
  instance_type: {x86_64: t3.nano, arm64: t4g.nano}
setup_script: |
  #!/bin/sh
  set -eu
  echo "built by prism-ami ${tag}" > /etc/prism-live
validation_tests:
  - name: the setup ran
    command: cat /etc/prism-live
    expected: "built by prism-ami ${tag}"
  - name: the SSM agent is enabled
    command: systemctl is-enabled amazon-ssm-agent
    expected: enabled
tags: {prism-live-run: ${tag}}
`,
  );
  await writeFile(
    join(dir, 'prism-ami.config.yaml'),
    `templatesDir: templates\nregistry: ${join(dir, 'registry.json')}\ninstanceProfile: ${profile}\nregion: ${region}\nregions: [${region}, ${copyRegion}]\n`,
  );
  const failures: string[] = [];
  const step = async (what: string, args: string[]) => {
    if ((await prism(args, dir)) !== 0) failures.push(what);
  };
  try {
    await step('build x86_64 with a copy', ['ami', 'build', 'live-tiny', '--arch', 'x86_64', '--copy-to', copyRegion]);
    await step('build arm64', ['ami', 'build', 'live-tiny', '--arch', 'arm64']);
    await step('validate', ['ami', 'validate', 'live-tiny', '--region', region]);
  } finally {
    await prism(['ami', 'sweep', '--provider', 'aws', '--older-than', '0s'], dir);
    const left = [...(await teardown(region, tag)), ...(await teardown(copyRegion, tag))];
    await rm(dir, { recursive: true, force: true });
    if (left.length > 0) failures.push(`left behind: ${left.join(', ')}`);
  }
  if (failures.length > 0) stop(1, `\ntest:aws-live FAILED: ${failures.join('; ')}`);
  stop(0, '\ntest:aws-live passed: built, copied, validated and removed; nothing left');
}

await main();
