import { resolveSettings, type Settings, type SettingsInput } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import { openRegistry } from '../registry/open-registry.js';
import type { SsmPublisher } from '../registry/publish-ssm.js';
import type { RegistryDocument } from '../registry/model.js';
import type { RegistryStore } from '../registry/store.js';
import { knownTemplate } from './template-names.js';

/** Opens the settings' registry for the length of `fn`. */
export async function withRegistry<T>(settings: Settings, fn: (store: RegistryStore) => Promise<T>, clients?: AwsClients): Promise<T> {
  const store = await openRegistry({ location: settings.registry, lockTimeoutMs: settings.lockTimeoutMs, ...(clients ? { clients } : {}) });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** AWS clients for the length of `fn` (the SDK is loaded only here). */
export async function withAwsClients<T>(fn: (clients: AwsClients) => Promise<T>): Promise<T> {
  const { AwsClients } = await import('../core/aws-clients.js');
  const clients = new AwsClients();
  try {
    return await fn(clients);
  } finally {
    clients.destroy();
  }
}

/** An SSM publisher when the settings publish (--publish-ssm, or publishSsm in the config). */
export async function withPublisher<T>(
  settings: Pick<Settings, 'publishSsm' | 'ssmLayout' | 'prismSsmPrefix'>,
  fn: (publisher: SsmPublisher | undefined) => Promise<T>,
): Promise<T> {
  const prefix = settings.publishSsm;
  if (prefix === undefined) return fn(undefined);
  const { SsmPublisher } = await import('../registry/publish-ssm.js');
  return withAwsClients((clients) =>
    fn(new SsmPublisher(prefix, clients, { layout: settings.ssmLayout, prismPrefix: settings.prismSsmPrefix })),
  );
}

export interface RegistrySession {
  settings: Settings;
  store: RegistryStore;
  /** The document as it was when the session opened. */
  doc: RegistryDocument;
  /** A template named on the command line: in the templates folder or the registry, else TEMPLATE_NOT_FOUND. */
  known: (name: string) => Promise<string>;
}

/** What every registry verb does first: settings, the registry, its document, template names. */
export async function registrySession<T>(options: SettingsInput, fn: (session: RegistrySession) => Promise<T>): Promise<T> {
  const settings = resolveSettings(options);
  return withRegistry(settings, async (store) => {
    const doc = await store.read();
    return fn({ settings, store, doc, known: (name) => knownTemplate(name, { templatesDir: settings.templatesDir, registry: doc }) });
  });
}
