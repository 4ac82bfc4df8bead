import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { Architecture } from '../../core/types.js';
import type { ExistingImage } from '../provider.js';
import { aws } from './aws-errors.js';
import { newest } from './base-images.js';
import { tagValue } from './tags.js';

/** The newest finished image of ours with these tags in the region. */
export async function newestTagged(
  ec2: EC2Client,
  region: string,
  template: string,
  architecture: Architecture,
  filters: { Name: string; Values: string[] }[],
): Promise<ExistingImage | undefined> {
  const result = await aws('looking for an existing image', () =>
    ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: 'tag:prism:template', Values: [template] },
          { Name: 'tag:prism:architecture', Values: [architecture] },
          { Name: 'tag:prism:status', Values: ['complete'] },
          { Name: 'state', Values: ['available'] },
          ...filters,
        ],
      }),
    ),
  );
  return existingImage(newest(result.Images ?? []), region);
}

/** The size of an image: the sum of its volumes. */
export function imageSize(image: { BlockDeviceMappings?: { Ebs?: { VolumeSize?: number } }[] }): { sizeBytes?: number } {
  const gib = (image.BlockDeviceMappings ?? []).reduce((sum, m) => sum + (m.Ebs?.VolumeSize ?? 0), 0);
  return gib > 0 ? { sizeBytes: gib * 1024 ** 3 } : {};
}

/** An image's facts from its prism tags. */
export function existingImage(image: Image | undefined, region: string): ExistingImage | undefined {
  if (!image) return undefined;
  const version = tagValue(image.Tags, 'prism:version');
  const fingerprint = tagValue(image.Tags, 'prism:fingerprint');
  return {
    id: image.ImageId!,
    name: image.Name ?? image.ImageId!,
    region,
    created: image.CreationDate ?? '',
    validated: tagValue(image.Tags, 'prism:validated') === 'true',
    ...(fingerprint ? { fingerprint } : {}),
    ...(version ? { version } : {}),
    ...imageSize(image),
  };
}
