import type { SettingsInput } from '../config/settings.js';
import { PrismError } from '../core/errors.js';
import type { ImageManifest } from '../core/manifest.js';
import type { ImageStatus } from '../registry/model.js';
import { diffManifests, type ManifestDiff } from '../registry/manifest/diff.js';
import type { ManifestStore } from '../registry/manifest/store.js';
import type { ImageRow } from '../registry/queries.js';
import { resolveImageRef, type SlotHint } from './image-ref.js';
import { registrySession } from './registry-session.js';

/** An image as `manifest` and `diff` show it, with its manifest when one was recorded. */
export interface ManifestImage {
  image_id: string;
  template: string;
  region: string;
  architecture: string;
  version: string;
  created: string;
  status: ImageStatus;
  /** false: no manifest was recorded (an image from before manifests, or one whose collection failed). */
  recorded: boolean;
  manifest_digest?: string;
  /** Why there is no manifest. */
  note?: string;
  manifest?: ImageManifest;
}

export interface ManifestOptions extends SettingsInput, SlotHint {
  /** An image ID, a template (its current image) or template@version. */
  image: string;
}

/** `prism ami manifest`: what is in an image, from its sidecar. */
export async function showManifest(options: ManifestOptions): Promise<ManifestImage> {
  return registrySession(options, ({ doc, store }) => loadManifestImage(store.manifests, resolveImageRef(doc, options.image, options)));
}

export interface DiffOptions extends SettingsInput, SlotHint {
  a: string;
  b: string;
}

export interface DiffReport {
  a: Omit<ManifestImage, 'manifest'>;
  b: Omit<ManifestImage, 'manifest'>;
  same_template: boolean;
  /** Both sides name one image (e.g. `template@version` is also the current image): there is nothing to compare. */
  same_image: boolean;
  /** Set when both images have a manifest. */
  diff?: ManifestDiff;
}

/** `prism ami diff A B`: the packages added, removed and changed from image A to image B. */
export async function diffImages(options: DiffOptions): Promise<DiffReport> {
  return registrySession(options, async ({ doc, store }) => {
    const a = await loadManifestImage(store.manifests, resolveImageRef(doc, options.a, options));
    const b = await loadManifestImage(store.manifests, resolveImageRef(doc, options.b, options));
    const strip = ({ manifest: _m, ...rest }: ManifestImage) => rest;
    return {
      a: strip(a),
      b: strip(b),
      same_template: a.template === b.template,
      same_image: a.image_id === b.image_id,
      ...(a.manifest && b.manifest ? { diff: diffManifests(a.manifest, b.manifest) } : {}),
    };
  });
}

/** The image's manifest: undefined digest → not recorded; a digest whose sidecar is gone → not recorded, saying so. */
export async function loadManifestImage(manifests: ManifestStore, row: ImageRow): Promise<ManifestImage> {
  const { entry } = row;
  const base = {
    image_id: entry.ami_id,
    template: row.template,
    region: row.region,
    architecture: row.architecture,
    version: entry.version,
    created: entry.created,
    status: entry.status,
  };
  const digest = entry.manifest_digest;
  if (digest === undefined) {
    return {
      ...base,
      recorded: false,
      note: 'not recorded: the image was recorded without a package manifest (before prism-ami recorded them, or its collection failed)',
    };
  }
  const manifest = await manifests.get(entry.ami_id);
  if (!manifest) {
    return {
      ...base,
      recorded: false,
      manifest_digest: digest,
      note: `not recorded: the registry names manifest ${digest}, but ${manifests.location} has no ${entry.ami_id}.json`,
    };
  }
  if (manifest.digest !== digest) {
    throw new PrismError(
      'REGISTRY_INVALID',
      `the manifest of ${entry.ami_id} in ${manifests.location} has digest ${manifest.digest}, but the registry records ${digest}`,
      {
        hint: 'the sidecar was replaced after the image was recorded; restore it from a backup, or rebuild the image',
      },
    );
  }
  return { ...base, recorded: true, manifest_digest: digest, manifest };
}
