import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Resource } from '../../core/resources.js';
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
  SavedStep,
} from '../provider.js';
import { ensureBase, readBase } from './base-cache.js';
import { readContainerFile } from './container-files.js';
import {
  execInContainer,
  isNspawn,
  leaderOf,
  rebootContainer,
  removeContainer,
  startContainer,
  stopContainer,
  waitBooted,
  type Container,
} from './container.js';
import { removeTree, runHost, unmount } from './host.js';
import { stopProcess } from './network.js';
import { findLocalLeftovers } from './leftovers.js';
import { LocalImageStore, type LocalImage } from './image-store.js';
import type { LocalSettings } from '../../config/settings.js';
import { checkLocalPrerequisites } from './prerequisites.js';
import { StepCache } from './step-cache.js';
import { suiteFor } from './suites.js';
import { resolveParentImage } from '../parent-image.js';

/**
 * Builds images on this machine: a cached debootstrap root file system, an overlay per build,
 * systemd-nspawn to boot it and nsenter to run commands in it. The image is the overlay's upper
 * layer plus metadata in the local image store. Needs root.
 */
export class LocalProvider implements Provider {
  readonly name = 'local' as const;
  readonly region = 'local';
  readonly machineNoun = 'container';
  /**
   * Found by scanning, without a journal saying the run is over: left alone this long (a kept
   * machine, a build of another state folder), as on AWS. `sweep --older-than` overrides it.
   */
  readonly leftoverMinAgeMs = 6 * 3_600_000;
  readonly store: LocalImageStore;
  readonly stepCache: StepCache;
  private readonly containers = new Map<string, Container>();
  /** Layers (top first) of images this process made and has not recorded yet: the re-test boots them. */
  private readonly unrecorded = new Map<string, string[]>();
  /** Base records by id, so images know what they sit on. */
  private readonly bases = new Map<string, { id: string; alias: string; suite: string; rootfs: string }>();

  constructor(readonly settings: LocalSettings) {
    this.store = new LocalImageStore(settings.imageDir);
    this.stepCache = new StepCache(settings.stepCacheDir, settings.stepCacheMaxBytes);
  }

  preflight(architecture: Architecture, _ctx?: ProviderContext, needs: { machine: boolean } = { machine: true }): Promise<void> {
    if (!needs.machine) return Promise.resolve();
    return checkLocalPrerequisites(architecture);
  }

  async resolveBase(template: Template, architecture: Architecture, ctx: ProviderContext): Promise<BaseImage> {
    if (template.parent) return resolveParentImage(this, template, architecture);
    const suite = suiteFor(template.base, architecture, this.settings);
    const base = await ensureBase(this.settings.cacheDir, suite, architecture, ctx);
    this.bases.set(base.id, { id: base.id, alias: base.alias, suite: base.suite, rootfs: base.rootfs });
    return { id: base.id, name: `${suite.alias} ${suite.suite}, created ${base.created.slice(0, 10)}` };
  }

  launch(base: BaseImage, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    return this.boot(base.id, spec, ctx);
  }

  launchImage(imageId: string, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    return this.boot(imageId, spec, ctx);
  }

  private async boot(from: string, spec: LaunchSpec, ctx: ProviderContext): Promise<Machine> {
    const lowerDirs = from.startsWith('limg-')
      ? (this.unrecorded.get(from) ?? (await this.store.lowerDirs(from)))
      : [await this.baseRootfs(from)];
    const name = `prism-${spec.buildId.replace(/^build-/, '')}`;
    const workDir = join(this.settings.workDir, spec.buildId);
    let restoredSteps = 0;
    const container = await startContainer(
      {
        name,
        workDir,
        lowerDirs,
        consoleLog: ctx.logFile.replace(/\.log$/, '') + '.console.log',
        seedUpper: async (upper) => {
          restoredSteps = await this.restoreSteps(spec.setupKeys ?? [], upper, ctx);
        },
      },
      ctx,
    );
    this.containers.set(name, container);
    const layers = `${lowerDirs.length} layer${lowerDirs.length === 1 ? '' : 's'}`;
    return {
      id: name,
      label: `${name} (${layers}${restoredSteps ? `, ${restoredSteps} setup step${restoredSteps === 1 ? '' : 's'} from the step cache` : ''})`,
      accessHint: `get a shell in it: sudo nsenter --target ${container.leaderPid} --all /bin/bash`,
      ...(restoredSteps ? { restoredSteps } : {}),
    };
  }

