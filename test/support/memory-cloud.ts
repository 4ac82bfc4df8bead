import { PrismError } from '../../src/core/errors.js';
import type { TestResult } from '../../src/core/events.js';
import type { Architecture } from '../../src/core/types.js';
import type { CleanupHandle, Resource } from '../../src/core/resources.js';
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
} from '../../src/providers/provider.js';
import type { Template } from '../../src/template/model.js';
import { debianListing, ManifestMachine } from './manifest-machine.js';

/** The provider methods a test can make fail. */
export type CloudStep =
  'preflight' | 'resolveBase' | 'launch' | 'launchImage' | 'waitReady' | 'reboot' | 'exec' | 'createImage' | 'recordImage';

/**
 * What an exec of a given name (a setup step's or a test's name) does: finish with this result
 * (after passing `chunks` to onOutput), or hang until the run's signal aborts.
 */
export type ExecScript = (Partial<ExecResult> & { chunks?: [string, 'stdout' | 'stderr'][] }) | 'hang';

export interface MemoryCloudOptions {
  name?: 'aws' | 'local';
  region?: string;
  /** Throw this error from the named method (after creating what it creates first, if anything). */
  failAt?: Partial<Record<CloudStep, Error>>;
  /** Per exec name: what it does. Default: exit 0, no output. A list gives one per call. */
  exec?: Record<string, ExecScript | ExecScript[]>;
  /** Per exec name, on machines launched from an image (validate, the fresh-boot re-test): overrides `exec`. */
  execOnImage?: Record<string, ExecScript>;
  /** Resource ids whose removal fails. */
  failRemoval?: string[];
  /** Regions whose image copy fails (after the copy exists). */
  failCopyTo?: string[];
  /** Image IDs that look like AMI IDs (ami-…), as a registry of AWS regions needs. */
  amiIds?: boolean;
  /**
   * What the build machine's package listers print (test/support/manifest-machine.ts): the
   * manifest collection is answered from it. Default a small Debian listing; false: every
   * collection command prints nothing (as moto's SSM does).
   */
  manifest?: string | false;
}

let amiSerial = 0;

/**
 * An in-memory cloud that implements the Provider contract: a test double of the cloud, not of
 * the build engine. It records each call, keeps the resources it "created", and registers their
 * removal on ctx.cleanups exactly as a real provider must: the launch makes a security group
 * then an instance (kept by --keep-on-failure), createImage makes the image (a product) and then
 * its snapshot (a product).
 */
export class MemoryCloud implements Provider {
  readonly name: 'aws' | 'local';
  readonly region: string;
  readonly machineNoun: string;
  readonly leftoverMinAgeMs = 0;
  readonly calls: string[] = [];
  /** Resources that exist now, by id, in creation order. */
  readonly resources = new Map<string, Resource>();
  /** Ids in the order they were removed. */
  readonly removed: string[] = [];
  readonly execRequests: ExecRequest[] = [];
  readonly records: ImageRecord[] = [];
  readonly imageSpecs: ImageSpec[] = [];
  readonly copyRequests: { image: CreatedImage; region: string; record: ImageRecord }[] = [];
  /** Resolved when an exec starts hanging (with its name). */
  hanging: Promise<string>;
  private onHang!: (name: string) => void;
  private readonly execCounts = new Map<string, number>();
  /** Machines launched from an image, and machines released (no exec may reach them). */
  private readonly fromImage = new Set<string>();
  readonly released: string[] = [];
  private readonly handles = new Map<string, CleanupHandle>();
  private serial = 0;
  private readonly manifest: ManifestMachine | undefined;

  constructor(private readonly options: MemoryCloudOptions = {}) {
    this.manifest =
      options.manifest === false
        ? undefined
        : new ManifestMachine(options.manifest ?? debianListing({ bash: '5.2.15-2+b7', coreutils: '9.1-1' }));
    this.name = options.name ?? 'local';
    this.region = options.region ?? 'local';
    this.machineNoun = this.name === 'local' ? 'container' : 'instance';
    this.hanging = new Promise((resolve) => (this.onHang = resolve));
  }

