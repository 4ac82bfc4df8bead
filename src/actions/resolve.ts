import { readFile } from 'node:fs/promises';
import { isPrismError, PrismError } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { checkArchitecture, checkRegion, checkSlug } from '../registry/input-checks.js';
import { parseLegacyMap } from '../registry/legacy/legacy-map.js';
import { slotLabel, type RegistryDocument, type Slot } from '../registry/model.js';
import { current, findImage } from '../registry/queries.js';
import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { withRegistry } from './registry-session.js';
import { knownTemplate } from './template-names.js';

export interface ResolveOptions extends SettingsInput {
  template: string;
  region: string;
  architecture: Architecture;
  /** A legacy map (import-legacy's shapes) used when the registry is unavailable or has no entry. */
  fallback?: string;
}

export interface Resolved {
  amiId: string;
  source: 'registry' | 'fallback';
  /** Why the fallback was used (printed on stderr). */
  warning?: string;
}

/** Registry errors that make resolve fall back to the legacy map. */
const UNAVAILABLE = new Set(['REGISTRY_UNREACHABLE', 'REGISTRY_INVALID', 'REGISTRY_NEWER_SCHEMA']);

/**
 * `prism ami resolve`: the current image of a template in a region and architecture. With a
 * fallback file, the hard-coded map answers when the registry cannot be read or has no current
 * image (never with an image the registry knows as revoked or deleted).
 */
export async function resolveImage(options: ResolveOptions): Promise<Resolved> {
  const slot: Slot = {
    template: checkSlug(options.template),
    region: checkRegion(options.region),
    architecture: checkArchitecture(options.architecture),
  };
  let doc: RegistryDocument | undefined;
  let unavailable: PrismError | undefined;
  const settings = resolveSettings(options);
  let location = settings.registry;
  try {
    doc = await withRegistry(settings, async (store) => {
      location = store.location;
      return store.read();
    });
  } catch (error) {
    if (!options.fallback || !isPrismError(error) || !UNAVAILABLE.has(error.code)) throw error;
    unavailable = error;
  }
  const image = doc ? current(doc, slot) : undefined;
  if (image) return { amiId: image.ami_id, source: 'registry' };
  if (!options.fallback) {
    await knownTemplate(slot.template, { templatesDir: settings.templatesDir, ...(doc ? { registry: doc } : {}) });
    throw new PrismError('NOT_FOUND', `${location} has no current image for ${slotLabel(slot)}`, {
      hint: `record one with prism ami update-registry ${slot.template} --region ${slot.region} --architecture ${slot.architecture}, or see prism ami list --all`,
    });
  }
  const amiId = await fallbackImage(options.fallback, slot);
  const retired = doc
    ? findImage(doc, amiId, slot.template).find((row) => row.entry.status === 'revoked' || row.entry.status === 'deleted')
    : undefined;
  if (retired) {
    throw new PrismError(
      'NOT_FOUND',
      `${location} has no current image for ${slotLabel(slot)}, and ${options.fallback}'s ${amiId} is ${retired.entry.status} in the registry`,
      {
        hint: 'record a new image, or roll back to an earlier one',
      },
    );
  }
  const why = unavailable
    ? `the registry is unavailable (${unavailable.code}: ${unavailable.message})`
    : `${location} has no current image for ${slotLabel(slot)}`;
  return { amiId, source: 'fallback', warning: `${why}; using ${amiId} from ${options.fallback}` };
}

async function fallbackImage(file: string, slot: Slot): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PrismError('USAGE', `cannot read the fallback map ${file}: ${(error as Error).message}`, {
      hint: 'check the --fallback path',
      cause: error,
    });
  }
  const map = parseLegacyMap(text, file, { template: slot.template }).templates[slot.template];
  const amiId = map?.[slot.region]?.[slot.architecture];
  if (!amiId) {
    throw new PrismError('NOT_FOUND', `neither the registry nor ${file} has an image for ${slotLabel(slot)}`, {
      hint: 'record one with prism ami update-registry',
    });
  }
  return amiId;
}
