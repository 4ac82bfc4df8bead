import type { S3Client } from '@aws-sdk/client-s3';
import { PrismError } from '../../core/errors.js';
import type { AwsClients } from '../../core/aws-clients.js';
import { emptyRegistry, parseRegistry, serializeRegistry } from '../document.js';
import type { RegistryDocument } from '../model.js';
import { S3ManifestStore } from '../manifest/store.js';
import type { Change } from '../operations.js';
import type { RegistryStore, StoreUpdate } from '../store.js';
import { s3ErrorHint, s3ErrorName, s3Status } from './s3-errors.js';

export interface S3StoreOptions {
  clients: AwsClients;
  /** close() destroys the clients (the store made them). */
  ownsClients?: boolean;
  /** The bucket's region (default AWS_REGION, else us-east-1; a redirect is followed). */
  region?: string;
  /** Read-modify-write attempts before giving up (default 40). */
  maxAttempts?: number;
  /** Backoff after a lost race: full jitter on base·2^n, capped (default 20 ms, 1 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface S3StoreStats {
  /** Read-modify-write attempts, all updates together. */
  attempts: number;
  /** Conditional writes refused because another writer changed the object (412, 409). */
  conflicts: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `s3://bucket/key`: optimistic concurrency with S3 conditional writes. An update reads the
 * object and its ETag, applies the change, and writes with If-Match: <ETag> (If-None-Match: *
 * when the object does not exist yet). When another writer got there first S3 answers 412 (or
 * 409 while a concurrent conditional write is in flight); the update then starts over from a
 * fresh read after a jittered backoff, a bounded number of times. The replaced document is kept
 * as `<key>.bak`.
 */
export class S3RegistryStore implements RegistryStore {
  readonly location: string;
  readonly stats: S3StoreStats = { attempts: 0, conflicts: 0 };
  readonly manifests: S3ManifestStore;
  private region: string;

  constructor(
    readonly bucket: string,
    readonly key: string,
    private readonly options: S3StoreOptions,
  ) {
    this.location = `s3://${bucket}/${key}`;
    this.region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    // The sidecars live in the same bucket: the region a redirect taught the store applies.
    this.manifests = new S3ManifestStore(bucket, key, options.clients, () => this.region);
  }

  async read(): Promise<RegistryDocument> {
    return (await this.readRaw()).document;
  }

  async update<T>(change: (doc: RegistryDocument) => Change<T>): Promise<StoreUpdate<T>> {
    const maxAttempts = this.options.maxAttempts ?? 40;
    const sleep = this.options.sleep ?? defaultSleep;
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      this.stats.attempts++;
      const { text, etag, document } = await this.readRaw();
      const { document: after, changed, result } = change(document);
      if (!changed) return { before: document, after, changed, result, attempts: attempt };
      const written = await this.put(this.key, serializeRegistry(after), etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag });
      if (written) {
        if (text !== undefined) await this.put(`${this.key}.bak`, text, {});
        return { before: document, after, changed, result, attempts: attempt };
      }
      this.stats.conflicts++;
      const cap = Math.min(this.options.maxDelayMs ?? 1000, (this.options.baseDelayMs ?? 20) * 2 ** Math.min(attempt - 1, 16));
      await sleep(random() * cap);
    }
    throw new PrismError('REGISTRY_LOCKED', `${this.location} kept changing under this update: gave up after ${maxAttempts} attempts`, {
      hint: 'many writers are updating the registry at once; run the command again',
    });
  }

  close(): void {
    if (this.options.ownsClients) this.options.clients.destroy();
  }

  private async readRaw(): Promise<{ text?: string; etag?: string; document: RegistryDocument }> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    let response;
    try {
      response = await this.send((s3) => s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key })));
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchKey') return { document: emptyRegistry() };
      throw this.unreachable(error, 'read');
    }
    const text = (await response.Body?.transformToString('utf8')) ?? '';
    return { text, ...(response.ETag ? { etag: response.ETag } : {}), document: parseRegistry(text, this.location) };
  }

  /** A conditional PutObject: true when written, false when the condition failed (412/409). */
  private async put(key: string, body: string, condition: { IfMatch?: string; IfNoneMatch?: string }): Promise<boolean> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      await this.send((s3) =>
        s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', ...condition })),
      );
      return true;
    } catch (error) {
      const status = s3Status(error);
      const name = s3ErrorName(error);
      if (status === 412 || name === 'PreconditionFailed' || status === 409 || name === 'ConditionalRequestConflict') return false;
      throw this.unreachable(error, 'write');
    }
  }

  /** Sends with the bucket's region, following one redirect to the region S3 names. */
  private async send<R>(call: (s3: S3Client) => Promise<R>): Promise<R> {
    try {
      return await call(await this.options.clients.s3(this.region));
    } catch (error) {
      const redirect = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers?.['x-amz-bucket-region'];
      if (s3Status(error) === 301 && redirect && redirect !== this.region) {
        this.region = redirect;
        return call(await this.options.clients.s3(this.region));
      }
      throw error;
    }
  }

  private unreachable(error: unknown, doing: 'read' | 'write'): PrismError {
    if (error instanceof PrismError) return error;
    return new PrismError(
      'REGISTRY_UNREACHABLE',
      `cannot ${doing} the registry ${this.location}: ${s3ErrorName(error) ?? 'error'}: ${(error as Error).message}`,
      {
        hint: s3ErrorHint(error, this.bucket, this.key),
        cause: error,
      },
    );
  }
}