  private imageId(plain: string): string {
    return this.options.amiIds ? `ami-${(++amiSerial).toString(16).padStart(17, '0')}` : plain;
  }

  /** The ids of what exists now. */
  remaining(): string[] {
    return [...this.resources.keys()];
  }

  private fail(step: CloudStep): void {
    const error = this.options.failAt?.[step];
    if (error) throw error;
  }

  private async create(
    kind: string,
    id: string,
    ctx: ProviderContext,
    options: { keepOnFailure?: boolean; product?: boolean } = {},
  ): Promise<Resource> {
    const resource: Resource = { kind, id, provider: this.name, region: this.region, label: `${kind} ${id}` };
    this.resources.set(id, resource);
    const handle = await ctx.cleanups.add(
      resource,
      async () => {
        this.calls.push(`remove ${id}`);
        if (this.options.failRemoval?.includes(id)) throw new Error(`${id} is busy`);
        if (!this.resources.delete(id)) throw new Error(`${id} does not exist`);
        this.removed.push(id);
      },
      options,
    );
    this.handles.set(id, handle);
    return resource;
  }

  async preflight(architecture: Architecture, ctx: ProviderContext): Promise<void> {
    this.calls.push(`preflight ${architecture}`);
    ctx.progress('checking the double');
    this.fail('preflight');
  }

  async resolveBase(template: Template, architecture: Architecture): Promise<BaseImage> {
    this.calls.push(`resolveBase ${template.slug} ${architecture}`);
    this.fail('resolveBase');
    return { id: 'base-1', name: 'debian-12 (bookworm)' };
  }

  async launch(base: BaseImage, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    this.calls.push(`launch ${base.id}`);
    return this.start(spec, ctx, 'launch');
  }

  async launchImage(imageId: string, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    this.calls.push(`launchImage ${imageId}`);
    const machine = await this.start(spec, ctx, 'launchImage');
    this.fromImage.add(machine.id);
    return machine;
  }

  private async start(spec: LaunchSpec, ctx: ProviderContext, step: CloudStep): Promise<Machine> {
    const n = ++this.serial;
    await this.create('security-group', `sg-${n}`, ctx);
    this.fail(step);
    const id = `m-${n}`;
    await this.create(this.machineNoun, id, ctx, { keepOnFailure: true });
    if (spec.tags['prism:build-id'] !== spec.buildId) throw new Error('tags lack the build id');
    return { id, label: `${id} (double)`, accessHint: `shell: double-ssh ${id}` };
  }

  async waitReady(machine: Machine): Promise<void> {
    this.calls.push(`waitReady ${machine.id}`);
    this.fail('waitReady');
  }

  async reboot(machine: Machine): Promise<void> {
    this.calls.push(`reboot ${machine.id}`);
    this.fail('reboot');
  }

  async release(machine: Machine): Promise<void> {
    // As on AWS: termination is asked for, and confirmed by the run's cleanup.
    this.calls.push(`release ${machine.id}`);
    this.released.push(machine.id);
    this.handles.get(machine.id)?.dropKeepOnFailure();
  }

