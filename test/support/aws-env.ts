import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const CANONICAL = '099720109477';
const AMAZON = '137112412989';
const DEBIAN = '136693071363';

function image(id: string, name: string, owner: string, architecture: 'x86_64' | 'arm64', description: string) {
  // No creation_date: moto 5.2.1 crashes on it when a second region is touched (NOTES-moto.md).
  return {
    ami_id: id,
    name,
    owner_id: owner,
    public: true,
    architecture,
    virtualization_type: 'hvm',
    state: 'available',
    root_device_type: 'ebs',
    root_device_name: '/dev/sda1',
    hypervisor: 'xen',
    sriov: 'simple',
    description,
  };
}

/** The Amazon Linux 2023 AMI ids moto's public SSM parameters point at (read from moto's data). */
export function al2023Ids(): { x86_64: string; arm64: string } {
  const script = [
    'import gzip, json, os, moto',
    "p = os.path.join(os.path.dirname(moto.__file__), 'ssm/resources/ami-amazon-linux-latest/us-east-1.json.gz')",
    "d = {x['Name']: x['Value'] for x in json.load(gzip.open(p))}",
    "print(d['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'])",
    "print(d['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64'])",
  ].join('\n');
  const [x86_64, arm64] = execFileSync('python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
  return { x86_64: x86_64, arm64: arm64 };
}

export const SEEDED = {
  jammyOldAmd64: 'ami-0a1b2c3d4e5f60001',
  jammyAmd64: 'ami-0a1b2c3d4e5f60002',
  jammyArm64: 'ami-0a1b2c3d4e5f60003',
  nobleAmd64: 'ami-0a1b2c3d4e5f60004',
  nobleArm64: 'ami-0a1b2c3d4e5f60005',
  debianAmd64: 'ami-0a1b2c3d4e5f60006',
};

/**
 * The images moto starts with (MOTO_AMIS_PATH): Canonical-style Ubuntu 22.04 and 24.04 for both
 * architectures (two 22.04 amd64 ones, so "newest" is tested), Debian 12, and the Amazon Linux
 * 2023 images moto's public SSM parameters name.
 */
export async function writeSeedAmis(dir: string): Promise<string> {
  const al = al2023Ids();
  const list = [
    image(
      SEEDED.jammyOldAmd64,
      'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240101',
      CANONICAL,
      'x86_64',
      'Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-01-01',
    ),
    image(
      SEEDED.jammyAmd64,
      'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240601',
      CANONICAL,
      'x86_64',
      'Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-06-01',
    ),
    image(
      SEEDED.jammyArm64,
      'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20240601',
      CANONICAL,
      'arm64',
      'Canonical, Ubuntu, 22.04 LTS, arm64 jammy image build on 2024-06-01',
    ),
    image(
      SEEDED.nobleAmd64,
      'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240701',
      CANONICAL,
      'x86_64',
      'Canonical, Ubuntu, 24.04 LTS, amd64 noble',
    ),
    image(
      SEEDED.nobleArm64,
      'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240701',
      CANONICAL,
      'arm64',
      'Canonical, Ubuntu, 24.04 LTS, arm64 noble',
    ),
    image(SEEDED.debianAmd64, 'debian-12-amd64-20240702-1796', DEBIAN, 'x86_64', 'Debian 12 (20240702-1796)'),
    image(al.x86_64, 'al2023-ami-2023.5.20240701.0-kernel-6.1-x86_64', AMAZON, 'x86_64', 'Amazon Linux 2023 AMI'),
    image(al.arm64, 'al2023-ami-2023.5.20240701.0-kernel-6.1-arm64', AMAZON, 'arm64', 'Amazon Linux 2023 AMI'),
  ];
  const file = join(dir, 'amis.json');
  await writeFile(file, JSON.stringify(list, null, 2));
  return file;
}

/** An instance profile with an SSM role, as a real account would have for builds. */
export async function createInstanceProfile(env: Record<string, string>, name = 'prism-builder'): Promise<void> {
  const iam = await import('@aws-sdk/client-iam');
  const client = new iam.IAMClient({
    region: 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await client.send(
    new iam.CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  // moto has no AWS managed policies loaded, so the SSM core permissions go inline.
  const ssmCore = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['ssm:UpdateInstanceInformation', 'ssmmessages:*', 'ec2messages:*'], Resource: '*' }],
  };
  await client.send(new iam.PutRolePolicyCommand({ RoleName: name, PolicyName: 'ssm-core', PolicyDocument: JSON.stringify(ssmCore) }));
  await client.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await client.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
  client.destroy();
}

/** Counts what a build could have left in the emulator, per region. */
export async function cloudState(
  endpoint: string,
  regions: string[],
): Promise<
  {
    region: string;
    liveInstances: string[];
    buildGroups: string[];
    images: { id: string; tags: Record<string, string> }[];
    snapshots: string[];
  }[]
> {
  const ec2m = await import('@aws-sdk/client-ec2');
  const out = [];
  for (const region of regions) {
    const ec2 = new ec2m.EC2Client({ region, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const instances = await ec2.send(new ec2m.DescribeInstancesCommand({}));
    const groups = await ec2.send(new ec2m.DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:prism:managed', Values: ['true'] }] }));
    const images = await ec2.send(new ec2m.DescribeImagesCommand({ Owners: ['self'] }));
    const snapshots = await ec2.send(new ec2m.DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    out.push({
      region,
      liveInstances: (instances.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .filter((i) => i.State?.Name !== 'terminated')
        .map((i) => i.InstanceId!),
      buildGroups: (groups.SecurityGroups ?? []).map((g) => g.GroupId!),
      images: (images.Images ?? []).map((i) => ({
        id: i.ImageId!,
        tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key!, t.Value!])),
      })),
      // Snapshots behind seeded (public) images are moto's own; ours are made by CreateImage/CopyImage.
      snapshots: (snapshots.Snapshots ?? [])
        .filter(
          (s) =>
            !/^Auto-created snapshot for AMI ami-0a1b2c3d4e5f6000/.test(s.Description ?? '') &&
            !/Auto-created snapshot for AMI/.test(s.Description ?? ''),
        )
        .map((s) => s.SnapshotId!),
    });
    ec2.destroy();
  }
  return out;
}

/** The tags of each snapshot behind an image, by snapshot ID. */
export async function imageSnapshotTags(
  endpoint: string,
  region: string,
  imageId: string,
): Promise<Record<string, Record<string, string>>> {
  const ec2m = await import('@aws-sdk/client-ec2');
  const ec2 = new ec2m.EC2Client({ region, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    const image = (await ec2.send(new ec2m.DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    const ids = (image?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
    if (ids.length === 0) return {};
    const snapshots = await ec2.send(new ec2m.DescribeSnapshotsCommand({ SnapshotIds: ids }));
    return Object.fromEntries(
      (snapshots.Snapshots ?? []).map((s) => [s.SnapshotId!, Object.fromEntries((s.Tags ?? []).map((t) => [t.Key!, t.Value!]))]),
    );
  } finally {
    ec2.destroy();
  }
}
