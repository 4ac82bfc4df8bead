import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { isoSeconds } from '../core/clock.js';
import { PrismError } from '../core/errors.js';
import type { Architecture } from '../core/types.js';

/** The facts of a built image, read from its `prism:*` tags (docs/templates.md, "Image names and tags"). */
export interface TaggedImage {
  imageId: string;
  name?: string;
  created: string;
  version?: string;
  fingerprint?: string;
  sourceImage?: string;
  buildId?: string;
  validated: boolean;
  validatedAt?: string;
  sizeGb?: number;
}

export interface FindImageRequest {
  template: string;
  architecture: Architecture;
  region: string;
  /** A named image; else the newest available one tagged for the template and architecture. */
  amiId?: string;
}

/**
 * The image `update-registry` records: the named one (checked against its tags), or the newest
 * available image owned by this account tagged prism:template=<slug> and
 * prism:architecture=<arch>, as the seed's CI step expects after `prism ami build`.
 */
export async function findBuiltImage(ec2: EC2Client, request: FindImageRequest): Promise<TaggedImage> {
  const { DescribeImagesCommand } = await import('@aws-sdk/client-ec2');
  const where = `in ${request.region}`;
  if (request.amiId) {
    let images: Image[];
    try {
      images = (await ec2.send(new DescribeImagesCommand({ ImageIds: [request.amiId] }))).Images ?? [];
    } catch (error) {
      if (/^InvalidAMIID\./.test((error as Error).name)) images = [];
      else throw awsError(error, `looking up ${request.amiId} ${where}`);
    }
    const image = images[0];
    if (!image)
      throw new PrismError('NOT_FOUND', `no image ${request.amiId} ${where}`, {
        hint: 'check the ID and --region (AMI IDs belong to one region)',
      });
    checkImage(image, request);
    return taggedImage(image);
  }
  const images: Image[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await ec2.send(
        new DescribeImagesCommand({
          Owners: ['self'],
          Filters: [
            { Name: 'tag:prism:template', Values: [request.template] },
            { Name: 'tag:prism:architecture', Values: [request.architecture] },
            { Name: 'state', Values: ['available'] },
          ],
          ...(token ? { NextToken: token } : {}),
        }),
      );
      images.push(...(page.Images ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw awsError(error, `looking for images of ${request.template} ${where}`);
  }
  const newest = images
    .filter((i) => i.State === 'available')
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') || (b.ImageId ?? '').localeCompare(a.ImageId ?? ''))[0];
  if (!newest) {
    throw new PrismError(
      'NOT_FOUND',
      `no available image tagged prism:template=${request.template} and prism:architecture=${request.architecture} owned by this account ${where}`,
      {
        hint: `build one (prism ami build ${request.template} --architecture ${request.architecture} --region ${request.region}), or name an image with --ami`,
      },
    );
  }
  return taggedImage(newest);
}

function tag(image: Image, key: string): string | undefined {
  return image.Tags?.find((t) => t.Key === key)?.Value;
}

function checkImage(image: Image, request: FindImageRequest): void {
  const id = image.ImageId!;
  const template = tag(image, 'prism:template');
  if (template !== undefined && template !== request.template) {
    throw new PrismError('USAGE', `${id} was built from template "${template}", not "${request.template}"`, {
      hint: `record it with prism ami update-registry ${template} …`,
    });
  }
  const arch = tag(image, 'prism:architecture') ?? image.Architecture;
  if (arch !== undefined && arch !== request.architecture) {
    throw new PrismError('USAGE', `${id} is an ${arch} image, not ${request.architecture}`, { hint: `use --architecture ${arch}` });
  }
  if (image.State !== undefined && image.State !== 'available') {
    throw new PrismError('USAGE', `${id} is ${image.State}, not available`, {
      hint: image.State === 'pending' ? 'wait until the image is available, then record it' : 'record an available image',
    });
  }
}

function taggedImage(image: Image): TaggedImage {
  const validatedTag = tag(image, 'prism:validated');
  const validatedAt = validatedTag && !Number.isNaN(Date.parse(validatedTag)) ? isoSeconds(validatedTag) : undefined;
  const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName) ?? image.BlockDeviceMappings?.[0];
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  return {
    imageId: image.ImageId!,
    created: image.CreationDate ? isoSeconds(image.CreationDate) : isoSeconds(new Date().toISOString()),
    validated: validatedTag === 'true' || validatedAt !== undefined,
    ...optional('name', image.Name),
    ...optional('version', tag(image, 'prism:version')),
    ...optional('fingerprint', tag(image, 'prism:fingerprint')),
    ...optional('sourceImage', tag(image, 'prism:source-image')),
    ...optional('buildId', tag(image, 'prism:build-id')),
    ...optional('validatedAt', validatedAt),
    ...optional('sizeGb', root?.Ebs?.VolumeSize),
  };
}

/** An AWS error as a PrismError with something to do about it. */
export function awsError(error: unknown, doing: string): PrismError {
  const name = (error as Error).name ?? 'Error';
  const message = `${doing}: ${name}: ${(error as Error).message}`;
  if (name === 'CredentialsProviderError' || /credential/i.test((error as Error).message ?? '')) {
    return new PrismError('CREDENTIALS_MISSING', message, {
      hint: 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run aws sso login)',
      cause: error,
    });
  }
  if (name === 'UnauthorizedOperation' || name === 'AuthFailure' || name === 'AccessDenied') {
    return new PrismError('PERMISSION_DENIED', message, { hint: 'the credentials need ec2:DescribeImages', cause: error });
  }
  return new PrismError('CLOUD_ERROR', message, { hint: 'check the region and your network, then run the command again', cause: error });
}