  async exec(machine: Machine, request: ExecRequest, ctx: ProviderContext): Promise<ExecResult> {
    this.calls.push(`exec ${request.kind} ${request.name}`);
    this.execRequests.push(request);
    if (!this.resources.has(machine.id)) throw new Error(`exec on ${machine.id}, which does not exist`);
    if (this.released.includes(machine.id)) throw new Error(`exec on ${machine.id}, which was released`);
    this.fail('exec');
    const count = (this.execCounts.get(request.name) ?? 0) + 1;
    this.execCounts.set(request.name, count);
    const configured =
      (this.fromImage.has(machine.id) ? this.options.execOnImage?.[request.name] : undefined) ?? this.options.exec?.[request.name];
    const script = Array.isArray(configured) ? configured[Math.min(count, configured.length) - 1] : configured;
    if (script === 'hang') {
      this.onHang(request.name);
      return new Promise((_, reject) => {
        const cancel = () => reject(new PrismError('CANCELLED', 'Cancelled'));
        if (ctx.signal.aborted) cancel();
        else ctx.signal.addEventListener('abort', cancel, { once: true });
      });
    }
    if (!script && this.manifest) {
      const answer = this.manifest.answer(request.kind === 'script' ? request.script : request.command);
      if (answer !== undefined) return { exitCode: 0, stdout: answer, stderr: '', timedOut: false };
    }
    const { chunks = [], ...result } = script ?? {};
    for (const [chunk, stream] of chunks) request.onOutput?.(chunk, stream);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...result };
  }

  readFile(machine: Machine, path: string, maxBytes: number): Promise<Buffer> {
    this.calls.push(`readFile ${machine.id} ${path}`);
    const bytes = this.manifest?.read(path);
    if (!bytes) return Promise.reject(new PrismError('BUILD_FAILED', `reading ${path} on ${machine.id} failed: no such file`));
    if (bytes.length > maxBytes)
      return Promise.reject(new PrismError('BUILD_FAILED', `${path} is ${bytes.length} bytes, more than ${maxBytes}`));
    return Promise.resolve(bytes);
  }

  async createImage(machine: Machine, spec: ImageSpec, ctx: ProviderContext): Promise<CreatedImage> {
    this.calls.push(`createImage ${machine.id}`);
    this.imageSpecs.push(spec);
    const n = this.serial;
    const imageId = this.imageId(`img-${n}`);
    await this.create('image', imageId, ctx, { product: true });
    await this.create('snapshot', `snap-${n}`, ctx, { product: true });
    this.fail('createImage');
    return { id: imageId, name: spec.name, region: this.region, sizeBytes: 1_500_000_000 };
  }

  async recordImage(image: CreatedImage, record: ImageRecord): Promise<void> {
    this.calls.push(`recordImage ${image.id}`);
    this.fail('recordImage');
    this.records.push(record);
  }

  async copyImage(
    image: CreatedImage,
    region: string,
    record: ImageRecord,
    ctx: ProviderContext,
  ): Promise<{ image: CreatedImage; commit(): Promise<void> }> {
    this.calls.push(`copyImage ${image.id} ${region}`);
    this.copyRequests.push({ image, region, record });
    const id = this.imageId(`${image.id}-${region}`);
    this.resources.set(id, { kind: 'image', id, provider: this.name, region, label: `image ${id}` });
    const handle = await ctx.cleanups.add(this.resources.get(id)!, async () => {
      this.calls.push(`remove ${id}`);
      if (!this.resources.delete(id)) throw new Error(`${id} does not exist`);
      this.removed.push(id);
    });
    if (this.options.failCopyTo?.includes(region)) throw new Error(`copy to ${region} failed`);
    return { image: { id, name: image.name, region }, commit: () => handle.commit() };
  }

  async findImage(): Promise<ExistingImage | undefined> {
    return undefined;
  }

  async describeImage(imageId: string): Promise<ExistingImage | undefined> {
    const resource = this.resources.get(imageId);
    return resource?.kind === 'image'
      ? { id: imageId, name: this.imageSpecs.at(-1)?.name ?? imageId, region: resource.region, created: '', validated: true }
      : undefined;
  }

  async latestImage(): Promise<ExistingImage | undefined> {
    return undefined;
  }

  async recordValidation(imageId: string, tests: TestResult[]): Promise<void> {
    this.calls.push(`recordValidation ${imageId} ${tests.length}`);
  }

  async removeResource(resource: Resource): Promise<void> {
    this.resources.delete(resource.id);
  }

  async findLeftovers(): Promise<Resource[]> {
    return [...this.resources.values()];
  }
}
