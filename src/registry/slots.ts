import { isoSeconds, type Clock } from '../core/clock.js';
import type { Architecture } from '../core/types.js';
import { type CurrentImage, type HistoryEntry, type RegistryDocument, type Slot, type TemplateEntry } from './model.js';

/** Internal helpers of the pure operations: history per slot, the `amis` mirror, finishing. */

/** The history of a slot as stored, or made from the seed's `amis` entry when there is none. */
export function readHistory(entry: TemplateEntry | undefined, region: string, architecture: Architecture): HistoryEntry[] {
  if (!entry) return [];
  const stored = entry.history?.[region]?.[architecture];
  if (stored) return stored;
  const mirror = entry.amis[region]?.[architecture];
  return mirror ? [historyFromMirror(mirror, entry.version)] : [];
}

/** The history array of a slot inside a (cloned) document, created when missing. */
export function mutableHistory(entry: TemplateEntry, region: string, architecture: Architecture): HistoryEntry[] {
  entry.history ??= {};
  const byArch = (entry.history[region] ??= {});
  let list = byArch[architecture];
  if (!list) {
    list = readHistory(entry, region, architecture).map((h) => ({ ...h }));
    byArch[architecture] = list;
  }
  return list;
}

function historyFromMirror(mirror: CurrentImage, templateVersion: string | undefined): HistoryEntry {
  const { ami_id, created, validated, size_gb, version, fingerprint, source_ami, build_id, validated_at, manifest_digest } = mirror;
  return {
    ami_id,
    created,
    version: version ?? templateVersion ?? 'unknown',
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    ...(source_ami !== undefined ? { source_ami } : {}),
    ...(build_id !== undefined ? { build_id } : {}),
    validated,
    ...(validated_at !== undefined ? { validated_at } : {}),
    status: 'current',
    ...(size_gb !== undefined ? { size_gb } : {}),
    ...(manifest_digest !== undefined ? { manifest_digest } : {}),
  };
}

/** Makes `amis.<region>.<arch>` show the history's current image, or removes it when none. */
export function syncMirror(entry: TemplateEntry, region: string, architecture: Architecture): void {
  const current = entry.history?.[region]?.[architecture]?.find((h) => h.status === 'current');
  const previous = entry.amis[region]?.[architecture];
  if (!current) {
    if (entry.amis[region]) {
      delete entry.amis[region][architecture];
      if (Object.keys(entry.amis[region]).length === 0) delete entry.amis[region];
    }
    return;
  }
  // Fields another tool added to the seed entry survive while the image stays the same.
  const kept = previous && previous.ami_id === current.ami_id ? previous : { ami_id: current.ami_id };
  const mirror: CurrentImage = {
    ...kept,
    ami_id: current.ami_id,
    created: current.created,
    validated: current.validated,
    ...(current.size_gb !== undefined ? { size_gb: current.size_gb } : {}),
    version: current.version,
    ...(current.fingerprint !== undefined ? { fingerprint: current.fingerprint } : {}),
    ...(current.source_ami !== undefined ? { source_ami: current.source_ami } : {}),
    ...(current.build_id !== undefined ? { build_id: current.build_id } : {}),
    ...(current.validated_at !== undefined ? { validated_at: current.validated_at } : {}),
    ...(current.manifest_digest !== undefined ? { manifest_digest: current.manifest_digest } : {}),
  };
  entry.amis[region] ??= {};
  entry.amis[region][architecture] = mirror;
}

/** The template's `version`: that of its newest current image (the seed shows one per template). */
export function refreshTemplateVersion(entry: TemplateEntry): void {
  let newest: HistoryEntry | undefined;
  for (const byArch of Object.values(entry.history ?? {})) {
    for (const list of Object.values(byArch)) {
      for (const h of list ?? []) {
        if (h.status === 'current' && (!newest || h.created > newest.created)) newest = h;
      }
    }
  }
  if (newest) entry.version = newest.version;
}

/** A new template entry in the seed's field order. */
export function newTemplateEntry(version: string): TemplateEntry {
  return { version, amis: {} };
}

/** Finishes a change: stamps `last_updated` and the schema, unless nothing changed. */
export function finish(before: RegistryDocument, after: RegistryDocument, clock: Clock): { document: RegistryDocument; changed: boolean } {
  if (JSON.stringify(before) === JSON.stringify(after)) return { document: before, changed: false };
  // The seed's field order, with schema_version after version; other fields keep theirs.
  const document: RegistryDocument = {
    version: after.version,
    schema_version: schemaVersionOf(after),
    last_updated: isoSeconds(clock.now()),
    templates: after.templates,
  };
  for (const [key, value] of Object.entries(after)) if (!(key in document)) document[key] = value;
  return { document, changed: true };
}

/** Every slot of a template that has a history or a current image. */
export function templateSlots(doc: RegistryDocument, template: string): Slot[] {
  const entry = doc.templates[template];
  if (!entry) return [];
  const seen = new Set<string>();
  const slots: Slot[] = [];
  for (const source of [entry.amis, entry.history ?? {}]) {
    for (const [region, byArch] of Object.entries(source as Record<string, object>)) {
      for (const architecture of Object.keys(byArch) as Architecture[]) {
        const key = `${region}/${architecture}`;
        if (!seen.has(key)) {
          seen.add(key);
          slots.push({ template, region, architecture });
        }
      }
    }
  }
  return slots.sort((a, b) => a.region.localeCompare(b.region) || a.architecture.localeCompare(b.architecture));
}

/** The oldest schema that can hold the document: 2 once an image failed validation, else 1. */
export function schemaVersionOf(doc: RegistryDocument): number {
  for (const entry of Object.values(doc.templates)) {
    for (const byArch of Object.values(entry.history ?? {})) {
      for (const list of Object.values(byArch)) if ((list ?? []).some((h) => h.status === 'failed-validation')) return 2;
    }
  }
  return 1;
}
