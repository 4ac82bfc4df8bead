import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  ModifyImageAttributeCommand,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import { PrismError, throwIfAborted } from '../../core/errors.js';
import { aws, isAwsCode } from './aws-errors.js';
import { pollUntil } from './poll.js';
import { tagSpecs, toTags } from './tags.js';

export async function describeImage(ec2: EC2Client, imageId: string, signal: AbortSignal): Promise<Image | undefined> {
  try {
    const result = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: signal });
    return result.Images?.[0];
  } catch (error) {
    if (isAwsCode(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) return undefined;
    throw error;
  }
}

export function snapshotIds(image: Image | undefined): string[] {
  return (image?.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((id): id is string => Boolean(id));
}

/**
 * Calls that create something are never aborted half-way: AWS may have made the resource by the
 * time the request is dropped, and then nothing would register its removal. They check the
 * signal before they start; the step after them notices the cancellation once the resource is
 * registered, and the cleanup removes it.
 */
export const CREATE_CALLS = ['CreateSecurityGroup', 'RunInstances', 'CreateImage', 'CopyImage'] as const;

/**
 * CreateImage from the build instance (rebooted, so the file systems are consistent). The image
 * and its snapshots are tagged as they are made: the builder policy allows CreateImage only so,
 * and later calls on the snapshots (tags, deletion) only because they carry `prism:managed`.
 */
export async function createImage(
  ec2: EC2Client,
  instanceId: string,
  name: string,
  description: string,
  tags: Record<string, string>,
  signal: AbortSignal,
): Promise<string> {
  throwIfAborted(signal);
  const result = await aws('creating the image', () =>
    ec2.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: name,
        Description: description.slice(0, 255),
        TagSpecifications: tagSpecs(['image', 'snapshot'], tags),
      }),
    ),
  );
  return result.ImageId!;
}

/** Waits for `available` under a wall-clock deadline; `failed` is an error. */
export async function waitImageAvailable(
  ec2: EC2Client,
  imageId: string,
  region: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Image> {
  return pollUntil(
    async () => {
      const image = await aws(`checking image ${imageId} in ${region}`, () => describeImage(ec2, imageId, signal));
      if (image?.State === 'available') return image;
      if (image?.State === 'failed' || image?.State === 'error' || image?.State === 'invalid') {
        throw new PrismError('CLOUD_ERROR', `image ${imageId} in ${region} failed: ${image.StateReason?.Message ?? image.State}`);
      }
      return undefined;
    },
    {
      timeoutMs,
      signal,
      what: `image ${imageId} in ${region} to be available`,
      hint: 'raise imageTimeoutMinutes in prism-ami.config.yaml for large volumes',
      initialDelayMs: 5000,
      maxDelayMs: 30_000,
    },
  );
}

/** Tags an image and its snapshots, e.g. `prism:status=complete` once the image is recorded. */
export async function tagImageAndSnapshots(ec2: EC2Client, image: Image, tags: Record<string, string>, signal: AbortSignal): Promise<void> {
  const resources = [image.ImageId!, ...snapshotIds(image)];
  await aws(`tagging image ${image.ImageId}`, () =>
    ec2.send(new CreateTagsCommand({ Resources: resources, Tags: toTags(tags) }), { abortSignal: signal }),
  );
}

/** Instances launched from our images must use IMDSv2 too. */
export async function requireImdsV2(ec2: EC2Client, imageId: string, signal: AbortSignal): Promise<void> {
  await aws(`setting IMDSv2 on ${imageId}`, () =>
    ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, ImdsSupport: { Value: 'v2.0' } }), { abortSignal: signal }),
  );
}

/**
 * Deregisters an image and deletes its snapshots. Works on half-made images: a pending image's
 * snapshots are found once it settles, so it waits a bounded time for that.
 */
export async function deleteImage(ec2: EC2Client, imageId: string, signal: AbortSignal, knownSnapshots: string[] = []): Promise<void> {
  let image = await describeImage(ec2, imageId, signal);
  if (image?.State === 'pending') {
    image = await pollUntil(
      async () => {
        const current = await describeImage(ec2, imageId, signal);
        return current?.State === 'pending' ? undefined : (current ?? {});
      },
      {
        timeoutMs: 30 * 60_000,
        signal,
        what: `pending image ${imageId} to settle before deleting it`,
        initialDelayMs: 5000,
        maxDelayMs: 30_000,
      },
    );
  }
  const snapshots = [...new Set([...snapshotIds(image), ...knownSnapshots])];
  if (image?.ImageId) {
    try {
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId }), { abortSignal: signal });
    } catch (error) {
      if (!isAwsCode(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) throw error;
    }
  }
  for (const snapshot of snapshots) {
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot }), { abortSignal: signal });
    } catch (error) {
      if (!isAwsCode(error, 'InvalidSnapshot.NotFound')) throw error;
    }
  }
}

/**
 * CopyImage into another region, encrypted, idempotent by client token. The copy and its
 * snapshots get `tags` as they are made (the builder policy requires it), rather than the
 * source's tags: those say `complete`, and a copy is not complete until it is available.
 */
export async function copyImage(
  target: EC2Client,
  input: {
    sourceImageId: string;
    sourceRegion: string;
    name: string;
    description: string;
    clientToken: string;
    tags: Record<string, string>;
  },
  signal: AbortSignal,
): Promise<string> {
  throwIfAborted(signal);
  const result = await aws(`copying ${input.sourceImageId} to another region`, () =>
    target.send(
      new CopyImageCommand({
        SourceImageId: input.sourceImageId,
        SourceRegion: input.sourceRegion,
        Name: input.name,
        Description: input.description.slice(0, 255),
        Encrypted: true,
        TagSpecifications: tagSpecs(['image', 'snapshot'], input.tags),
        ClientToken: input.clientToken,
      }),
    ),
  );
  return result.ImageId!;
}
