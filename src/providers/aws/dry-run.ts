import {
  CopyImageCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { errorMessage } from '../../core/errors.js';
import type { Architecture } from '../../core/types.js';
import type { Template } from '../../template/model.js';
import { awsCode, cloudError, isAwsCode } from './aws-errors.js';
import type { AwsSettings } from './aws-settings.js';
import { newest, resolveBaseImage } from './base-images.js';
import type { AwsClients } from '../../core/aws-clients.js';
import { DEFAULT_INSTANCE_TYPES } from './instance-types.js';
import { runInstancesInput } from './instances.js';
import { choosePlacement } from './network.js';
import { tagSpecs } from './tags.js';

/** What dry-run requests tag: the builder policy allows creating only what is tagged as ours. */
const DRY_RUN_TAGS = { 'prism:managed': 'true', 'prism:dry-run': 'true' };

export interface DryRunCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/**
 * Proves a build would be allowed without making anything: reads what a build reads, and sends
 * the calls that create things with EC2's DryRun flag (DryRunOperation means "would succeed").
 */
export async function awsDryRun(
  clients: AwsClients,
  settings: AwsSettings,
  template: Template,
  architecture: Architecture,
  copyTo: readonly string[],
  signal: AbortSignal,
): Promise<DryRunCheck[]> {
  const checks: DryRunCheck[] = [];
  const attempt = async (check: string, run: () => Promise<string>): Promise<boolean> => {
    try {
      checks.push({ check, ok: true, detail: await run() });
      return true;
    } catch (error) {
      checks.push({ check, ok: false, detail: errorMessage(cloudError(error, check)) });
      return false;
    }
  };
  const dryRun = async (send: () => Promise<unknown>): Promise<string> => {
    try {
      await send();
      return 'allowed';
    } catch (error) {
      if (isAwsCode(error, 'DryRunOperation')) return 'allowed (DryRun)';
      throw error;
    }
  };
  const region = settings.region;
  const ec2 = await clients.ec2(region);
  if (
    !(await attempt('AWS credentials', async () => {
      const id = await (await clients.sts(region)).send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      return `${id.Arn}`;
    }))
  )
    return checks;

  let base: { imageId: string; rootDeviceName: string; rootVolumeSizeGb?: number } | undefined;
  await attempt(`base image in ${region}`, async () => {
    if (template.parent) return `built on ${template.parent.slug}'s image (checked when the build runs)`;
    const resolved = await resolveBaseImage(clients, region, template.base, architecture, signal);
    base = resolved;
    return `${resolved.imageId} (${resolved.name})`;
  });
  const profile = settings.instanceProfile;
  await attempt('instance profile', async () => {
    if (!profile) throw new Error('none given: pass --instance-profile or set instanceProfile');
    const found = await (
      await clients.iam()
    ).send(new GetInstanceProfileCommand({ InstanceProfileName: profile }), { abortSignal: signal });
    const roles = (found.InstanceProfile?.Roles ?? []).map((r) => r.RoleName).join(', ');
    if (!roles) throw new Error(`${profile} has no role, so the SSM agent cannot register; add a role with AmazonSSMManagedInstanceCore`);
    return `${profile} (role ${roles})`;
  });
  const instanceType = template.build.instanceType[architecture] ?? DEFAULT_INSTANCE_TYPES[architecture];
  let placement: { subnetId: string; vpcId: string } | undefined;
  await attempt('subnet', async () => {
    placement = await choosePlacement(ec2, region, settings.subnet, instanceType, signal);
    return `${placement.subnetId} in ${placement.vpcId}`;
  });
  await attempt('ec2:CreateSecurityGroup', () =>
    dryRun(() =>
      ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: 'prism-dry-run',
          Description: 'prism-ami dry run',
          ...(placement ? { VpcId: placement.vpcId } : {}),
          TagSpecifications: tagSpecs(['security-group'], DRY_RUN_TAGS),
          DryRun: true,
        }),
        { abortSignal: signal },
      ),
    ),
  );
  if (base && placement && profile) {
    const input = runInstancesInput({
      imageId: base.imageId,
      instanceType,
      subnetId: placement.subnetId,
      securityGroupId: 'sg-00000000',
      instanceProfile: profile,
      rootDeviceName: base.rootDeviceName,
      ...((template.build.volumeSizeGb ?? base.rootVolumeSizeGb) !== undefined
        ? { volumeSizeGb: (template.build.volumeSizeGb ?? base.rootVolumeSizeGb)! }
        : {}),
      tags: DRY_RUN_TAGS,
      clientToken: `dry-run-${Date.now()}`,
      dryRun: true,
    });
    delete input.SecurityGroupIds;
    await attempt(`ec2:RunInstances (${instanceType})`, () =>
      dryRun(() => ec2.send(new RunInstancesCommand(input), { abortSignal: signal })),
    );
  }
  // The builder policy copies only images tagged as ours: prove it on this template's newest
  // image when there is one, else on the base image (which that policy refuses to copy).
  const targets = copyTo.filter((r) => r !== region);
  const own = targets.length > 0 && base ? await ownImage(ec2, template, architecture, signal) : undefined;
  const source = own ?? base?.imageId;
  for (const target of targets) {
    if (!source) break;
    const targetEc2 = await clients.ec2(target);
    await attempt(`ec2:CopyImage to ${target}`, () =>
      dryRun(() =>
        targetEc2.send(
          new CopyImageCommand({
            SourceImageId: source,
            SourceRegion: region,
            Name: 'prism-dry-run',
            Encrypted: true,
            TagSpecifications: tagSpecs(['image', 'snapshot'], DRY_RUN_TAGS),
            DryRun: true,
          }),
          { abortSignal: signal },
        ),
      ).catch((error: unknown) => {
        // The base may not be copyable (marketplace terms); the permission is what we check.
        if (isAwsCode(error, 'InvalidRequest', 'InvalidParameterValue')) return `allowed (${awsCode(error)} for the base image itself)`;
        if (!own && isAwsCode(error, 'UnauthorizedOperation')) {
          return `not proven: refused for the base image, and the builder policy copies only images tagged prism:managed=true; ${template.slug} has none in ${region} yet`;
        }
        throw error;
      }),
    );
  }
  return checks;
}

/** The newest finished image of this template and architecture in the region, if any. */
async function ownImage(ec2: EC2Client, template: Template, architecture: Architecture, signal: AbortSignal): Promise<string | undefined> {
  const found = await ec2
    .send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: 'tag:prism:managed', Values: ['true'] },
          { Name: 'tag:prism:template', Values: [template.slug] },
          { Name: 'tag:prism:architecture', Values: [architecture] },
          { Name: 'state', Values: ['available'] },
        ],
      }),
      { abortSignal: signal },
    )
    .catch(() => undefined);
  return newest(found?.Images ?? [])?.ImageId;
}
