import { PrismError } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { slotLabel, type HistoryEntry, type RegistryDocument } from '../registry/model.js';
import { isImageId } from '../registry/schema.js';
import { current, findImage, history, type ImageRow } from '../registry/queries.js';
import { templateSlots } from '../registry/slots.js';

/** Narrows a reference to one region and architecture when a template has images in several. */
export interface SlotHint {
  region?: string;
  architecture?: Architecture;
}

/**
 * An image named on the command line, found in the registry: an image ID (`ami-…`, `limg-…`),
 * `template@version` (the newest image built with that version), or a template (its current
 * image). `--region` / `--architecture` choose among the template's slots when it has several.
 */
export function resolveImageRef(doc: RegistryDocument, ref: string, hint: SlotHint = {}): ImageRow {
  if (isImageId(ref)) {
    const rows = findImage(doc, ref);
    if (rows.length === 0) {
      throw new PrismError('NOT_FOUND', `${ref} is not recorded in the registry`, {
        hint: 'prism ami list --all shows every recorded image',
      });
    }
    return rows[0];
  }
  const at = ref.lastIndexOf('@');
  const template = at === -1 ? ref : ref.slice(0, at);
  const version = at === -1 ? undefined : ref.slice(at + 1);
  if (!doc.templates[template]) {
    throw new PrismError('NOT_FOUND', `"${ref}" is neither a recorded image ID nor a template of the registry`, {
      hint: 'name an image ID (ami-…, limg-…), a template, or template@version; prism ami list --all shows what is recorded',
    });
  }
  if (version === '') throw new PrismError('USAGE', `"${ref}" names no version after @`, { hint: `e.g. ${template}@1.0.0` });
  const slots = templateSlots(doc, template).filter(
    (s) => (!hint.region || s.region === hint.region) && (!hint.architecture || s.architecture === hint.architecture),
  );
  const candidates: ImageRow[] = [];
  for (const slot of slots) {
    const entry: HistoryEntry | undefined =
      version === undefined ? current(doc, slot) : [...history(doc, slot)].reverse().find((h) => h.version === version);
    if (entry) candidates.push({ ...slot, entry });
  }
  if (candidates.length === 0) {
    const what = version === undefined ? 'no current image' : `no image of version ${version}`;
    const where = hint.region || hint.architecture ? ` in ${[hint.region, hint.architecture].filter(Boolean).join(' ')}` : '';
    const versions = [...new Set(templateSlots(doc, template).flatMap((s) => history(doc, s).map((h) => h.version)))];
    throw new PrismError('NOT_FOUND', `${template} has ${what}${where}`, {
      hint: versions.length > 0 ? `its versions: ${versions.join(', ')}` : 'prism ami list --all shows what is recorded',
    });
  }
  if (candidates.length > 1) {
    throw new PrismError(
      'USAGE',
      `${ref} names ${candidates.length} images: ${candidates.map((c) => `${c.entry.ami_id} (${slotLabel(c)})`).join(', ')}`,
      {
        hint: 'choose one with --region and --architecture, or name the image ID',
      },
    );
  }
  return candidates[0];
}
