import { readFile } from 'node:fs/promises';
import { isoSeconds, systemClock } from '../core/clock.js';
import { PrismError } from '../core/errors.js';
import { ARCHITECTURES } from '../core/types.js';
import { changeRegistry } from '../registry/change.js';
import { parseLegacyMap, type LegacyMap } from '../registry/legacy/legacy-map.js';
import { parsePrismAmiConfig } from '../registry/legacy/prism-yaml.js';
import type { RegistryDocument, Slot } from '../registry/model.js';
import { record, type Change } from '../registry/operations.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { current, findImage } from '../registry/queries.js';
import type { SettingsInput } from '../config/settings.js';
import { registrySession, withPublisher } from './registry-session.js';

export const LEGACY_VERSION = 'legacy';

export interface ImportLegacyOptions extends SettingsInput {
  file: string;
  /** The template of a file that maps regions directly; or the one template to take from a file of several. */
  template?: string;
  /** Record the images as validated (default: not validated). */
  validated?: boolean;
  /** Make the imported images current even where the registry already has a current image. */
  replace?: boolean;
  /** Accept template names that are neither in the templates folder nor in the registry. */
  allowUnknownTemplates?: boolean;
}

export type ImportStatus = 'imported' | 'already-recorded' | 'kept-current' | 'revoked';

export interface ImportedImage extends Slot {
  amiId: string;
  status: ImportStatus;
  /** For kept-current: the image the registry keeps. */
  current?: string;
}

export interface ImportReport {
  file: string;
  format: LegacyMap['format'];
  images: ImportedImage[];
  changed: boolean;
  published: PublishedParameter[];
}

/**
 * `prism ami import-legacy`: hard-coded AMI IDs become registry images of version `legacy`, so
 * migration starts from what runs today. One change for the whole file: all or nothing. A slot
 * that already has a current image keeps it (unless `replace`); importing twice changes nothing.
 */
export async function importLegacy(options: ImportLegacyOptions): Promise<ImportReport> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    throw new PrismError('USAGE', `cannot read ${options.file}: ${(error as Error).message}`, { hint: 'check the path', cause: error });
  }
  const legacy = /\.ya?ml$/i.test(options.file)
    ? renamed(parsePrismAmiConfig(text, options.file), options.template)
    : parseLegacyMap(text, options.file, options.template ? { template: options.template } : {});
  return registrySession(options, async ({ settings, store, known }) => {
    if (!options.allowUnknownTemplates) {
      for (const template of Object.keys(legacy.templates)) {
        await known(template).catch((error: unknown) => {
          if (error instanceof PrismError && error.code === 'TEMPLATE_NOT_FOUND') {
            throw new PrismError(error.code, `${options.file}: ${error.message}`, {
              hint: `${error.hint ?? ''}; --allow-unknown-templates imports it anyway`.replace(/^; /, ''),
            });
          }
          throw error;
        });
      }
    }
    const created = isoSeconds(systemClock.now());
    const change = (doc: RegistryDocument): Change<ImportedImage[]> => {
      let document = doc;
      let changed = false;
      const images: ImportedImage[] = [];
      for (const [template, regions] of Object.entries(legacy.templates)) {
        for (const region of Object.keys(regions).sort()) {
          for (const architecture of ARCHITECTURES) {
            const amiId = regions[region]?.[architecture];
            if (!amiId) continue;
            const slot: Slot = { template, region, architecture };
            const known = findImage(document, amiId, template).find((row) => row.region === region && row.architecture === architecture);
            const now = current(document, slot);
            if (known) {
              images.push({
                ...slot,
                amiId,
                status: known.entry.status === 'revoked' || known.entry.status === 'deleted' ? 'revoked' : 'already-recorded',
              });
              continue;
            }
            if (now && !options.replace) {
              images.push({ ...slot, amiId, status: 'kept-current', current: now.ami_id });
              continue;
            }
            const next = record(
              document,
              {
                ...slot,
                amiId,
                created,
                version: LEGACY_VERSION,
                validated: options.validated ?? false,
                ...(options.validated ? { validatedAt: created } : {}),
              },
              systemClock,
            );
            document = next.document;
            changed ||= next.changed;
            images.push({ ...slot, amiId, status: 'imported' });
          }
        }
      }
      return { document, changed, result: images };
    };
    return withPublisher(settings, async (publisher) => {
      const outcome = await changeRegistry(store, change, {
        ...(publisher ? { publisher } : {}),
        touched: (images) => images.filter((i) => i.status !== 'kept-current'),
      });
      return { file: options.file, format: legacy.format, images: outcome.result, changed: outcome.changed, published: outcome.published };
    });
  });
}

/** A Prism template's AMIs under another slug (--template). */
function renamed(map: LegacyMap, template: string | undefined): LegacyMap {
  if (template === undefined) return map;
  return { ...map, templates: { [template]: Object.values(map.templates)[0] ?? {} } };
}
