import { mkdir, mkdtemp, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderContext, ExecResult } from '../../src/providers/provider.js';
import { execInContainer, rebootContainer, removeContainer, startContainer, type Container } from '../../src/providers/local/container.js';
import { processCmdline, removeTree, runHost, unmount } from '../../src/providers/local/host.js';
import { errorAnswer, requestTags, type FaultProxy, type HookAnswer, type HookCall } from './fault-proxy.js';
import { TwinCleanups, twinContext } from './twin/context.js';
import { TwinImages, type TwinAmi } from './twin/images.js';
import { invocationAnswer, startInvocation, type Invocation } from './twin/ssm.js';
import { IMDS_DIR } from './twin/stubs.js';

export type { TwinAmi } from './twin/images.js';
export { startAgentRepo, type AgentRepo } from './twin/agent-repo.js';
export { STDERR_LIMIT, STDOUT_LIMIT } from './twin/ssm.js';

/**
 * The instance twin: plugged into the fault proxy in front of moto_server, it gives every
 * instance moto launches a real machine, a systemd-nspawn container booted from the local base
 * that stands in for the AMI (the fixture maps AMI IDs to bases, with or without the SSM agent):
 *
 * - RunInstances: the container boots; its user data runs once at boot, as cloud-init's
 *   scripts-user does (a stand-in `cloud-init` answers `status --wait` and `clean`).
 * - SendCommand (AWS-RunShellScript): run for real in the container with `sh`, as the agent does;
 *   GetCommandInvocation reports SSM's statuses and the first 24,000 / 8,000 characters of the
 *   output; CancelCommand kills it. An instance without a running agent (none installed, not
 *   active, rebooting, terminated) answers InvalidInstanceId, as SSM does.
 * - RebootInstances reboots the container; TerminateInstances removes it; CreateImage captures
 *   its file system (rebooting it, as EC2 does unless NoReboot) so RunInstances from the new AMI
 *   (and from its copies) boots that content.
 *
 * Everything else goes to moto unchanged. stop() removes every container, mount and folder.
 */
export interface InstanceTwinOptions {
  proxy: FaultProxy;
  /** AMI ID → what boots for it. */
  amis: Record<string, TwinAmi>;
  /** Where the twin keeps its containers and captured images (a new temporary folder by default). */
  root?: string;
  log?: (line: string) => void;
}

export type TwinInstanceState = 'booting' | 'running' | 'rebooting' | 'terminated' | 'failed';

export interface TwinInstance {
  id: string;
  region: string;
  imageId: string;
  /** The instance's tags from RunInstances (prism:role is build, retest or validate). */
  tags: Record<string, string>;
  userData: Buffer;
  state: TwinInstanceState;
  /** Boots so far (1 after the first). */
  boots: number;
  container?: Container;
  error?: string;
}

interface Internal extends TwinInstance {
  ctx: ProviderContext;
  cleanups: TwinCleanups;
  queue: Promise<unknown>;
}

const ACCOUNT = '123456789012';

export class InstanceTwin {
  /** What went wrong in the background (a container that did not start, a capture that failed): tests assert it is empty. */
  readonly errors: string[] = [];
  /** Every AWS-RunShellScript invocation (one per command and instance), in the order sent. */
  readonly invocations: Invocation[] = [];
  private readonly instances = new Map<string, Internal>();
  /** AMI → its layers (top first): the fixture's, or captured by CreateImage. */
  private readonly captured = new Map<string, Promise<string[]>>();
  private readonly abort = new AbortController();
  private readonly mounts = new TwinCleanups();
  private readonly images: TwinImages;
  private readonly detach: () => void;
  private readonly log: (line: string) => void;

  private constructor(
    readonly root: string,
    private readonly options: InstanceTwinOptions,
  ) {
    this.log = options.log ?? (() => undefined);
    this.images = new TwinImages(root, this.log, this.abort.signal);
    this.detach = options.proxy.use({ intercept: (call) => this.intercept(call), after: (call, answer) => this.after(call, answer) });
  }

  static async start(options: InstanceTwinOptions): Promise<InstanceTwin> {
    const root = options.root ?? (await mkdtemp(join(tmpdir(), 'prism-twin-')));
    await mkdir(root, { recursive: true });
    return new InstanceTwin(root, options);
  }

