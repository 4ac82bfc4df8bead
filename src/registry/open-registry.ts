import { resolve } from 'node:path';
import { PrismError } from '../core/errors.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { RegistryStore } from './store.js';

export type RegistryLocation = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; key: string };

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `file:PATH`, `s3://bucket/key`, or a bare path (a file). */
export function parseRegistryLocation(value: string, cwd: string): RegistryLocation {
  const usage = (why: string): never => {
    throw new PrismError('USAGE', `registry "${value}": ${why}`, {
      hint: 'use file:PATH (or a plain path) or s3://bucket/key, e.g. s3://my-bucket/prism/ami-registry.json',
    });
  };
  if (value.trim() === '') usage('is empty');
  if (value.startsWith('s3://')) {
    const rest = value.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const key = slash === -1 ? '' : rest.slice(slash + 1);
    if (!BUCKET_PATTERN.test(bucket)) usage(`"${bucket}" is not an S3 bucket name`);
    if (key === '' || key.endsWith('/')) usage('names no object key after the bucket');
    return { kind: 's3', bucket, key };
  }
  if (!value.startsWith('file:') && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) usage('only file: and s3:// registries are supported');
  const path = value.startsWith('file:') ? value.slice(5).replace(/^\/\/(?=\/)/, '') : value;
  if (path === '') usage('names no file');
  return { kind: 'file', path: resolve(cwd, path) };
}

export function formatLocation(location: RegistryLocation): string {
  return location.kind === 'file' ? `file:${location.path}` : `s3://${location.bucket}/${location.key}`;
}

export interface OpenRegistryOptions {
  /** Where: file:PATH, a path, or s3://bucket/key (config/settings chooses it). */
  location: string;
  /** For relative file paths (default the process's cwd). */
  cwd?: string;
  /** File store: how long to wait for another process's lock. */
  lockTimeoutMs?: number;
  /** S3 store: AWS clients (one is made when not given). */
  clients?: AwsClients;
}

/** The store for the selected registry. The S3 SDK is loaded only for an s3:// registry. */
export async function openRegistry(options: OpenRegistryOptions): Promise<RegistryStore> {
  const location = parseRegistryLocation(options.location, options.cwd ?? process.cwd());
  if (location.kind === 'file') {
    const { FileRegistryStore } = await import('./stores/file-store.js');
    return new FileRegistryStore(location.path, options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {});
  }
  const [{ S3RegistryStore }, { AwsClients }] = await Promise.all([import('./stores/s3-store.js'), import('../core/aws-clients.js')]);
  // Few SDK retries: a registry that cannot be reached should say so quickly (resolve --fallback).
  const clients = options.clients ?? new AwsClients({ maxAttempts: 3 });
  return new S3RegistryStore(location.bucket, location.key, { clients, ownsClients: !options.clients });
}
