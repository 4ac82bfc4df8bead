import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { CleanupHandle, Resource } from '../../core/resources.js';
import { PrismError } from '../../core/errors.js';
import type { TestResult } from '../../core/events.js';
import type { Architecture } from '../../core/types.js';
import type { Template } from '../../template/model.js';
import type {
  BaseImage,
  CreatedImage,
  ExecRequest,
  ExecResult,
  ExistingImage,
  ImageRecord,
  ImageSpec,
  LaunchSpec,
  Machine,
  Provider,
  ProviderContext,
} from '../provider.js';
import { aws, cloudError, isAwsCode } from './aws-errors.js';
import type { AwsSettings } from './aws-settings.js';
import { resolveBaseImage } from './base-images.js';
import type { AwsClients } from '../../core/aws-clients.js';
import { copyImage, createImage, deleteImage, describeImage, requireImdsV2, tagImageAndSnapshots, waitImageAvailable } from './images.js';
import { DEFAULT_INSTANCE_TYPES } from './instance-types.js';
import { rebootInstance, requestTermination, runInstance, terminateInstance, waitInstanceHealthy } from './instances.js';
import { findAwsLeftovers } from './leftovers.js';
import { choosePlacement, createBuildSecurityGroup, deleteSecurityGroup, type Placement } from './network.js';
import { readInstanceFile, runCommand, waitAgentOnline } from './run-command.js';
import { existingImage, imageSize, newestTagged } from './image-queries.js';
import { resolveParentImage } from '../parent-image.js';
import { agentMissing, agentUserData } from './ssm-agent.js';
import { imageTags } from '../image-tags.js';

/** Removals get their own time limit: they must run even after the build was cancelled. */
const cleanupSignal = () => AbortSignal.timeout(20 * 60_000);

interface LaunchedInstance {
  instanceId: string;
  instanceType: string;
  handle: CleanupHandle;
  /** Its user data installs the SSM agent (the base has none). */
  installAgent: boolean;
}

/**
 * Builds AMIs with EC2 and SSM: a temporary no-ingress security group, an instance with IMDSv2
 * and an encrypted gp3 root volume, commands through SSM Run Command (no SSH, no key pair),
 * CreateImage, tags on the image and its snapshots, CopyImage to other regions.
 */
export class AwsProvider implements Provider {
  readonly name = 'aws' as const;
  readonly machineNoun = 'instance';
  readonly leftoverMinAgeMs = 6 * 3_600_000;
  readonly region: string;
  private readonly images = new Map<string, { rootDeviceName: string; rootVolumeSizeGb?: number }>();
  private readonly instances = new Map<string, LaunchedInstance>();
  /** The build's security group per VPC: the re-test instance shares it. */
  private readonly groups = new Map<string, string>();
  private readonly placements = new Map<string, Placement>();
  private identity: Promise<{ Arn?: string; Account?: string }> | undefined;

  constructor(
    readonly settings: AwsSettings,
    readonly clients: AwsClients,
  ) {
    this.region = settings.region;
  }

  async preflight(_architecture: Architecture, ctx: ProviderContext, needs: { machine: boolean } = { machine: true }): Promise<void> {
    // Checked once per provider: build-all runs many builds and copies with one provider per region.
    this.identity ??= this.clients
      .sts(this.region)
      .then((sts) => aws('checking AWS credentials', () => sts.send(new GetCallerIdentityCommand({}), { abortSignal: ctx.signal })));
    const identity = await this.identity.catch((error: unknown) => {
      this.identity = undefined;
      throw error;
    });
    ctx.log(`aws identity ${identity.Arn} (account ${identity.Account}) in ${this.region}`);
    if (needs.machine && !this.settings.instanceProfile) {
      throw new PrismError('USAGE', 'AWS builds need an instance profile that lets the SSM agent run the setup', {
        hint: 'pass --instance-profile NAME or set instanceProfile in prism-ami.config.yaml; `prism ami iam-policy` prints the role policy it needs',
      });
    }
  }

  async resolveBase(template: Template, architecture: Architecture, ctx: ProviderContext): Promise<BaseImage> {
    if (template.parent) {
      const parent = await resolveParentImage(this, template, architecture);
      await this.remember(parent.id, ctx.signal);
      return parent;
    }
    const resolved = await resolveBaseImage(this.clients, this.region, template.base, architecture, ctx.signal);
    ctx.log(`base image ${resolved.imageId} (${resolved.name}) via ${resolved.via}`);
    this.images.set(resolved.imageId, {
      rootDeviceName: resolved.rootDeviceName,
      ...(resolved.rootVolumeSizeGb !== undefined ? { rootVolumeSizeGb: resolved.rootVolumeSizeGb } : {}),
    });
    return { id: resolved.imageId, name: resolved.name };
  }

