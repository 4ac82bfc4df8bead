import type { Clock } from '../core/clock.js';
import { PrismError } from '../core/errors.js';
import { checkImageId, checkSlot, checkSlug } from './input-checks.js';
import { slotLabel, type HistoryEntry, type PerArch, type RegistryDocument, type Slot } from './model.js';
import { isoSeconds } from '../core/clock.js';
import { finish, mutableHistory, newTemplateEntry, readHistory, refreshTemplateVersion, syncMirror, templateSlots } from './slots.js';

/**
 * The pure registry operations: each takes a document and returns a new one (the input is never
 * changed), with `changed: false` when there was nothing to do. The clock is a parameter.
 */

export interface Change<T> {
  document: RegistryDocument;
  changed: boolean;
  result: T;
}

export interface RecordInput extends Slot {
  amiId: string;
  /** When the image was made (ISO 8601). */
  created: string;
  version: string;
  fingerprint?: string;
  sourceAmi?: string;
  buildId?: string;
  validated: boolean;
  validatedAt?: string;
  sizeGb?: number;
  /** The digest of the image's manifest sidecar. */
  manifestDigest?: string;
  /** Template facts the seed keeps per template; set when given. */
  description?: string;
  ports?: number[];
  costs?: PerArch<number>;
}

export type RecordOutcome =
  /** Now the current image; `previous` is the one it replaced. */
  | { status: 'recorded'; previous?: string }
  /** Already in the history: nothing changed (or only its validation was filled in). */
  | { status: 'already-recorded'; imageStatus: HistoryEntry['status'] };

/** Records a new image: it becomes current, the current one becomes superseded. Idempotent. */
export function record(doc: RegistryDocument, input: RecordInput, clock: Clock): Change<RecordOutcome> {
  checkSlot(input);
  checkImageId(input.amiId, input.region);
  const next = structuredClone(doc);
  const entry = (next.templates[input.template] ??= newTemplateEntry(input.version));
  if (input.description !== undefined) entry.description = input.description;
  if (input.ports !== undefined) entry.ports = [...input.ports];
  if (input.costs !== undefined && Object.keys(input.costs).length > 0) entry.estimated_cost_per_hour = { ...input.costs };
  const history = mutableHistory(entry, input.region, input.architecture);
  const existing = history.find((h) => h.ami_id === input.amiId);
  let outcome: RecordOutcome;
  if (existing) {
    // Recording again may only add a validation that was missing; status never changes.
    if (input.validated && !existing.validated) {
      existing.validated = true;
      if (input.validatedAt) existing.validated_at = input.validatedAt;
    }
    // A manifest written after the image was first recorded (a retried step) is filled in.
    if (input.manifestDigest !== undefined && existing.manifest_digest === undefined) existing.manifest_digest = input.manifestDigest;
    outcome = { status: 'already-recorded', imageStatus: existing.status };
  } else {
    const previous = history.find((h) => h.status === 'current');
    if (previous) previous.status = 'superseded';
    history.push({
      ami_id: input.amiId,
      created: input.created,
      version: input.version,
      ...(input.fingerprint !== undefined ? { fingerprint: input.fingerprint } : {}),
      ...(input.sourceAmi !== undefined ? { source_ami: input.sourceAmi } : {}),
      ...(input.buildId !== undefined ? { build_id: input.buildId } : {}),
      validated: input.validated,
      ...(input.validatedAt !== undefined ? { validated_at: input.validatedAt } : {}),
      status: 'current',
      ...(input.sizeGb !== undefined ? { size_gb: input.sizeGb } : {}),
      recorded_at: isoSeconds(clock.now()),
      ...(input.manifestDigest !== undefined ? { manifest_digest: input.manifestDigest } : {}),
    });
    outcome = { status: 'recorded', ...(previous ? { previous: previous.ami_id } : {}) };
  }
  syncMirror(entry, input.region, input.architecture);
  refreshTemplateVersion(entry);
  return { ...finish(doc, next, clock), result: outcome };
}

export interface ValidatedInput {
  template: string;
  amiId: string;
  validated: boolean;
  /** When it was validated; defaults to now. */
  at?: string;
}

/** Sets an image's validation result (wherever it sits in the template's history). */
export function setValidated(doc: RegistryDocument, input: ValidatedInput, clock: Clock): Change<Slot[]> {
  checkSlug(input.template);
  const next = structuredClone(doc);
  const entry = next.templates[input.template];
  const slots = locateImage(next, input.template, input.amiId);
  for (const slot of slots) {
    const h = mutableHistory(entry, slot.region, slot.architecture).find((x) => x.ami_id === input.amiId)!;
    h.validated = input.validated;
    if (input.validated) {
      h.validated_at = input.at ?? isoSeconds(clock.now());
      // Passing again brings a failed image back among those rollback may choose; it does not
      // become current by itself.
      if (h.status === 'failed-validation') {
        h.status = 'superseded';
        delete h.failed_validation_at;
      }
    } else delete h.validated_at;
    syncMirror(entry, slot.region, slot.architecture);
  }
  return { ...finish(doc, next, clock), result: slots };
}

export interface RollbackResult {
  from?: string;
  to: string;
}

/**
 * Makes an earlier image current: the named one, or the newest validated image before the current
 * one that is neither revoked nor deleted. The image rolled away from becomes superseded.
 */
