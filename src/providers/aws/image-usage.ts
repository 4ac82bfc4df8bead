import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { aws } from './aws-errors.js';
import type { AwsClients } from '../../core/aws-clients.js';
import { tagValue } from './tags.js';

export interface TaggedImage {
  id: string;
  name: string;
  created: string;
  template: string;
  architecture: string;
  region: string;
  snapshots: string[];
}

/** Finished images of ours in a region, by their prism tags. */
export async function taggedImages(clients: AwsClients, region: string, template?: string): Promise<TaggedImage[]> {
  const ec2 = await clients.ec2(region);
  const result = await aws(`listing images in ${region}`, () =>
    ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: 'tag:prism:managed', Values: ['true'] },
          { Name: 'tag:prism:status', Values: ['complete'] },
          ...(template ? [{ Name: 'tag:prism:template', Values: [template] }] : []),
        ],
      }),
    ),
  );
  return (result.Images ?? []).map((image: Image) => ({
    id: image.ImageId!,
    name: image.Name ?? image.ImageId!,
    created: image.CreationDate ?? '',
    template: tagValue(image.Tags, 'prism:template') ?? '',
    architecture: tagValue(image.Tags, 'prism:architecture') ?? image.Architecture ?? '',
    region,
    snapshots: (image.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((s): s is string => Boolean(s)),
  }));
}

/**
 * Which of these images something still uses: an instance (running or stopped), or a launch
 * template version (an `ami-…` ImageId, or a `resolve:ssm:` parameter that points at it).
 */
export async function imagesInUse(clients: AwsClients, region: string, imageIds: readonly string[]): Promise<Map<string, string>> {
  const used = new Map<string, string>();
  if (imageIds.length === 0) return used;
  const ec2 = await clients.ec2(region);
  const wanted = new Set(imageIds);
  for (let i = 0; i < imageIds.length; i += 150) {
    const result = await aws(`checking instances in ${region}`, () =>
      ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'image-id', Values: imageIds.slice(i, i + 150) },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
        }),
      ),
    );
    for (const instance of (result.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if (instance.ImageId && wanted.has(instance.ImageId) && !used.has(instance.ImageId)) {
        used.set(instance.ImageId, `used by instance ${instance.InstanceId} (${instance.State?.Name})`);
      }
    }
  }
  const templates = await aws(`listing launch templates in ${region}`, () => ec2.send(new DescribeLaunchTemplatesCommand({})));
  const ssm = await clients.ssm(region);
  for (const lt of templates.LaunchTemplates ?? []) {
    const versions = await aws(`reading launch template ${lt.LaunchTemplateId}`, () =>
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId })),
    );
    for (const version of versions.LaunchTemplateVersions ?? []) {
      let image = version.LaunchTemplateData?.ImageId;
      if (image?.startsWith('resolve:ssm:')) {
        image = await ssm
          .send(new GetParameterCommand({ Name: image.slice('resolve:ssm:'.length) }))
          .then((r) => r.Parameter?.Value)
          .catch(() => undefined);
      }
      if (image && wanted.has(image) && !used.has(image)) {
        used.set(image, `used by launch template ${lt.LaunchTemplateName ?? lt.LaunchTemplateId} version ${version.VersionNumber}`);
      }
    }
  }
  return used;
}
