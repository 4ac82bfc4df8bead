import type { CleanupRegistry, Resource } from '../core/resources.js';
import type { BuildEvent, TestResult } from '../core/events.js';
import type { ImageManifest } from '../core/manifest.js';
import type { Architecture } from '../core/types.js';
import type { Template } from '../template/model.js';

/** What every provider call gets: cancellation, the cleanup stack, the log. */
export interface ProviderContext {
  signal: AbortSignal;
  /** The build log; providers may write companions next to it (e.g. `.console.log`). */
  logFile: string;
  cleanups: CleanupRegistry;
  log: (line: string) => void;
  /** A progress line under the current step (e.g. "waiting for the base image lock"). */
  progress: (message: string) => void;
  emit: (event: BuildEvent) => void;
}

/** The image a build machine starts from. */
export interface BaseImage {
  id: string;
  /** e.g. the AMI name, or "debian-12 (bookworm)". */
  name: string;
  /** When the base is a parent template's image. */
  parentTemplate?: string;
}

export interface LaunchSpec {
  buildId: string;
  template: Template;
  architecture: Architecture;
  /** Tags every resource of the build carries. */
  tags: Record<string, string>;
  /**
   * The step cache's keys of the template's setup steps, in order (engine/step-keys.ts), when the
   * cache is on. A provider with a step cache starts the machine from the state after the
   * longest cached prefix and says how many steps that covers in `Machine.restoredSteps`.
   */
  setupKeys?: readonly string[];
}

export interface Machine {
  id: string;
  /** Without the noun: e.g. "i-0abc (t3.medium)" or "prism-1a2b (2 layers)". */
  label: string;
  /** How to get a shell in it, for --keep-on-failure. */
  accessHint: string;
  /** Leading setup steps whose result the machine already holds (from the step cache). */
  restoredSteps?: number;
}

/** Which step a step-cache entry is the state after, for `prism ami cache list`. */
export interface SavedStep {
  template: string;
  architecture: Architecture;
  /** 1-based. */
  index: number;
  name: string;
}

export type ExecRequest =
  | { kind: 'script'; name: string; script: string; timeoutSeconds: number; onOutput?: OutputListener }
  | { kind: 'command'; name: string; command: string; timeoutSeconds: number; onOutput?: OutputListener };

export type OutputListener = (chunk: string, stream: 'stdout' | 'stderr') => void;

export interface ExecResult {
  /** null when killed (timeout). */
  exitCode: number | null;
  /** Captured output (the end of it, when long). */
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ImageSpec {
  name: string;
  description: string;
  tags: Record<string, string>;
}

export interface CreatedImage {
  id: string;
  name: string;
  region: string;
  sizeBytes?: number;
}

/** Everything known about a finished image, written as its metadata or tags. */
export interface ImageRecord {
  template: Template;
  version: string;
  fingerprint: string;
  architecture: Architecture;
  buildId: string;
  base: BaseImage;
  created: Date;
  tests: TestResult[];
  /** Where `tests` ran: on a fresh boot of the image (the default), or only in the build machine. */
  validatedOn?: 'fresh-boot' | 'build-machine';
  /** What is in the image (collected in the build machine before the image is made). */
  manifest?: ImageManifest;
}

export interface ExistingImage {
  id: string;
  name: string;
  region: string;
  created: string;
  validated: boolean;
  fingerprint?: string;
  version?: string;
  sizeBytes?: number;
}

/**
 * The contract build/ needs from a cloud (DESIGN.md). Every method that creates something
 * registers its removal on `ctx.cleanups` before it returns.
 */
export interface Provider {
  readonly name: 'aws' | 'local';
  readonly region: string;
  /** Words for the build machine in output: "instance" or "container". */
  readonly machineNoun: string;
  /** Checks what the provider needs (root, packages, credentials); throws a clear error. */
  preflight(architecture: Architecture, ctx: ProviderContext, needs?: { machine: boolean }): Promise<void>;
  /** The base image: the template's base source, or its parent's current image. */
  resolveBase(template: Template, architecture: Architecture, ctx: ProviderContext): Promise<BaseImage>;
  launch(base: BaseImage, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine>;
  /**
   * Launches a fresh machine from a finished image (validate), or from the image this run has
   * just made and not yet recorded (the fresh-boot re-test).
   */
  launchImage(imageId: string, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine>;
  waitReady(machine: Machine, ctx: ProviderContext): Promise<void>;
  /**
   * Asks the machine to reboot and returns once the request is made; the engine then waits with
   * waitReady and checks that the machine really booted again.
   */
  reboot(machine: Machine, ctx: ProviderContext): Promise<void>;
  /**
   * The run needs the machine no more (its image is made): stop paying for it now. Its cleanup
   * entry stays until it is confirmed gone.
   */
  release(machine: Machine, ctx: ProviderContext): Promise<void>;
  exec(machine: Machine, request: ExecRequest, ctx: ProviderContext): Promise<ExecResult>;
  /**
   * A file of the machine, whole (the package manifest): read from the container directly
   * locally, in pieces that fit SSM's output on AWS. Fails when the file is missing or larger
   * than `maxBytes`.
   */
  readFile(machine: Machine, path: string, maxBytes: number, ctx: ProviderContext): Promise<Buffer>;
  /**
   * Optional (a step cache): stores the machine's file system as the state after setup step
   * `step` (1-based) under `key`; a later launch with the same key starts from it.
   */
  saveSetupStep?(machine: Machine, key: string, step: SavedStep, ctx: ProviderContext): Promise<void>;
  /** Makes the image; registers its deletion (a half-made image is removed on failure). */
  createImage(machine: Machine, spec: ImageSpec, ctx: ProviderContext): Promise<CreatedImage>;
  /** Writes the image's metadata (tags on AWS, metadata.json locally). */
  recordImage(image: CreatedImage, record: ImageRecord, ctx: ProviderContext): Promise<void>;
  /** A validated image of this template with this fingerprint, if one exists (skip-unchanged). */
  findImage(template: string, architecture: Architecture, fingerprint: string): Promise<ExistingImage | undefined>;
  /** A finished image by its ID in this region, if it exists. */
  describeImage(imageId: string): Promise<ExistingImage | undefined>;
  /** The newest finished image of a template and architecture, whatever its fingerprint. */
  latestImage(template: string, architecture: Architecture): Promise<ExistingImage | undefined>;
  /** Records the result of `validate` on an image. */
  recordValidation(imageId: string, tests: TestResult[], at: Date): Promise<void>;
  /**
   * Copies a finished image to another region (AWS). The copy is removed again if it fails or
   * the run is cancelled before `commit`; after `commit` it is kept.
   */
  copyImage?(
    image: CreatedImage,
    region: string,
    record: ImageRecord,
    ctx: ProviderContext,
  ): Promise<{ image: CreatedImage; commit(): Promise<void> }>;
  /**
   * Leftovers found by scanning (not by journal) must be at least this old before sweep removes
   * them: in the cloud, another machine's build may still be using them.
   */
  readonly leftoverMinAgeMs: number;
  /** Removes a resource a crashed run left behind (from its journal, or found by findLeftovers). */
  removeResource(resource: Resource): Promise<void>;
  /**
   * Resources of prism-ami runs that are not running any more, found without journals (tags in
   * the cloud, folders and processes locally). `activeBuilds` are runs known to be alive.
   */
  findLeftovers(options: { activeBuilds: ReadonlySet<string>; olderThan: Date; signal: AbortSignal }): Promise<Resource[]>;
}
