import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-file.js';
import type { TestResult } from '../../core/events.js';
import { LOCAL_IMAGE_ID_PATTERN } from '../../core/ids.js';
import type { Architecture } from '../../core/types.js';

/** metadata.json of a local image. */
export interface LocalImage {
  schema: 1;
  id: string;
  name: string;
  template: string;
  version: string;
  fingerprint: string;
  architecture: Architecture;
  region: 'local';
  created: string;
  buildId: string;
  sizeBytes: number;
  /** The base root file system this image's layers sit on. */
  base: { id: string; alias: string; suite: string; rootfs: string };
  /** The image this one was built on (templates that extend another). */
  parentImage: string | null;
  /** What the build started from: the base id or the parent image id. */
  sourceImage: string;
  validated: boolean;
  validatedAt: string | null;
  validation: TestResult[];
  /** Where the build's tests ran: a fresh boot of the image, or only the build container. */
  validatedOn?: 'fresh-boot' | 'build-machine';
  /** The digest of the image's package manifest (its sidecar is next to the registry). */
  manifestDigest?: string;
  tags: Record<string, string>;
}

/**
 * The local image store: one folder per image holding `layer/` (the overlay upper layer the build
 * produced) and `metadata.json`. An image becomes visible atomically when its `.partial` folder
 * is renamed to its id.
 */
export class LocalImageStore {
  constructor(readonly dir: string) {}

  path(id: string): string {
    return join(this.dir, id);
  }

  partialPath(id: string): string {
    return join(this.dir, `${id}.partial`);
  }

  layer(id: string): string {
    return join(this.dir, id, 'layer');
  }

  async list(): Promise<LocalImage[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const images: LocalImage[] = [];
    for (const name of names.filter((n) => LOCAL_IMAGE_ID_PATTERN.test(n))) {
      const image = await this.get(name);
      if (image) images.push(image);
    }
    return images.sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<LocalImage | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, id, 'metadata.json'), 'utf8')) as LocalImage;
    } catch {
      return undefined;
    }
  }

  /** The newest validated image of a template and architecture with this fingerprint. */
  async findValidated(template: string, architecture: Architecture, fingerprint: string): Promise<LocalImage | undefined> {
    return (await this.list()).find(
      (i) => i.template === template && i.architecture === architecture && i.fingerprint === fingerprint && i.validated,
    );
  }

  /** Writes metadata into the partial folder and publishes the image. */
  async publish(image: LocalImage): Promise<void> {
    await writeFileAtomic(join(this.partialPath(image.id), 'metadata.json'), `${JSON.stringify(image, null, 2)}\n`);
    await rename(this.partialPath(image.id), this.path(image.id));
  }

  async update(image: LocalImage): Promise<void> {
    await writeFileAtomic(join(this.path(image.id), 'metadata.json'), `${JSON.stringify(image, null, 2)}\n`);
  }

  /** Layer folders from this image down to its root template's, then the base root file system. */
  async lowerDirs(id: string): Promise<string[]> {
    const dirs: string[] = [];
    let current: string | null = id;
    const seen = new Set<string>();
    let base: LocalImage['base'] | undefined;
    while (current) {
      if (seen.has(current)) throw new Error(`image ${id} has a parent cycle at ${current}`);
      seen.add(current);
      const image = await this.get(current);
      if (!image) throw new Error(`image ${current} (in the chain of ${id}) is missing from ${this.dir}`);
      dirs.push(this.layer(current));
      base = image.base;
      current = image.parentImage;
    }
    dirs.push(base!.rootfs);
    return dirs;
  }

  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { recursive: true, force: true });
    await rm(this.partialPath(id), { recursive: true, force: true });
  }
}
