import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AwsClients } from '../../core/aws-clients.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { PrismError } from '../../core/errors.js';
import type { ImageManifest } from '../../core/manifest.js';
import { parseManifest, serializeManifest } from './parse.js';

/**
 * Image manifests, one sidecar per image ID next to the registry, in the same kind of store:
 * `ami-registry.json` keeps them in `ami-registry.manifests/<image-id>.json`, and
 * `s3://bucket/prism/ami-registry.json` in `s3://bucket/prism/ami-registry.manifests/<image-id>.json`.
 */
export interface ManifestStore {
  /** Where the sidecars are, for messages. */
  readonly location: string;
  put(imageId: string, manifest: ImageManifest): Promise<void>;
  /** undefined when the image has no sidecar. */
  get(imageId: string): Promise<ImageManifest | undefined>;
}

/** `ami-registry.json` → `ami-registry.manifests` (also for S3 keys). */
export function manifestsFolder(registryPath: string): string {
  return `${registryPath.replace(/\.json$/i, '')}.manifests`;
}

function fileName(imageId: string): string {
  if (!/^[a-z]+-[0-9a-z]+$/.test(imageId)) throw new PrismError('USAGE', `"${imageId}" is not an image ID`);
  return `${imageId}.json`;
}

export class FileManifestStore implements ManifestStore {
  readonly location: string;
  private readonly dir: string;

  constructor(registryPath: string) {
    this.dir = manifestsFolder(registryPath);
    this.location = `file:${this.dir}`;
  }

  async put(imageId: string, manifest: ImageManifest): Promise<void> {
    const path = join(this.dir, fileName(imageId));
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, serializeManifest(manifest));
    } catch (error) {
      throw new PrismError('REGISTRY_UNREACHABLE', `cannot write the manifest ${path}: ${(error as Error).message}`, {
        hint: 'check the permissions of the registry folder',
        cause: error,
      });
    }
  }

  async get(imageId: string): Promise<ImageManifest | undefined> {
    const path = join(this.dir, fileName(imageId));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PrismError('REGISTRY_UNREACHABLE', `cannot read the manifest ${path}: ${(error as Error).message}`, { cause: error });
    }
    return parseManifest(text, path);
  }
}

export class S3ManifestStore implements ManifestStore {
  readonly location: string;
  private readonly prefix: string;

  constructor(
    private readonly bucket: string,
    registryKey: string,
    private readonly clients: AwsClients,
    private readonly region: () => string,
  ) {
    this.prefix = manifestsFolder(registryKey);
    this.location = `s3://${bucket}/${this.prefix}/`;
  }

  async put(imageId: string, manifest: ImageManifest): Promise<void> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const key = `${this.prefix}/${fileName(imageId)}`;
    try {
      const s3 = await this.clients.s3(this.region());
      await s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: serializeManifest(manifest), ContentType: 'application/json' }),
      );
    } catch (error) {
      throw this.unreachable(error, 'write', key);
    }
  }

  async get(imageId: string): Promise<ImageManifest | undefined> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { s3ErrorName } = await import('../stores/s3-errors.js');
    const key = `${this.prefix}/${fileName(imageId)}`;
    let text: string;
    try {
      const s3 = await this.clients.s3(this.region());
      const response = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchKey') return undefined;
      throw this.unreachable(error, 'read', key);
    }
    return parseManifest(text, `s3://${this.bucket}/${key}`);
  }

  private unreachable(error: unknown, doing: string, key: string): PrismError {
    return new PrismError('REGISTRY_UNREACHABLE', `cannot ${doing} the manifest s3://${this.bucket}/${key}: ${(error as Error).message}`, {
      hint: `the builder's role needs s3:GetObject and s3:PutObject on arn:aws:s3:::${this.bucket}/${this.prefix}/* (prism ami iam-policy --registry s3://${this.bucket}/…)`,
      cause: error,
    });
  }
}
