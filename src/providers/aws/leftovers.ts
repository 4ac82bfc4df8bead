import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import type { Resource } from '../../core/resources.js';
import { aws } from './aws-errors.js';
import type { AwsClients } from '../../core/aws-clients.js';
import { tagValue } from './tags.js';

const MANAGED = { Name: 'tag:prism:managed', Values: ['true'] };

/**
 * What prism-ami runs left in the cloud, found by the `prism:managed` tag: build instances that
 * still exist, build security groups, images and snapshots that never completed. Only what is
 * older than `olderThan` and not from an active build on this machine.
 */
export async function findAwsLeftovers(
  clients: AwsClients,
  regions: readonly string[],
  options: { activeBuilds: ReadonlySet<string>; olderThan: Date; signal: AbortSignal },
): Promise<Resource[]> {
  const found: Resource[] = [];
  const cutoff = options.olderThan.getTime();
  const mine = (tags: { Key?: string; Value?: string }[] | undefined) => {
    const build = tagValue(tags, 'prism:build-id');
    return build !== undefined && options.activeBuilds.has(build);
  };
  for (const region of regions) {
    const ec2 = await clients.ec2(region);
    const resource = (kind: string, id: string, label: string): Resource => ({
      kind,
      id,
      provider: 'aws',
      region,
      label: `${label} (${region})`,
    });

    const instances = await aws(`listing build instances in ${region}`, () =>
      ec2.send(
        new DescribeInstancesCommand({
          Filters: [MANAGED, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }],
        }),
        { abortSignal: options.signal },
      ),
    );
    const busyGroups = new Set<string>();
    for (const instance of (instances.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const young = (instance.LaunchTime?.getTime() ?? 0) > cutoff;
      if (young || mine(instance.Tags)) {
        for (const group of instance.SecurityGroups ?? []) busyGroups.add(group.GroupId!);
        continue;
      }
      found.push(
        resource(
          'instance',
          instance.InstanceId!,
          `instance ${instance.InstanceId} of build ${tagValue(instance.Tags, 'prism:build-id') ?? '?'}`,
        ),
      );
    }

    const groups = await aws(`listing build security groups in ${region}`, () =>
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: [MANAGED] }), { abortSignal: options.signal }),
    );
    for (const group of groups.SecurityGroups ?? []) {
      if (busyGroups.has(group.GroupId!) || mine(group.Tags)) continue;
      found.push(
        resource(
          'security-group',
          group.GroupId!,
          `security group ${group.GroupId} of build ${tagValue(group.Tags, 'prism:build-id') ?? '?'}`,
        ),
      );
    }

    const images = await aws(`listing unfinished images in ${region}`, () =>
      ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [MANAGED, { Name: 'tag:prism:status', Values: ['building'] }] }), {
        abortSignal: options.signal,
      }),
    );
    const imageIds = new Set<string>();
    for (const image of images.Images ?? []) {
      imageIds.add(image.ImageId!);
      if (new Date(image.CreationDate ?? 0).getTime() > cutoff || mine(image.Tags)) continue;
      found.push(
        resource('image', image.ImageId!, `unfinished image ${image.ImageId} of build ${tagValue(image.Tags, 'prism:build-id') ?? '?'}`),
      );
    }

    const snapshots = await aws(`listing unfinished snapshots in ${region}`, () =>
      ec2.send(
        new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [MANAGED, { Name: 'tag:prism:status', Values: ['building'] }] }),
        { abortSignal: options.signal },
      ),
    );
    const allImages = await aws(`listing images in ${region}`, () =>
      ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [MANAGED] }), { abortSignal: options.signal }),
    );
    const inUse = new Set((allImages.Images ?? []).flatMap((i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId)));
    for (const snapshot of snapshots.Snapshots ?? []) {
      if (inUse.has(snapshot.SnapshotId) || (snapshot.StartTime?.getTime() ?? 0) > cutoff || mine(snapshot.Tags)) continue;
      found.push(resource('snapshot', snapshot.SnapshotId!, `orphaned snapshot ${snapshot.SnapshotId}`));
    }
  }
  return found;
}