export function rollback(doc: RegistryDocument, slot: Slot & { to?: string }, clock: Clock): Change<RollbackResult> {
  checkSlot(slot);
  const history = readHistory(doc.templates[slot.template], slot.region, slot.architecture);
  if (history.length === 0)
    throw new PrismError('NOT_FOUND', `${slotLabel(slot)} has no images in the registry`, {
      hint: 'prism ami list shows what the registry holds',
    });
  const currentIndex = history.findIndex((h) => h.status === 'current');
  let target: HistoryEntry;
  if (slot.to !== undefined) {
    checkImageId(slot.to, slot.region);
    const named = history.find((h) => h.ami_id === slot.to);
    if (!named) {
      throw new PrismError('NOT_FOUND', `${slot.to} is not in the history of ${slotLabel(slot)}`, {
        hint: `its images: ${history.map((h) => `${h.ami_id} (${h.status})`).join(', ')}`,
      });
    }
    if (named.status === 'revoked' || named.status === 'deleted') {
      throw new PrismError('USAGE', `${slot.to} is ${named.status} and cannot become current again`, {
        hint: 'record a new image instead',
      });
    }
    if (named.status === 'failed-validation') {
      throw new PrismError('USAGE', `${slot.to} is failed-validation: its last validation failed`, {
        hint: `validate it again first (prism ami validate ${slot.template} --region ${slot.region} --architecture ${slot.architecture} --image ${slot.to})`,
      });
    }
    target = named;
  } else {
    const before = currentIndex === -1 ? history : history.slice(0, currentIndex);
    const candidate = [...before].reverse().find(isRollbackTarget);
    if (!candidate) {
      throw new PrismError('NOT_FOUND', `${slotLabel(slot)} has no earlier validated image to roll back to`, {
        hint: 'revoked, deleted and unvalidated images are skipped; name one with --to, or see prism ami list --all',
      });
    }
    target = candidate;
  }
  const from = currentIndex === -1 ? undefined : history[currentIndex].ami_id;
  if (from === target.ami_id) return { document: doc, changed: false, result: { from, to: target.ami_id } };
  const next = structuredClone(doc);
  const entry = next.templates[slot.template];
  const list = mutableHistory(entry, slot.region, slot.architecture);
  for (const h of list) {
    if (h.status === 'current') h.status = 'superseded';
    if (h.ami_id === target.ami_id) h.status = 'current';
  }
  syncMirror(entry, slot.region, slot.architecture);
  refreshTemplateVersion(entry);
  return { ...finish(doc, next, clock), result: { ...(from ? { from } : {}), to: target.ami_id } };
}

export interface PruneOptions {
  /** Superseded images kept per region and architecture (newest first). */
  keepLatest: number;
  template?: string;
}

/**
 * Shortens histories: drops deleted images and superseded ones beyond the newest `keepLatest`.
 * Current, revoked and failed images always stay (a revoked or failed ID must stay known so it
 * is never recorded as current again).
 */
export function prune(doc: RegistryDocument, options: PruneOptions, clock: Clock): Change<(Slot & { amiId: string })[]> {
  if (!Number.isInteger(options.keepLatest) || options.keepLatest < 0)
    throw new PrismError('USAGE', 'keepLatest must be a whole number, 0 or more');
  const next = structuredClone(doc);
  const removed: (Slot & { amiId: string })[] = [];
  for (const template of options.template ? [options.template] : Object.keys(next.templates)) {
    const entry = next.templates[template];
    if (!entry) continue;
    for (const slot of templateSlots(next, template)) {
      const list = mutableHistory(entry, slot.region, slot.architecture);
      let keptSuperseded = 0;
      const keep = new Set<HistoryEntry>();
      for (const h of [...list].reverse()) {
        if (h.status === 'current' || h.status === 'revoked' || h.status === 'failed-validation') keep.add(h);
        else if (h.status === 'superseded' && keptSuperseded < options.keepLatest) {
          keep.add(h);
          keptSuperseded++;
        }
      }
      const kept = list.filter((h) => keep.has(h));
      for (const h of list) if (!keep.has(h)) removed.push({ ...slot, amiId: h.ami_id });
      entry.history![slot.region][slot.architecture] = kept;
    }
  }
  return { ...finish(doc, next, clock), result: removed };
}

/** An image rollback may choose: validated, and neither revoked, deleted nor failed. */
export function isRollbackTarget(h: HistoryEntry): boolean {
  return h.validated && (h.status === 'superseded' || h.status === 'current');
}

/** Every slot of a template holding the image; NOT_FOUND when none does. */
export function locateImage(doc: RegistryDocument, template: string, amiId: string): Slot[] {
  checkImageId(amiId);
  const entry = doc.templates[template];
  if (!entry)
    throw new PrismError('NOT_FOUND', `the registry has no template "${template}"`, {
      hint: 'prism ami list shows what the registry holds',
    });
  const slots = templateSlots(doc, template).filter((slot) =>
    readHistory(entry, slot.region, slot.architecture).some((h) => h.ami_id === amiId),
  );
  if (slots.length === 0) {
    throw new PrismError('NOT_FOUND', `${amiId} is not recorded for template "${template}"`, {
      hint: `prism ami list --template ${template} --all shows its images`,
    });
  }
  return slots;
}