  /** Starts the upper layer from the longest cached prefix of the setup steps; how many it covers. */
  private async restoreSteps(keys: readonly string[], upper: string, ctx: ProviderContext): Promise<number> {
    const hit = keys.length > 0 ? await this.stepCache.longestPrefix(keys) : undefined;
    if (!hit) return 0;
    ctx.progress(`starting from the step cache: the state after step ${hit.index + 1} (${hit.entry.stepName})`);
    if (await this.stepCache.restore(keys[hit.index], upper, ctx.signal)) return hit.index + 1;
    // A half-copied layer is worse than none: start from the base.
    ctx.log(`step cache: could not restore ${hit.layer}; building without it`);
    await removeTree(upper);
    await mkdir(upper);
    return 0;
  }

  async saveSetupStep(machine: Machine, key: string, step: SavedStep, ctx: ProviderContext): Promise<void> {
    const container = this.container(machine);
    await execInContainer(container, { kind: 'command', name: 'sync', command: 'sync', timeoutSeconds: 60 }, ctx);
    await this.stepCache.save(
      key,
      container.upper,
      { template: step.template, step: step.index, stepName: step.name, architecture: step.architecture },
      ctx.signal,
    );
  }

  private async baseRootfs(id: string): Promise<string> {
    const known = this.bases.get(id) ?? (await readBase(this.settings.cacheDir, id));
    if (!known) throw new PrismError('BASE_UNAVAILABLE', `base ${id} is not in ${this.settings.cacheDir}`);
    return known.rootfs;
  }

  waitReady(machine: Machine, ctx: ProviderContext): Promise<void> {
    return waitBooted(this.container(machine), ctx);
  }

  reboot(machine: Machine, ctx: ProviderContext): Promise<void> {
    return rebootContainer(this.container(machine), ctx);
  }

  async release(machine: Machine): Promise<void> {
    await removeContainer(this.container(machine));
    this.containers.delete(machine.id);
  }

  exec(machine: Machine, request: ExecRequest, ctx: ProviderContext): Promise<ExecResult> {
    return execInContainer(this.container(machine), request, ctx);
  }

  readFile(machine: Machine, path: string, maxBytes: number): Promise<Buffer> {
    return readContainerFile(this.container(machine), path, maxBytes);
  }

