import type { SettingsInput } from '../config/settings.js';
import type { Architecture } from '../core/types.js';
import { checkRegion } from '../registry/input-checks.js';
import type { ImageStatus } from '../registry/model.js';
import { listImages } from '../registry/queries.js';
import { registrySession } from './registry-session.js';

export interface ListRegistryOptions extends SettingsInput {
  template?: string;
  region?: string;
  architecture?: Architecture;
  /** Include every image of the history, not only the current ones. */
  all?: boolean;
}

/** One row of `prism ami list` (and of its --json output). */
export interface ListedImage {
  template: string;
  version: string;
  region: string;
  architecture: Architecture;
  ami_id: string;
  created: string;
  validated: boolean;
  validated_at?: string;
  size_gb?: number;
  status: ImageStatus;
  fingerprint?: string;
  build_id?: string;
  source_ami?: string;
}

export interface RegistryListing {
  registry: string;
  images: ListedImage[];
}

/** `prism ami list`: the registry's current images (with --all, every image and its status). */
export async function listRegistry(options: ListRegistryOptions): Promise<RegistryListing> {
  if (options.region !== undefined) checkRegion(options.region);
  return registrySession(options, async ({ store, doc, known }) => {
    const template = options.template === undefined ? undefined : await known(options.template);
    const rows = listImages(doc, {
      ...(template ? { template } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.architecture ? { architecture: options.architecture } : {}),
      all: options.all ?? false,
    });
    const images = rows.map(({ template: slug, region, architecture, entry }): ListedImage => ({
      template: slug,
      version: entry.version,
      region,
      architecture,
      ami_id: entry.ami_id,
      created: entry.created,
      validated: entry.validated,
      ...(entry.validated_at !== undefined ? { validated_at: entry.validated_at } : {}),
      ...(entry.size_gb !== undefined ? { size_gb: entry.size_gb } : {}),
      status: entry.status,
      ...(entry.fingerprint !== undefined ? { fingerprint: entry.fingerprint } : {}),
      ...(entry.build_id !== undefined ? { build_id: entry.build_id } : {}),
      ...(entry.source_ami !== undefined ? { source_ami: entry.source_ami } : {}),
    }));
    return { registry: store.location, images };
  });
}
