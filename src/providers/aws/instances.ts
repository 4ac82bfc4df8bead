import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  RunInstancesCommand,
  RebootInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { PrismError } from '../../core/errors.js';
import { aws, awsCode, cloudError, isAwsCode } from './aws-errors.js';
import { pollUntil } from './poll.js';
import { tagSpecs } from './tags.js';

export interface LaunchInput {
  imageId: string;
  instanceType: string;
  subnetId: string;
  securityGroupId: string;
  instanceProfile: string;
  rootDeviceName: string;
  volumeSizeGb?: number;
  tags: Record<string, string>;
  /** Idempotency token: a retried call never launches a second instance. */
  clientToken: string;
  dryRun?: boolean;
  /** Run once at the first boot by cloud-init (the SSM agent's installation on Debian). */
  userData?: string;
}

export function runInstancesInput(input: LaunchInput): RunInstancesCommandInput {
  return {
    ImageId: input.imageId,
    InstanceType: input.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    SubnetId: input.subnetId,
    SecurityGroupIds: [input.securityGroupId],
    IamInstanceProfile: { Name: input.instanceProfile },
    // IMDSv2 only; a machine that shuts itself down is terminated, never left stopped and billed.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
    InstanceInitiatedShutdownBehavior: 'terminate',
    BlockDeviceMappings: [
      {
        DeviceName: input.rootDeviceName,
        Ebs: {
          VolumeType: 'gp3',
          Encrypted: true,
          DeleteOnTermination: true,
          ...(input.volumeSizeGb !== undefined ? { VolumeSize: input.volumeSizeGb } : {}),
        },
      },
    ],
    // Everything RunInstances makes is tagged as it is made: the builder policy requires it.
    TagSpecifications: tagSpecs(['instance', 'volume', 'network-interface'], input.tags),
    ClientToken: input.clientToken,
    ...(input.userData ? { UserData: Buffer.from(input.userData, 'utf8').toString('base64') } : {}),
    ...(input.dryRun ? { DryRun: true } : {}),
  };
}

/**
 * RunInstances, retrying for a while when the instance profile is not visible yet (new IAM
 * profiles take seconds to reach EC2); a profile that never appears is a clear error.
 */
export async function runInstance(ec2: EC2Client, input: LaunchInput, signal: AbortSignal, profileWaitMs: number): Promise<string> {
  let lastProfileError: unknown;
  try {
    return await pollUntil(
      async () => {
        try {
          // Not aborted half-way (images.ts CREATE_CALLS); pollUntil checks the signal first.
          const result = await ec2.send(new RunInstancesCommand(runInstancesInput(input)));
          return result.Instances![0].InstanceId!;
        } catch (error) {
          if (isProfileProblem(error)) {
            lastProfileError = error;
            return undefined;
          }
          throw error;
        }
      },
      { timeoutMs: profileWaitMs, signal, what: `instance profile ${input.instanceProfile}`, initialDelayMs: 2000, maxDelayMs: 10_000 },
    );
  } catch (error) {
    if (lastProfileError && error instanceof PrismError && error.code === 'TIMEOUT') {
      throw new PrismError(
        'USAGE',
        `the instance profile "${input.instanceProfile}" does not exist or cannot be used (${awsCode(lastProfileError)})`,
        {
          hint: 'pass --instance-profile NAME (or instanceProfile in prism-ami.config.yaml) naming a profile whose role has AmazonSSMManagedInstanceCore; `prism ami iam-policy` prints it',
          cause: lastProfileError,
        },
      );
    }
    if (error instanceof PrismError) throw error;
    throw cloudError(error, 'launching the build instance');
  }
}

function isProfileProblem(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return (
    isAwsCode(error, 'NoSuchEntity', 'NoSuchEntityException') ||
    (isAwsCode(error, 'InvalidParameterValue') && /iamInstanceProfile|Instance Profile/i.test(message))
  );
}

/** Asks EC2 to reboot the instance (the OS shuts down and boots again, same volume). */
export async function rebootInstance(ec2: EC2Client, instanceId: string, signal: AbortSignal): Promise<void> {
  await ec2.send(new RebootInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
}

/** Asks EC2 to terminate the instance, without waiting (the cleanup entry waits for it later). */
export async function requestTermination(ec2: EC2Client, instanceId: string, signal: AbortSignal): Promise<void> {
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
  } catch (error) {
    if (!isAwsCode(error, 'InvalidInstanceID.NotFound')) throw error;
  }
}

/** Terminates an instance and waits until it is gone (so its security group can be deleted). */
export async function terminateInstance(ec2: EC2Client, instanceId: string, signal: AbortSignal, timeoutMs = 10 * 60_000): Promise<void> {
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
  } catch (error) {
    if (isAwsCode(error, 'InvalidInstanceID.NotFound')) return;
    throw error;
  }
  await pollUntil(
    async () => {
      const state = await instanceState(ec2, instanceId, signal);
      return state === undefined || state === 'terminated' ? true : undefined;
    },
    { timeoutMs, signal, what: `instance ${instanceId} to terminate`, initialDelayMs: 2000 },
  );
}

export async function instanceState(ec2: EC2Client, instanceId: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const result = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
    return result.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  } catch (error) {
    if (isAwsCode(error, 'InvalidInstanceID.NotFound')) return undefined;
    throw error;
  }
}

/** Running, then both status checks passing; each under the same wall-clock deadline. */
export async function waitInstanceHealthy(
  ec2: EC2Client,
  instanceId: string,
  signal: AbortSignal,
  timeoutMs: number,
  progress: (m: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await pollUntil(
    async () => {
      const state = await aws(`checking instance ${instanceId}`, () => instanceState(ec2, instanceId, signal));
      if (state === 'running') return true;
      if (state && state !== 'pending') throw new PrismError('BUILD_FAILED', `the build instance ${instanceId} is ${state}, not running`);
      return undefined;
    },
    { timeoutMs, signal, what: `instance ${instanceId} to be running`, initialDelayMs: 2000 },
  );
  progress('instance running; waiting for status checks');
  await pollUntil(
    async () => {
      const result = await aws(`checking instance status ${instanceId}`, () =>
        ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }), { abortSignal: signal }),
      );
      const status = result.InstanceStatuses?.[0];
      if (status?.InstanceStatus?.Status === 'impaired' || status?.SystemStatus?.Status === 'impaired') {
        throw new PrismError('BUILD_FAILED', `the build instance ${instanceId} failed its status checks`, {
          hint: 'try again; if it persists, try another instance type or subnet',
        });
      }
      return status?.InstanceStatus?.Status === 'ok' && status.SystemStatus?.Status === 'ok' ? true : undefined;
    },
    { timeoutMs: Math.max(1000, deadline - Date.now()), signal, what: `status checks of ${instanceId}`, initialDelayMs: 5000 },
  );
}
