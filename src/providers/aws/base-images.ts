import { DescribeImagesCommand, type DescribeImagesCommandInput, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { PrismError } from '../../core/errors.js';
import type { Architecture } from '../../core/types.js';
import { describeBase, type BaseSource } from '../../template/model.js';
import { aws, isAwsCode } from './aws-errors.js';
import type { AwsClients } from '../../core/aws-clients.js';

/** How each base alias is found: a public SSM parameter, and a DescribeImages fallback. */
interface AliasSource {
  parameter: (arch: Architecture) => string;
  owners: string[];
  namePattern: (arch: Architecture) => string;
}

const CANONICAL = '099720109477';
const DEBIAN = '136693071363';
const AMAZON = 'amazon';
const ubuntuArch = (a: Architecture) => (a === 'x86_64' ? 'amd64' : 'arm64');

export const ALIAS_SOURCES: Readonly<Record<string, AliasSource>> = {
  'ubuntu-20.04-lts': {
    parameter: (a) => `/aws/service/canonical/ubuntu/server/20.04/stable/current/${ubuntuArch(a)}/hvm/ebs-gp2/ami-id`,
    owners: [CANONICAL],
    namePattern: (a) => `ubuntu/images/hvm-ssd/ubuntu-focal-20.04-${ubuntuArch(a)}-server-*`,
  },
  'ubuntu-22.04-lts': {
    parameter: (a) => `/aws/service/canonical/ubuntu/server/22.04/stable/current/${ubuntuArch(a)}/hvm/ebs-gp2/ami-id`,
    owners: [CANONICAL],
    namePattern: (a) => `ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-${ubuntuArch(a)}-server-*`,
  },
  'ubuntu-24.04-lts': {
    parameter: (a) => `/aws/service/canonical/ubuntu/server/24.04/stable/current/${ubuntuArch(a)}/hvm/ebs-gp3/ami-id`,
    owners: [CANONICAL],
    namePattern: (a) => `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${ubuntuArch(a)}-server-*`,
  },
  'debian-12': {
    parameter: (a) => `/aws/service/debian/release/12/latest/${ubuntuArch(a)}`,
    owners: [DEBIAN],
    namePattern: (a) => `debian-12-${ubuntuArch(a)}-*`,
  },
  al2023: {
    parameter: (a) => `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${a}`,
    owners: [AMAZON],
    namePattern: (a) => `al2023-ami-2023.*-kernel-*-${a}`,
  },
  'amazon-linux-2': {
    parameter: (a) => `/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-${a}-gp2`,
    owners: [AMAZON],
    namePattern: (a) => `amzn2-ami-hvm-2.0.*-${a}-gp2`,
  },
};

export interface ResolvedImage {
  imageId: string;
  name: string;
  rootDeviceName: string;
  rootVolumeSizeGb?: number;
  /** How it was found, for the build log: "ssm:/aws/service/…" or "describe-images". */
  via: string;
}

/**
 * Finds the AMI a template's base names in a region for an architecture: aliases through the
 * public SSM parameter, falling back to DescribeImages by owner and name (newest, right
 * architecture, not deprecated); an `ami-…` ID as is; an {owners, name} filter likewise.
 */
export async function resolveBaseImage(
  clients: AwsClients,
  region: string,
  base: BaseSource,
  arch: Architecture,
  signal: AbortSignal,
): Promise<ResolvedImage> {
  const ec2 = await clients.ec2(region);
  const describe = (input: DescribeImagesCommandInput) =>
    aws(`looking up base images in ${region}`, () => ec2.send(new DescribeImagesCommand(input), { abortSignal: signal }));

  if (base.kind === 'image') {
    const found = await describe({ ImageIds: [base.imageId] }).catch((error: unknown) => {
      if (isAwsCode((error as PrismError).cause, 'InvalidAMIID.NotFound', 'InvalidAMIID.Malformed')) return { Images: [] };
      throw error;
    });
    const image = found.Images?.[0];
    if (!image) throw notFound(base, region, arch, `${base.imageId} does not exist in ${region} (or is not shared with this account)`);
    if (image.Architecture !== arch) throw notFound(base, region, arch, `${base.imageId} is ${image.Architecture}, not ${arch}`);
    return toResolved(image, 'image id');
  }

  if (base.kind === 'filter') {
    const found = await describe({
      Owners: base.owners,
      Filters: [
        { Name: 'name', Values: [base.namePattern] },
        { Name: 'architecture', Values: [arch] },
        { Name: 'state', Values: ['available'] },
      ],
    });
    const image = newest(found.Images ?? []);
    if (!image)
      throw notFound(base, region, arch, `no available ${arch} image named ${base.namePattern} owned by ${base.owners.join(', ')}`);
    return toResolved(image, 'describe-images');
  }

  const source = ALIAS_SOURCES[base.alias];
  if (!source) throw notFound(base, region, arch, `no AWS source is known for ${base.alias}`);
  const parameter = source.parameter(arch);
  const ssm = await clients.ssm(region);
  const fromParameter = await ssm
    .send(new GetParameterCommand({ Name: parameter }), { abortSignal: signal })
    .then((r) => r.Parameter?.Value)
    .catch((error: unknown) => {
      // A parameter that does not exist (or cannot be read) falls back to DescribeImages.
      if (isAwsCode(error, 'ParameterNotFound', 'AccessDeniedException', 'ValidationException')) return undefined;
      throw error;
    });
  // What the parameter said, when it did not give a usable image: part of the message if the fallback finds nothing either.
  let parameterProblem = `${parameter} does not exist`;
  if (fromParameter) {
    const found = await describe({ ImageIds: [fromParameter] }).catch(() => ({ Images: [] as Image[] }));
    const image = found.Images?.[0];
    if (image && image.Architecture === arch) return toResolved(image, `ssm:${parameter}`);
    parameterProblem = image
      ? `${parameter} names ${fromParameter}, which is ${image.Architecture ?? 'another architecture'}, not ${arch}`
      : `${parameter} names ${fromParameter}, which does not exist in ${region} (or is not available to this account)`;
  }
  const found = await describe({
    Owners: source.owners,
    Filters: [
      { Name: 'name', Values: [source.namePattern(arch)] },
      { Name: 'architecture', Values: [arch] },
      { Name: 'state', Values: ['available'] },
    ],
  });
  const image = newest(found.Images ?? []);
  if (!image)
    throw notFound(
      base,
      region,
      arch,
      `${parameterProblem}, and no available image named ${source.namePattern(arch)} owned by ${source.owners.join(', ')} was found`,
    );
  return toResolved(image, 'describe-images');
}

/** Newest by CreationDate, then by name (image names carry their build date); deprecated ones last. */
export function newest(images: readonly Image[], now = new Date()): Image | undefined {
  const usable = images.filter((i) => !i.DeprecationTime || new Date(i.DeprecationTime) > now);
  return [...usable].sort(
    (a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') || (b.Name ?? '').localeCompare(a.Name ?? ''),
  )[0];
}

function toResolved(image: Image, via: string): ResolvedImage {
  const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName);
  return {
    imageId: image.ImageId!,
    name: image.Name ?? image.ImageId!,
    rootDeviceName: image.RootDeviceName ?? '/dev/xvda',
    ...(root?.Ebs?.VolumeSize !== undefined ? { rootVolumeSizeGb: root.Ebs.VolumeSize } : {}),
    via,
  };
}

function notFound(base: BaseSource, region: string, arch: Architecture, why: string): PrismError {
  return new PrismError('BASE_UNAVAILABLE', `cannot find the base image ${describeBase(base)} (${arch}) in ${region}: ${why}`, {
    hint: 'check base_ami.source, the region, and that the image is shared with this account',
  });
}
