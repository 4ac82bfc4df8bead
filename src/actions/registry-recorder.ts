import type { BuildRunSettings } from '../engine/pipeline.js';
import type { ConfigFile } from '../config/config.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { SsmPublisher } from '../registry/publish-ssm.js';
import { recordBuildImage } from '../registry/record-build.js';
import type { RegistryStore } from '../registry/store.js';

export interface RecordHooks {
  onImage: NonNullable<BuildRunSettings['onImage']>;
  onCopy: NonNullable<BuildRunSettings['onCopy']>;
}

export interface RegistryRecorder {
  store: RegistryStore;
  /** Hooks for one build (a copy's source is that build's image). */
  hooks(): RecordHooks;
  close(): void;
}

export interface RecorderOptions {
  registry?: string;
  publishSsm?: boolean | string;
  config?: ConfigFile;
  awsClients?: AwsClients;
}

/**
 * Opens the registry for a build and gives the hooks that record the image, then each region
 * copy, as they complete (and publish them to SSM when asked), so an interrupted run keeps what
 * finished.
 */
export async function openRecorder(options: RecorderOptions): Promise<RegistryRecorder> {
  const [{ openRegistry }, { ssmPrefix, SsmPublisher }] = await Promise.all([import('../registry/open-registry.js'), import('../registry/publish-ssm.js')]);
  const store = await openRegistry({
    ...(options.registry !== undefined ? { flag: options.registry } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.awsClients ? { clients: options.awsClients } : {}),
  });
  const prefix = ssmPrefix(options.publishSsm, options.config?.publishSsm);
  let publisher: SsmPublisher | undefined;
  let ownClients: AwsClients | undefined;
  if (prefix !== undefined) {
    const clients = options.awsClients ?? (ownClients = new (await import('../core/aws-clients.js')).AwsClients());
    publisher = new SsmPublisher(prefix, clients);
  }
  const record = async (image: { id: string; region: string; sizeBytes?: number }, r: Parameters<RecordHooks['onImage']>[1], source: string) => {
    await recordBuildImage(
      store,
      {
        template: r.template,
        region: image.region,
        architecture: r.architecture,
        imageId: image.id,
        created: r.created,
        version: r.version,
        fingerprint: r.fingerprint,
        sourceImage: source,
        buildId: r.buildId,
        validated: r.tests.every((t) => t.status === 'passed'),
        validatedAt: r.created,
        ...(image.sizeBytes !== undefined ? { sizeBytes: image.sizeBytes } : {}),
      },
      publisher ? { publisher } : {},
    );
  };
  return {
    store,
    hooks: () => {
      let primary: string | undefined;
      return {
        onImage: async (image, r) => {
          primary = image.id;
          await record(image, r, r.base.id);
        },
        onCopy: async (copy, r) => record(copy, r, primary ?? r.base.id),
      };
    },
    close: () => {
      store.close();
      ownClients?.destroy();
    },
  };
}
