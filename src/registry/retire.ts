import { isoSeconds, type Clock } from '../core/clock.js';
import { checkSlug } from './input-checks.js';
import { lineageOf } from './lineage.js';
import type { ImageStatus, RegistryDocument, Slot } from './model.js';
import { isRollbackTarget, locateImage, type Change } from './operations.js';
import { finish, mutableHistory, refreshTemplateVersion, syncMirror } from './slots.js';

/**
 * Taking images out of service: revoke (never current again), deleted (deregistered), failed
 * validation. A current image that goes is replaced, in its slot, by the newest earlier image a
 * rollback could choose (validated, not revoked, deleted or failed), if there is one. Pure.
 */

export interface RemovalInput {
  template: string;
  amiId: string;
  /** Why (revoke only): kept in the history. */
  reason?: string;
  /**
   * `lineage` (revoke's default): the image and every region copy of the same build, in every
   * region. `image`: only this image, where it is recorded.
   */
  scope?: 'lineage' | 'image';
}

export interface RemovalResult extends Slot {
  amiId: string;
  /** The image that became current in its place, when it was the current one. */
  replacedBy?: string;
  wasCurrent: boolean;
  /** It already had this status (nothing changed for it). */
  already?: boolean;
}

/** Revokes an image and, by default, its whole lineage: never current again, skipped by rollback. */
export function revoke(doc: RegistryDocument, input: RemovalInput, clock: Clock): Change<RemovalResult[]> {
  return retire(doc, { ...input, scope: input.scope ?? 'lineage' }, 'revoked', clock);
}

/** Marks an image deleted (deregistered); like revoke, a current one is replaced. */
export function markDeleted(doc: RegistryDocument, input: RemovalInput, clock: Clock): Change<RemovalResult[]> {
  return retire(doc, { ...input, scope: 'image' }, 'deleted', clock);
}

/**
 * A validation of the image failed: it is marked not validated and `failed-validation`, and when it
 * was current the previous valid image takes its place (as a rollback would). Revoked and deleted
 * images keep their status.
 */
export function failValidation(doc: RegistryDocument, input: { template: string; amiId: string }, clock: Clock): Change<RemovalResult[]> {
  return retire(doc, { ...input, scope: 'image' }, 'failed-validation', clock);
}

type RetiredStatus = Extract<ImageStatus, 'revoked' | 'deleted' | 'failed-validation'>;

/** Which statuses a retirement leaves alone (a deleted image cannot be revoked or fail anymore). */
const STAYS: Record<RetiredStatus, readonly ImageStatus[]> = {
  revoked: ['revoked', 'deleted'],
  deleted: ['deleted'],
  'failed-validation': ['failed-validation', 'revoked', 'deleted'],
};

function retire(doc: RegistryDocument, input: RemovalInput, status: RetiredStatus, clock: Clock): Change<RemovalResult[]> {
  checkSlug(input.template);
  const targets =
    input.scope === 'lineage'
      ? lineageOf(doc, input.template, input.amiId)
      : locateImage(doc, input.template, input.amiId).map((slot) => ({ ...slot, amiId: input.amiId }));
  if (targets.length === 0) locateImage(doc, input.template, input.amiId);
  const next = structuredClone(doc);
  const entry = next.templates[input.template];
  const results: RemovalResult[] = [];
  const now = isoSeconds(clock.now());
  for (const target of targets) {
    const slot: Slot = { template: target.template, region: target.region, architecture: target.architecture };
    const list = mutableHistory(entry, slot.region, slot.architecture);
    const index = list.findIndex((h) => h.ami_id === target.amiId);
    const h = list[index];
    const wasCurrent = h.status === 'current';
    if (STAYS[status].includes(h.status)) {
      results.push({ ...slot, amiId: target.amiId, wasCurrent, already: true });
      continue;
    }
    h.status = status;
    if (status === 'revoked') {
      h.revoked_at = now;
      if (input.reason) h.revoke_reason = input.reason;
    } else if (status === 'deleted') {
      h.deleted_at = now;
    } else {
      h.validated = false;
      h.failed_validation_at = now;
      delete h.validated_at;
    }
    let replacedBy: string | undefined;
    if (wasCurrent) {
      const replacement = list.slice(0, index).reverse().find(isRollbackTarget);
      if (replacement) {
        replacement.status = 'current';
        replacedBy = replacement.ami_id;
      }
    }
    syncMirror(entry, slot.region, slot.architecture);
    results.push({ ...slot, amiId: target.amiId, wasCurrent, ...(replacedBy ? { replacedBy } : {}) });
  }
  refreshTemplateVersion(entry);
  return { ...finish(doc, next, clock), result: results };
}
