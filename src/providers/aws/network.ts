import {
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { PrismError, throwIfAborted } from '../../core/errors.js';
import { aws, isAwsCode } from './aws-errors.js';
import { pollUntil } from './poll.js';
import { tagSpecs } from './tags.js';

export interface Placement {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
}

/**
 * The subnet a build machine goes in: the one given, else a default subnet of the default VPC in
 * an availability zone that offers the instance type (t4g is not in every zone).
 */
export async function choosePlacement(
  ec2: EC2Client,
  region: string,
  subnetId: string | undefined,
  instanceType: string,
  signal: AbortSignal,
): Promise<Placement> {
  if (subnetId) {
    const found = await aws(`looking up subnet ${subnetId}`, () =>
      ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }), { abortSignal: signal }),
    ).catch((error: unknown) => {
      if (isAwsCode((error as PrismError).cause, 'InvalidSubnetID.NotFound')) return { Subnets: [] };
      throw error;
    });
    const subnet = found.Subnets?.[0];
    if (!subnet)
      throw new PrismError('USAGE', `subnet ${subnetId} does not exist in ${region}`, {
        hint: 'check --subnet (or subnet in prism-ami.config.yaml) and --region',
      });
    return { subnetId, vpcId: subnet.VpcId!, availabilityZone: subnet.AvailabilityZone! };
  }
  const vpcs = await aws('looking up the default VPC', () =>
    ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }), { abortSignal: signal }),
  );
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  if (!vpcId) {
    throw new PrismError('USAGE', `${region} has no default VPC, so prism-ami does not know where to launch the build machine`, {
      hint: 'pass --subnet subnet-… (a subnet with a route to the internet or to SSM endpoints), or set subnet in prism-ami.config.yaml',
    });
  }
  const subnets = await aws('looking up default subnets', () =>
    ec2.send(
      new DescribeSubnetsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'default-for-az', Values: ['true'] },
        ],
      }),
      { abortSignal: signal },
    ),
  );
  const candidates = (subnets.Subnets ?? [])
    .filter((s) => s.State !== 'pending')
    .sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''));
  if (candidates.length === 0)
    throw new PrismError('USAGE', `the default VPC ${vpcId} in ${region} has no default subnets`, { hint: 'pass --subnet' });
  const offered = await ec2
    .send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [{ Name: 'instance-type', Values: [instanceType] }],
      }),
      { abortSignal: signal },
    )
    .then((r) => new Set((r.InstanceTypeOfferings ?? []).map((o) => o.Location)))
    .catch(() => undefined);
  const subnet = candidates.find((s) => !offered || offered.size === 0 || offered.has(s.AvailabilityZone)) ?? candidates[0];
  return { subnetId: subnet.SubnetId!, vpcId, availabilityZone: subnet.AvailabilityZone! };
}

/** A security group with no ingress rules (SSM needs none), made for one build. */
export async function createBuildSecurityGroup(
  ec2: EC2Client,
  vpcId: string,
  buildId: string,
  tags: Record<string, string>,
  signal: AbortSignal,
): Promise<string> {
  throwIfAborted(signal);
  // Not aborted half-way (see CREATE_CALLS in images.ts): the group must come back to be registered.
  const result = await aws('creating the build security group', () =>
    ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `prism-${buildId}`,
        Description: `prism-ami build ${buildId}: no ingress, deleted after the build`,
        VpcId: vpcId,
        TagSpecifications: tagSpecs(['security-group'], { ...tags, Name: `prism-${buildId}` }),
      }),
    ),
  );
  return result.GroupId!;
}

/** Deletes a security group, waiting while a terminating instance still uses it. */
export async function deleteSecurityGroup(ec2: EC2Client, groupId: string, signal: AbortSignal, timeoutMs = 5 * 60_000): Promise<void> {
  await pollUntil(
    async () => {
      try {
        await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }), { abortSignal: signal });
        return true;
      } catch (error) {
        if (isAwsCode(error, 'InvalidGroup.NotFound')) return true;
        if (isAwsCode(error, 'DependencyViolation')) return undefined;
        throw error;
      }
    },
    { timeoutMs, signal, what: `security group ${groupId} to be free to delete`, initialDelayMs: 2000 },
  );
}
