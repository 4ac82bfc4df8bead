import type { ConfigFile } from '../config/config.js';
import type { AwsClients } from '../core/aws-clients.js';
import { openRegistry } from '../registry/open-registry.js';
import type { SsmPublisher } from '../registry/publish-ssm.js';
import { ssmPrefix } from '../registry/publish-ssm.js';
import type { RegistryStore } from '../registry/store.js';

/** Options every registry verb takes: which registry, and how long to wait for its lock. */
export interface RegistryActionOptions {
  /** --registry (file:PATH, a path, or s3://bucket/key). */
  registry?: string;
  config?: ConfigFile;
  lockTimeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Opens the selected registry for the length of `fn`. */
export async function withRegistry<T>(options: RegistryActionOptions, fn: (store: RegistryStore) => Promise<T>): Promise<T> {
  const store = await openRegistry({
    ...(options.registry !== undefined ? { flag: options.registry } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** AWS clients for the length of `fn`. */
export async function withAwsClients<T>(fn: (clients: AwsClients) => Promise<T>): Promise<T> {
  const { AwsClients } = await import('../core/aws-clients.js');
  const clients = new AwsClients();
  try {
    return await fn(clients);
  } finally {
    clients.destroy();
  }
}

/** An SSM publisher when --publish-ssm (or publishSsm in the config) asks for one. */
export async function withPublisher<T>(publishSsm: boolean | string | undefined, fn: (publisher: SsmPublisher | undefined) => Promise<T>): Promise<T> {
  const prefix = ssmPrefix(publishSsm, undefined);
  if (prefix === undefined) return fn(undefined);
  const { SsmPublisher } = await import('../registry/publish-ssm.js');
  return withAwsClients((clients) => fn(new SsmPublisher(prefix, clients)));
}
