import { ARCHITECTURES, type Architecture } from '../core/types.js';
import { LOCAL_REGION, type HistoryEntry, type RegistryDocument, type Slot } from './model.js';
import { readHistory, templateSlots } from './slots.js';

/** Read-only questions about a registry document. */

/**
 * The one rule of "up to date", used by build, plan and build-all alike: the entry is its slot's
 * current image, built from this fingerprint, and validated. A revoked, deleted, superseded or
 * failed image never is.
 */
export function isUpToDate(entry: HistoryEntry | undefined, fingerprint: string): entry is HistoryEntry {
  return entry !== undefined && entry.status === 'current' && entry.fingerprint === fingerprint && entry.validated;
}

/** The slot's current image when it is up to date for this fingerprint. */
export function upToDateImage(doc: RegistryDocument, slot: Slot, fingerprint: string): HistoryEntry | undefined {
  const entry = current(doc, slot);
  return isUpToDate(entry, fingerprint) ? entry : undefined;
}

/** The current image of a slot, if there is one. */
export function current(doc: RegistryDocument, slot: Slot): HistoryEntry | undefined {
  return history(doc, slot).find((h) => h.status === 'current');
}

/** Every image of a slot, oldest first (made from the seed's entry when there is no history). */
export function history(doc: RegistryDocument, slot: Slot): readonly HistoryEntry[] {
  return readHistory(doc.templates[slot.template], slot.region, slot.architecture);
}

export interface ImageRow extends Slot {
  entry: HistoryEntry;
}

export interface ImageFilter {
  template?: string;
  region?: string;
  architecture?: Architecture;
  /** Every image of the history, not only the current ones. */
  all?: boolean;
}

/** Images matching a filter, by template, region, architecture; history newest first. */
export function listImages(doc: RegistryDocument, filter: ImageFilter = {}): ImageRow[] {
  const rows: ImageRow[] = [];
  const templates = Object.keys(doc.templates).sort();
  for (const template of templates) {
    if (filter.template && template !== filter.template) continue;
    for (const slot of templateSlots(doc, template)) {
      if (filter.region && slot.region !== filter.region) continue;
      if (filter.architecture && slot.architecture !== filter.architecture) continue;
      const entries = [...history(doc, slot)].reverse();
      for (const entry of entries) {
        if (filter.all || entry.status === 'current') rows.push({ ...slot, entry });
      }
    }
  }
  return rows;
}

/** `{region: {arch: ami}}` of a template's current images (what update-templates writes). */
export function currentMap(
  doc: RegistryDocument,
  template: string,
  options: { includeLocal?: boolean } = {},
): Record<string, Partial<Record<Architecture, string>>> {
  const map: Record<string, Partial<Record<Architecture, string>>> = {};
  const slots = templateSlots(doc, template).filter((s) => options.includeLocal || s.region !== LOCAL_REGION);
  for (const region of [...new Set(slots.map((s) => s.region))].sort()) {
    for (const architecture of ARCHITECTURES) {
      const image = current(doc, { template, region, architecture });
      if (image) (map[region] ??= {})[architecture] = image.ami_id;
    }
  }
  return map;
}

/** Where an image is recorded (any template unless one is given), with its entry. */
export function findImage(doc: RegistryDocument, amiId: string, template?: string): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const slug of template ? [template] : Object.keys(doc.templates)) {
    for (const slot of templateSlots(doc, slug)) {
      const entry = history(doc, slot).find((h) => h.ami_id === amiId);
      if (entry) rows.push({ ...slot, entry });
    }
  }
  return rows;
}

/** The current image of every slot, keyed `template/region/arch` (what SSM publication mirrors). */
export function currentBySlot(doc: RegistryDocument): Map<string, { slot: Slot; amiId: string }> {
  const map = new Map<string, { slot: Slot; amiId: string }>();
  for (const template of Object.keys(doc.templates)) {
    for (const slot of templateSlots(doc, template)) {
      const image = current(doc, slot);
      if (image) map.set(slotKey(slot), { slot, amiId: image.ami_id });
    }
  }
  return map;
}

export function slotKey(slot: Slot): string {
  return `${slot.template}/${slot.region}/${slot.architecture}`;
}

/** Images a cleanup may delete: superseded ones beyond the newest `keepLatest` per slot. */
export function cleanupCandidates(doc: RegistryDocument, options: { keepLatest: number; template?: string }): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const template of options.template ? [options.template] : Object.keys(doc.templates)) {
    for (const slot of templateSlots(doc, template)) {
      const superseded = [...history(doc, slot)].reverse().filter((h) => h.status === 'superseded');
      for (const entry of superseded.slice(options.keepLatest)) rows.push({ ...slot, entry });
    }
  }
  return rows;
}