  /**
   * Syncs and powers the container off (so every file is written), unmounts it and moves its upper layer
   * into the store as `<id>.partial/layer`; the image is published by recordImage.
   */
  async createImage(machine: Machine, spec: ImageSpec, ctx: ProviderContext): Promise<CreatedImage> {
    const container = this.container(machine);
    await execInContainer(
      container,
      {
        kind: 'command',
        // The engine has generalized it (engine/generalize.ts); only the writes must be on disk.
        name: 'sync',
        command: 'sync',
        timeoutSeconds: 60,
      },
      ctx,
    );
    await container.handles.container.removeNow();
    await container.handles.network?.removeNow();
    await container.handles.mount.removeNow();
    const id = `limg-${randomBytes(6).toString('hex')}`;
    await this.store.ensureDir();
    const partial = this.store.partialPath(id);
    await ctx.cleanups.add(
      { kind: 'image', id, provider: 'local', region: 'local', label: `image ${id}`, detail: { path: partial } },
      () => this.store.remove(id),
      { product: true },
    );
    await runHost('mkdir', ['-p', partial], { check: true });
    try {
      await rename(container.upper, join(partial, 'layer'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await runHost('cp', ['-a', container.upper, join(partial, 'layer')], { check: true, signal: ctx.signal });
    }
    this.unrecorded.set(id, [join(partial, 'layer'), ...container.lowerDirs]);
    const du = await runHost('du', ['-s', '-B1', join(partial, 'layer')]);
    const sizeBytes = Number(du.stdout.split(/\s+/)[0]) || 0;
    return { id, name: spec.name, region: 'local', sizeBytes };
  }

  async recordImage(image: CreatedImage, record: ImageRecord): Promise<void> {
    const parentImage = record.base.parentTemplate ? record.base.id : null;
    const base = parentImage
      ? (await this.store.get(parentImage))!.base
      : (this.bases.get(record.base.id) ?? (await readBase(this.settings.cacheDir, record.base.id)))!;
    const metadata: LocalImage = {
      schema: 1,
      id: image.id,
      name: image.name,
      template: record.template.slug,
      version: record.version,
      fingerprint: record.fingerprint,
      architecture: record.architecture,
      region: 'local',
      created: record.created.toISOString(),
      buildId: record.buildId,
      sizeBytes: image.sizeBytes ?? 0,
      base: { id: base.id, alias: base.alias, suite: base.suite, rootfs: base.rootfs },
      parentImage,
      sourceImage: record.base.id,
      validated: record.tests.every((t) => t.status === 'passed'),
      validatedAt: record.created.toISOString(),
      validation: record.tests,
      ...(record.validatedOn ? { validatedOn: record.validatedOn } : {}),
      ...(record.manifest ? { manifestDigest: record.manifest.digest } : {}),
      tags: record.template.tags,
    };
    await this.store.publish(metadata);
    this.unrecorded.delete(image.id);
  }

  async findImage(template: string, architecture: Architecture, fingerprint: string): Promise<ExistingImage | undefined> {
    return existing(await this.store.findValidated(template, architecture, fingerprint));
  }

  async describeImage(imageId: string): Promise<ExistingImage | undefined> {
    return existing(await this.store.get(imageId));
  }

  async latestImage(template: string, architecture: Architecture): Promise<ExistingImage | undefined> {
    return existing((await this.store.list()).find((i) => i.template === template && i.architecture === architecture));
  }

  async recordValidation(imageId: string, tests: TestResult[], at: Date): Promise<void> {
    const image = await this.store.get(imageId);
    if (!image) throw new PrismError('NOT_FOUND', `no local image ${imageId}`);
    await this.store.update({
      ...image,
      validated: tests.every((t) => t.status === 'passed'),
      validatedAt: at.toISOString(),
      validation: tests,
    });
  }

  async removeResource(resource: Resource): Promise<void> {
    const path = String(resource.detail?.path ?? '');
    switch (resource.kind) {
      case 'container': {
        const pid = Number(resource.detail?.pid);
        if (pid && (await isNspawn(pid, resource.id)))
          await stopContainer({ nspawnPid: pid, leaderPid: await leaderOf(pid), name: resource.id }, 10_000);
        return;
      }
      case 'process':
        return stopProcess(Number(resource.detail?.pid), String(resource.detail?.command ?? ''));
      case 'mount':
        return unmount(path);
      case 'directory':
        return removeTree(path);
      case 'image':
        return this.store.remove(resource.id);
      default:
        throw new Error(`the local provider does not know how to remove a ${resource.kind}`);
    }
  }

  findLeftovers(options: { activeBuilds: ReadonlySet<string>; olderThan: Date }): Promise<Resource[]> {
    return findLocalLeftovers(this.settings, this.store, options);
  }

  private container(machine: Machine): Container {
    const container = this.containers.get(machine.id);
    if (!container) throw new Error(`unknown container ${machine.id}`);
    return container;
  }
}

function existing(image: LocalImage | undefined): ExistingImage | undefined {
  return (
    image && {
      id: image.id,
      name: image.name,
      region: 'local',
      created: image.created,
      validated: image.validated,
      fingerprint: image.fingerprint,
      version: image.version,
      sizeBytes: image.sizeBytes,
    }
  );
}
