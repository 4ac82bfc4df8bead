import type { Settings } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { CreatedImage, ImageRecord } from '../providers/provider.js';
import type { SsmPublisher } from '../registry/publish-ssm.js';
import { recordBuildImage } from '../registry/record-build.js';
import type { RegistryStore } from '../registry/store.js';

export interface RegistryRecorder {
  store: RegistryStore;
  /** Records a finished image: it becomes current in its region (and SSM follows). */
  recordImage(image: CreatedImage, record: ImageRecord): Promise<void>;
  /** Records a region copy of `sourceImage`. */
  recordCopy(copy: CreatedImage, record: ImageRecord, sourceImage: string): Promise<void>;
  /** The pipeline's hooks for one build: its image, then its copies (made from that image). */
  hooks(): {
    onImage: (image: CreatedImage, record: ImageRecord) => Promise<void>;
    onCopy: (copy: CreatedImage, record: ImageRecord) => Promise<void>;
  };
  close(): void;
}

/**
 * Opens the registry for builds and records each image, then each region copy, as it completes
 * (publishing them to SSM when the settings say so), so an interrupted run keeps what finished.
 */
export async function openRecorder(settings: Settings, awsClients?: AwsClients): Promise<RegistryRecorder> {
  const { openRegistry } = await import('../registry/open-registry.js');
  const store = await openRegistry({
    location: settings.registry,
    lockTimeoutMs: settings.lockTimeoutMs,
    ...(awsClients ? { clients: awsClients } : {}),
  });
  let publisher: SsmPublisher | undefined;
  let ownClients: AwsClients | undefined;
  if (settings.publishSsm !== undefined) {
    const { SsmPublisher } = await import('../registry/publish-ssm.js');
    const clients = awsClients ?? (ownClients = new (await import('../core/aws-clients.js')).AwsClients());
    publisher = new SsmPublisher(settings.publishSsm, clients, { layout: settings.ssmLayout, prismPrefix: settings.prismSsmPrefix });
  }
  const record = async (image: CreatedImage, r: ImageRecord, source: string) => {
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
  const recorder: RegistryRecorder = {
    store,
    recordImage: (image, r) => record(image, r, r.base.id),
    recordCopy: (copy, r, sourceImage) => record(copy, r, sourceImage),
    hooks: () => {
      let primary: string | undefined;
      return {
        onImage: async (image, r) => {
          primary = image.id;
          await recorder.recordImage(image, r);
        },
        onCopy: (copy, r) => recorder.recordCopy(copy, r, primary ?? r.base.id),
      };
    },
    close: () => {
      store.close();
      ownClients?.destroy();
    },
  };
  return recorder;
}