  launch(base: BaseImage, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    return aws('launching the build instance', () => this.launchFrom(base.id, spec, ctx, agentMissing(spec.template)));
  }

  async launchImage(imageId: string, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    await this.remember(imageId, ctx.signal);
    return aws(`launching an instance from ${imageId}`, () => this.launchFrom(imageId, spec, ctx));
  }

  private async remember(imageId: string, signal: AbortSignal): Promise<void> {
    if (this.images.has(imageId)) return;
    const ec2 = await this.clients.ec2(this.region);
    const image = await aws(`looking up ${imageId}`, () => describeImage(ec2, imageId, signal));
    if (!image)
      throw new PrismError('NOT_FOUND', `image ${imageId} does not exist in ${this.region}`, { hint: 'check the image ID and --region' });
    const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName);
    this.images.set(imageId, {
      rootDeviceName: image.RootDeviceName ?? '/dev/xvda',
      ...(root?.Ebs?.VolumeSize !== undefined ? { rootVolumeSizeGb: root.Ebs.VolumeSize } : {}),
    });
  }

  private async launchFrom(imageId: string, spec: LaunchSpec, ctx: ProviderContext, installAgent = false): Promise<Machine> {
    const ec2 = await this.clients.ec2(this.region);
    const instanceType = spec.template.build.instanceType[spec.architecture] ?? DEFAULT_INSTANCE_TYPES[spec.architecture];
    // The re-test (and validate after it) launch the same type: look the placement up once.
    let placement = this.placements.get(instanceType);
    if (!placement) {
      placement = await choosePlacement(ec2, this.region, this.settings.subnet, instanceType, ctx.signal);
      this.placements.set(instanceType, placement);
    }
    const groupKey = `${spec.buildId} ${placement.vpcId}`;
    let groupId = this.groups.get(groupKey);
    if (!groupId) {
      const created = await createBuildSecurityGroup(ec2, placement.vpcId, spec.buildId, spec.tags, ctx.signal);
      groupId = created;
      await ctx.cleanups.add(
        { kind: 'security-group', id: created, provider: 'aws', region: this.region, label: `security group ${created} (${this.region})` },
        () => deleteSecurityGroup(ec2, created, cleanupSignal()),
        // Kept with the instance by --keep-on-failure: EC2 refuses to delete a group in use.
        { keepOnFailure: true },
      );
      this.groups.set(groupKey, created);
    }
    const image = this.images.get(imageId);
    const volume = spec.template.build.volumeSizeGb;
    if (volume !== undefined && image?.rootVolumeSizeGb !== undefined && volume < image.rootVolumeSizeGb) {
      throw new PrismError(
        'TEMPLATE_INVALID',
        `build.volume_size_gb is ${volume} GiB, smaller than the base image's ${image.rootVolumeSizeGb} GiB root volume`,
        {
          hint: `use ${image.rootVolumeSizeGb} or more, or leave it out`,
        },
      );
    }
    const instanceId = await runInstance(
      ec2,
      {
        imageId,
        instanceType,
        subnetId: placement.subnetId,
        securityGroupId: groupId,
        instanceProfile: this.settings.instanceProfile!,
        rootDeviceName: image?.rootDeviceName ?? '/dev/xvda',
        // The template's size, else the base image's own (EC2 wants one with a new volume type).
        ...((volume ?? image?.rootVolumeSizeGb) !== undefined ? { volumeSizeGb: (volume ?? image?.rootVolumeSizeGb)! } : {}),
        tags: spec.tags,
        clientToken: `${spec.buildId}-${imageId}`.slice(0, 64),
        ...(installAgent ? { userData: await agentUserData(this.region, spec.architecture, this.settings.ssmAgent) } : {}),
      },
      ctx.signal,
      this.settings.instanceProfileWaitSeconds * 1000,
    );
    const handle = await ctx.cleanups.add(
      {
        kind: 'instance',
        id: instanceId,
        provider: 'aws',
        region: this.region,
        label: `instance ${instanceId} (${instanceType}, ${this.region})`,
      },
      () => terminateInstance(ec2, instanceId, cleanupSignal()),
      { keepOnFailure: true },
    );
    this.instances.set(instanceId, { instanceId, instanceType, handle, installAgent });
    return {
      id: instanceId,
      label: `${instanceId} (${instanceType}, ${placement.availabilityZone})`,
      accessHint: `get a shell in it: aws ssm start-session --target ${instanceId} --region ${this.region}`,
    };
  }

  waitReady(machine: Machine, ctx: ProviderContext): Promise<void> {
    return aws(`waiting for ${machine.id}`, () => this.waitReadyImpl(machine, ctx));
  }

  private async waitReadyImpl(machine: Machine, ctx: ProviderContext): Promise<void> {
    const timeoutMs = this.settings.readyTimeoutMinutes * 60_000;
    const deadline = Date.now() + timeoutMs;
    const ec2 = await this.clients.ec2(this.region);
    await waitInstanceHealthy(ec2, machine.id, ctx.signal, timeoutMs, (m) => ctx.progress(m));
    const installing = this.instances.get(machine.id)?.installAgent ?? false;
    ctx.progress(
      installing
        ? 'status checks passed; waiting for the SSM agent, which the user data installs (the base image has none)'
        : 'status checks passed; waiting for the SSM agent (it comes with the base image)',
    );
    const ssm = await this.clients.ssm(this.region);
    await waitAgentOnline(ssm, machine.id, ctx.signal, Math.max(1000, deadline - Date.now()), ctx.log, installing);
  }

  reboot(machine: Machine, ctx: ProviderContext): Promise<void> {
    return aws(`rebooting ${machine.id}`, async () => rebootInstance(await this.clients.ec2(this.region), machine.id, ctx.signal));
  }

  async release(machine: Machine, ctx: ProviderContext): Promise<void> {
    // Termination is asked for now and confirmed by the cleanup at the end of the run.
    await aws(`terminating ${machine.id}`, async () => requestTermination(await this.clients.ec2(this.region), machine.id, ctx.signal));
    this.instances.get(machine.id)?.handle.dropKeepOnFailure();
  }

  exec(machine: Machine, request: ExecRequest, ctx: ProviderContext): Promise<ExecResult> {
    return aws(`running "${request.name}" on ${machine.id}`, async () =>
      runCommand(await this.clients.ssm(this.region), machine.id, request, ctx.signal, ctx.log),
    );
  }

  readFile(machine: Machine, path: string, maxBytes: number, ctx: ProviderContext): Promise<Buffer> {
    return aws(`reading ${path} on ${machine.id}`, async () =>
      readInstanceFile(await this.clients.ssm(this.region), machine.id, path, maxBytes, ctx.signal, ctx.log),
    );
  }

  createImage(machine: Machine, spec: ImageSpec, ctx: ProviderContext): Promise<CreatedImage> {
    return aws('creating the image', () => this.createImageImpl(machine, spec, ctx));
  }

  private async createImageImpl(machine: Machine, spec: ImageSpec, ctx: ProviderContext): Promise<CreatedImage> {
    const ec2 = await this.clients.ec2(this.region);
    const imageId = await createImage(ec2, machine.id, spec.name, spec.description, spec.tags, ctx.signal);
    await ctx.cleanups.add(
      { kind: 'image', id: imageId, provider: 'aws', region: this.region, label: `image ${imageId} and its snapshots (${this.region})` },
      () => deleteImage(ec2, imageId, cleanupSignal()),
      { product: true },
    );
    const image = await waitImageAvailable(ec2, imageId, this.region, ctx.signal, this.settings.imageTimeoutMinutes * 60_000);
    await requireImdsV2(ec2, imageId, ctx.signal);
    // The image and its snapshots carry spec.tags since CreateImage; recordImage marks them complete.
    return { id: imageId, name: spec.name, region: this.region, ...imageSize(image) };
  }

  recordImage(image: CreatedImage, record: ImageRecord, ctx: ProviderContext): Promise<void> {
    return aws(`tagging ${image.id}`, async () => {
      const ec2 = await this.clients.ec2(image.region);
      const current = await describeImage(ec2, image.id, ctx.signal);
      if (!current) throw new PrismError('CLOUD_ERROR', `image ${image.id} disappeared from ${image.region}`);
      await tagImageAndSnapshots(ec2, current, imageTags(record, 'complete'), ctx.signal);
    });
  }

  copyImage(
    image: CreatedImage,
    region: string,
    record: ImageRecord,
    ctx: ProviderContext,
  ): Promise<{ image: CreatedImage; commit(): Promise<void> }> {
    return aws(`copying ${image.id} to ${region}`, () => this.copyImageImpl(image, region, record, ctx));
  }

  private async copyImageImpl(
    image: CreatedImage,
    region: string,
    record: ImageRecord,
    ctx: ProviderContext,
  ): Promise<{ image: CreatedImage; commit(): Promise<void> }> {
    const target = await this.clients.ec2(region);
    const copyTags = { 'prism:copied-from': `${image.region}/${image.id}`, Name: image.name };
    const copyId = await copyImage(
      target,
      {
        sourceImageId: image.id,
        sourceRegion: image.region,
        name: image.name,
        description: `${record.template.name} ${record.version} (${record.architecture}), copied by prism-ami from ${image.region}`,
        clientToken: `${record.buildId}-${region}`,
        tags: { ...imageTags(record, 'building'), ...copyTags },
      },
      ctx.signal,
    );
    const handle = await ctx.cleanups.add(
      { kind: 'image', id: copyId, provider: 'aws', region, label: `image ${copyId} and its snapshots (${region})` },
      () => deleteImage(target, copyId, cleanupSignal()),
      { product: true },
    );
    try {
      const copied = await waitImageAvailable(target, copyId, region, ctx.signal, this.settings.imageTimeoutMinutes * 60_000);
      await requireImdsV2(target, copyId, ctx.signal);
      await tagImageAndSnapshots(target, copied, { ...imageTags(record, 'complete'), ...copyTags }, ctx.signal);
      return { image: { id: copyId, name: image.name, region, ...imageSize(copied) }, commit: () => handle.commit() };
    } catch (error) {
      if (!ctx.signal.aborted) await handle.removeNow().catch(() => undefined);
      throw error;
    }
  }

  findImage(template: string, architecture: Architecture, fingerprint: string): Promise<ExistingImage | undefined> {
    return this.clients.ec2(this.region).then((ec2) =>
      newestTagged(ec2, this.region, template, architecture, [
        { Name: 'tag:prism:fingerprint', Values: [fingerprint] },
        { Name: 'tag:prism:validated', Values: ['true'] },
      ]),
    );
  }

  latestImage(template: string, architecture: Architecture): Promise<ExistingImage | undefined> {
    return this.clients.ec2(this.region).then((ec2) => newestTagged(ec2, this.region, template, architecture, []));
  }

  async describeImage(imageId: string): Promise<ExistingImage | undefined> {
    const ec2 = await this.clients.ec2(this.region);
    return existingImage(await aws(`looking up ${imageId}`, () => describeImage(ec2, imageId, AbortSignal.timeout(60_000))), this.region);
  }

  async recordValidation(imageId: string, tests: TestResult[], at: Date): Promise<void> {
    const ec2 = await this.clients.ec2(this.region);
    const passed = tests.every((t) => t.status === 'passed');
    await aws(`recording validation of ${imageId}`, () =>
      ec2.send(
        new CreateTagsCommand({
          Resources: [imageId],
          Tags: [
            { Key: 'prism:validated', Value: String(passed) },
            { Key: 'prism:validated-at', Value: at.toISOString() },
          ],
        }),
      ),
    );
  }

  async removeResource(resource: Resource): Promise<void> {
    const ec2 = await this.clients.ec2(resource.region);
    const signal = cleanupSignal();
    try {
      switch (resource.kind) {
        case 'instance':
          return await terminateInstance(ec2, resource.id, signal);
        case 'security-group':
          return await deleteSecurityGroup(ec2, resource.id, signal);
        case 'image':
          return await deleteImage(ec2, resource.id, signal);
        case 'snapshot': {
          const { DeleteSnapshotCommand } = await import('@aws-sdk/client-ec2');
          await ec2.send(new DeleteSnapshotCommand({ SnapshotId: resource.id }), { abortSignal: signal }).catch((error: unknown) => {
            if (!isAwsCode(error, 'InvalidSnapshot.NotFound')) throw error;
          });
          return;
        }
        default:
          throw new Error(`the aws provider does not know how to remove a ${resource.kind}`);
      }
    } catch (error) {
      throw cloudError(error, `removing ${resource.label}`);
    }
  }

  findLeftovers(options: { activeBuilds: ReadonlySet<string>; olderThan: Date; signal: AbortSignal }): Promise<Resource[]> {
    return findAwsLeftovers(this.clients, this.settings.regions, options);
  }
}
