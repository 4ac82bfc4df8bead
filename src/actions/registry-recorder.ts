import type { Settings } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { EventSink } from '../core/events.js';
import type { ImageManifest } from '../core/manifest.js';
import type { CreatedImage, ImageRecord } from '../providers/provider.js';
import type { SsmPublisher } from '../registry/publish-ssm.js';
import { recordBuildImage } from '../registry/record-build.js';
import type { RegistryStore } from '../registry/store.js';
import { emitPackageSummary } from './manifest-summary.js';

export interface RegistryRecorder {
  store: RegistryStore;
  /**
   * Records a finished image: its manifest sidecar first (so the registry never names a missing
   * one), then the image, which becomes current in its region (and SSM follows). With `emit`, a
   * notice says which packages changed since the image it superseded.
   */
  recordImage(image: CreatedImage, record: ImageRecord, emit?: EventSink): Promise<void>;
  /** Records a region copy of `sourceImage` (its manifest is the source's). */
  recordCopy(copy: CreatedImage, record: ImageRecord, sourceImage: string): Promise<void>;
  /** The pipeline's hooks for one build: its image, then its copies (made from that image). */
  hooks(emit?: EventSink): {
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
  const record = async (image: CreatedImage, r: ImageRecord, source: string, manifest: ImageManifest | undefined) => {
    if (manifest) {
      await store.manifests.put(image.id, {
        ...manifest,
        image_id: image.id,
        template: r.template.slug,
        version: r.version,
        architecture: r.architecture,
        region: image.region,
      });
    }
    return recordBuildImage(
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
        ...(manifest ? { manifestDigest: manifest.digest } : {}),
      },
      publisher ? { publisher } : {},
    );
  };
  const recorder: RegistryRecorder = {
    store,
    recordImage: async (image, r, emit) => {
      const outcome = await record(image, r, r.base.id, r.manifest);
      const previous = outcome.result.status === 'recorded' ? outcome.result.previous : undefined;
      if (emit) {
        const target = { template: r.template.slug, architecture: r.architecture, region: image.region };
        await emitPackageSummary(
          emit,
          store.manifests,
          target,
          { id: image.id, ...(r.manifest ? { manifest: r.manifest } : {}) },
          previous,
        );
      }
    },
    recordCopy: async (copy, r, sourceImage) => {
      // A copy of an image built earlier (build-all) has the manifest recorded with its source.
      const manifest = r.manifest ?? (await store.manifests.get(sourceImage).catch(() => undefined));
      await record(copy, r, sourceImage, manifest);
    },
    hooks: (emit) => {
      let primary: string | undefined;
      return {
        onImage: async (image, r) => {
          primary = image.id;
          await recorder.recordImage(image, r, emit);
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