  /** Builds the layers of these AMIs now (all of the fixture's by default), not at their first launch. */
  async prepare(amiIds: string[] = Object.keys(this.options.amis)): Promise<void> {
    for (const id of amiIds) await this.images.layersFor(this.options.amis[id]);
  }

  instance(id: string): TwinInstance | undefined {
    return this.instances.get(id);
  }

  get allInstances(): TwinInstance[] {
    return [...this.instances.values()];
  }

  /** The layers an AMI boots from (top first), once its capture is done. */
  layersOf(imageId: string): Promise<string[]> | undefined {
    const fixture = this.options.amis[imageId];
    return fixture ? this.images.layersFor(fixture) : this.captured.get(imageId);
  }

  /**
   * The image's file system, read-only (an overlay of its layers, whiteouts applied): what an
   * instance would boot before its first boot changes anything. Unmounted by stop() at the latest.
   */
  async mountImage(imageId: string): Promise<{ root: string; unmount(): Promise<void> }> {
    const layers = await this.layersOf(imageId);
    if (!layers) throw new Error(`instance twin: no layers for ${imageId}`);
    const root = join(this.root, 'mounts', `${imageId}-${this.mounts.pending.length}`);
    await mkdir(root, { recursive: true });
    // Two or more lower layers and no upper one: a read-only overlay.
    const lower = layers.length > 1 ? layers : [...layers, join(this.root, 'empty')];
    await mkdir(join(this.root, 'empty'), { recursive: true });
    await runHost('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lower.join(':')}`, root], { check: true });
    const handle = await this.mounts.add(
      { kind: 'mount', id: root, provider: 'twin', region: 'local', label: `image ${imageId} at ${root}` },
      () => unmount(root),
    );
    return { root, unmount: () => handle.removeNow() };
  }

  /** Waits until the instance has no reboot, capture or removal in progress. */
  async settled(id: string): Promise<void> {
    await this.instances.get(id)?.queue;
  }

  /** Runs a command in a running instance, as root, for a test to look inside. */
  async exec(id: string, command: string, timeoutSeconds = 60): Promise<ExecResult> {
    const instance = this.instances.get(id);
    await instance?.queue;
    if (!instance?.container || instance.state !== 'running') throw new Error(`instance twin: ${id} is not running (${instance?.state})`);
    return execInContainer(instance.container, { kind: 'command', name: 'test', command, timeoutSeconds }, instance.ctx);
  }

  /** systemd-nspawn processes of the twin still alive (empty once stopped). */
  async liveContainers(): Promise<string[]> {
    const live: string[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await processCmdline(Number(pid));
      if (cmdline.includes('systemd-nspawn') && cmdline.includes(`${this.root}/`)) live.push(`${pid} ${cmdline}`);
    }
    return live;
  }

  /** Removes every container, mount and folder of the twin; throws, after trying everything, if something could not be removed. */
  async stop(): Promise<void> {
    this.detach();
    for (const inv of this.invocations) inv.cancel.abort();
    for (const instance of this.instances.values()) instance.state = 'terminated';
    this.abort.abort();
    await Promise.allSettled([...this.instances.values()].map((i) => i.queue));
    await Promise.allSettled(this.invocations.map((i) => i.done));
    const failures: string[] = [];
    failures.push(...(await this.mounts.removeAll()));
    for (const instance of this.instances.values()) failures.push(...(await instance.cleanups.removeAll()));
    await Promise.allSettled([...this.captured.values()]);
    await removeTree(this.root).catch((error: unknown) => failures.push(`${this.root}: ${String(error)}`));
    if (failures.length > 0) throw new Error(`instance twin: could not remove ${failures.join('; ')}`);
  }

  // --- the proxy's hooks ---

  private async intercept(call: HookCall): Promise<HookAnswer | undefined> {
    const p = call.params as Record<string, unknown>;
    if (call.service === 'ec2' && call.action === 'RunInstances' && p.DryRun !== 'true') {
      const imageId = String(p.ImageId);
      if (!this.options.amis[imageId] && !this.captured.has(imageId)) {
        return errorAnswer(call, 400, 'InvalidAMIID.NotFound', `instance twin: no base for ${imageId}; add it to the twin's amis`);
      }
    }
    if (call.service !== 'ssm') return undefined;
    if (call.action === 'SendCommand' && p.DocumentName === 'AWS-RunShellScript') {
      for (const id of (p.InstanceIds as string[] | undefined) ?? []) {
        if (!(await this.agentOnline(id))) {
          return errorAnswer(call, 400, 'InvalidInstanceId', `Instances [[${id}]] not in a valid state for account ${ACCOUNT}`);
        }
      }
      return undefined;
    }
    if (call.action === 'GetCommandInvocation') {
      const inv = this.invocations.find((i) => i.commandId === p.CommandId && i.instanceId === p.InstanceId);
      if (!inv) return undefined;
      return { status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(invocationAnswer(inv)) };
    }
    if (call.action === 'CancelCommand') {
      const ids = p.InstanceIds as string[] | undefined;
      const invs = this.invocations.filter((i) => i.commandId === p.CommandId && (!ids || ids.includes(i.instanceId)));
      if (invs.length === 0) return undefined;
      for (const inv of invs) inv.cancel.abort();
      return { status: 200, contentType: 'application/x-amz-json-1.1', body: '{}' };
    }
    return undefined;
  }

  private async after(call: HookCall, answer: string): Promise<string | undefined> {
    const p = call.params as Record<string, string>;
    const ids = (prefix: string) =>
      Object.entries(p)
        .filter(([k]) => new RegExp(`^${prefix}\\.\\d+$`).test(k))
        .map(([, v]) => v);
    if (call.service === 'ssm' && call.action === 'SendCommand' && p.DocumentName === 'AWS-RunShellScript') {
      return this.sendCommand(call, answer);
    }
    if (call.service !== 'ec2') return undefined;
    switch (call.action) {
      case 'RunInstances': {
        const launched = [...new Set([...answer.matchAll(/<instanceId>([^<]+)<\/instanceId>/g)].map((m) => m[1]))];
        const userData = Buffer.from(p.UserData ?? '', 'base64');
        for (const id of launched) this.launch(id, call.region, p.ImageId, userData, requestTags(call));
        return undefined;
      }
      case 'RebootInstances':
        for (const id of ids('InstanceId')) this.reboot(id);
        return undefined;
      case 'TerminateInstances':
        for (const id of ids('InstanceId')) this.terminate(id);
        return undefined;
      case 'CreateImage': {
        const imageId = /<imageId>([^<]+)<\/imageId>/.exec(answer)?.[1];
        if (imageId) this.capture(p.InstanceId, imageId, p.NoReboot === 'true');
        return undefined;
      }
      case 'CopyImage': {
        const imageId = /<imageId>([^<]+)<\/imageId>/.exec(answer)?.[1];
        const source = this.layersOf(p.SourceImageId);
        if (imageId && source) this.captured.set(imageId, source);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  // --- instances ---

  private launch(id: string, region: string, imageId: string, userData: Buffer, tags: Record<string, string>): void {
    const cleanups = new TwinCleanups();
    const dir = join(this.root, 'instances', id);
    const ctx = twinContext(cleanups, this.abort.signal, join(this.root, 'instances', `${id}.log`), this.log);
    const instance: Internal = { id, region, imageId, tags, userData, state: 'booting', boots: 0, cleanups, ctx, queue: Promise.resolve() };
    this.instances.set(id, instance);
    void this.enqueue(instance, 'boot', async () => {
      const layers = await this.layersOf(imageId)!;
      await mkdir(join(this.root, 'instances'), { recursive: true });
      instance.container = await startContainer(
        { name: `twin-${id}`, workDir: dir, lowerDirs: layers, consoleLog: `${dir}.console.log`, network: { hostLoopback: true } },
        ctx,
      );
      await this.booted(instance);
    });
  }

  private reboot(id: string): void {
    const instance = this.instances.get(id);
    if (!instance || instance.state === 'terminated') return;
    instance.state = 'rebooting';
    void this.enqueue(instance, 'reboot', async () => {
      await rebootContainer(instance.container!, instance.ctx);
      await this.booted(instance);
    });
  }

  private terminate(id: string): void {
    const instance = this.instances.get(id);
    if (!instance || instance.state === 'terminated') return;
    instance.state = 'terminated';
    for (const inv of this.invocations.filter((i) => i.instanceId === id)) inv.cancel.abort();
    void this.enqueue(instance, 'terminate', async () => {
      if (instance.container) await removeContainer(instance.container);
      await instance.cleanups.removeAll();
    });
  }

  /** The container's file system as a layer: its upper layer over its own layers, taken while it is down (or, with NoReboot, as it runs). */
  private capture(instanceId: string, imageId: string, noReboot: boolean): void {
    const instance = this.instances.get(instanceId);
    if (!instance) {
      this.errors.push(`CreateImage ${imageId}: ${instanceId} is not a twin instance`);
      return;
    }
    const layer = join(this.root, 'images', imageId, 'layer');
    const copy = async (container: Container) => {
      await mkdir(join(this.root, 'images', imageId), { recursive: true });
      await runHost('cp', ['-a', '--', container.upper, layer], { check: true });
    };
    if (!noReboot && instance.state !== 'terminated') instance.state = 'rebooting';
    const layers = this.enqueue(instance, `capture ${imageId}`, async () => {
      const container = instance.container!;
      if (noReboot) {
        await execInContainer(container, { kind: 'command', name: 'sync', command: 'sync', timeoutSeconds: 60 }, instance.ctx);
        await copy(container);
      } else {
        await rebootContainer(container, instance.ctx, 120_000, () => copy(container));
        await this.booted(instance);
      }
      return [layer, ...container.lowerDirs];
    });
    this.captured.set(imageId, layers);
  }

  /** A boot is done: the metadata the stand-ins read is written (it lives in /run, so no image keeps it). */
  private async booted(instance: Internal): Promise<void> {
    const imds = `/proc/${instance.container!.leaderPid}/root${IMDS_DIR}`;
    await mkdir(imds, { recursive: true, mode: 0o755 });
    await writeFile(join(imds, 'user-data'), instance.userData, { mode: 0o600 });
    await writeFile(join(imds, 'ami-id'), `${instance.imageId}\n`);
    await writeFile(join(imds, 'region'), `${instance.region}\n`);
    await writeFile(join(imds, 'instance-id.tmp'), instance.id);
    await rename(join(imds, 'instance-id.tmp'), join(imds, 'instance-id'));
    instance.boots++;
    if (instance.state === 'booting' || instance.state === 'rebooting') instance.state = 'running';
  }

  /** Runs the instance's operations one after the other; a failure is recorded and leaves it failed. */
  private enqueue<T>(instance: Internal, what: string, op: () => Promise<T>): Promise<T> {
    const result = instance.queue.then(() => {
      if (instance.state === 'terminated' && what !== 'terminate') throw new Error('terminated');
      return op();
    });
    instance.queue = result.catch((error: unknown) => {
      if (this.abort.signal.aborted || (instance.state === 'terminated' && what !== 'terminate')) return;
      instance.state = 'failed';
      instance.error = `${what}: ${String(error)}`;
      this.errors.push(`${instance.id} ${what}: ${error instanceof Error ? error.message : String(error)}`);
      this.log(`instance twin: ${instance.id} ${what} failed: ${String(error)}`);
    });
    return result;
  }

  // --- SSM ---

  private async agentOnline(id: string): Promise<boolean> {
    const instance = this.instances.get(id);
    if (!instance?.container || instance.state !== 'running') return false;
    const check = await execInContainer(
      instance.container,
      {
        kind: 'command',
        name: 'agent?',
        command: 'test -x /usr/bin/amazon-ssm-agent && systemctl is-active --quiet amazon-ssm-agent.service',
        timeoutSeconds: 20,
      },
      instance.ctx,
    ).catch(() => undefined);
    return check?.exitCode === 0 && instance.state === 'running';
  }

  private sendCommand(call: HookCall, answer: string): string {
    const p = call.params as { InstanceIds?: string[]; Comment?: string; Parameters?: Record<string, unknown> };
    const sent = JSON.parse(answer) as { Command: Record<string, unknown> };
    const commandId = String(sent.Command.CommandId);
    for (const id of p.InstanceIds ?? []) {
      const instance = this.instances.get(id)!;
      this.invocations.push(
        startInvocation(instance.container!, instance.ctx, {
          commandId,
          instanceId: id,
          comment: p.Comment ?? '',
          parameters: p.Parameters ?? {},
        }),
      );
    }
    return JSON.stringify({ ...sent, Command: { ...sent.Command, Status: 'Pending', StatusDetails: 'Pending' } });
  }
}
