import type { HistoryEntry } from '../../registry/model.js';
import type { SlotView, StaleReason } from '../../actions/report-model.js';
import { day, html, type Html } from './html.js';

const STALE_TEXT: Record<StaleReason, string> = {
  drift: 'template changed',
  age: 'stale: old',
  unvalidated: 'not validated',
  'no-current': 'no current image',
};

/** The badges of a matrix cell: validation, staleness, revoked/failed history. */
export function slotBadges(slot: SlotView, staleDays: number): Html {
  const badges: Html[] = [];
  const c = slot.current;
  if (c?.validated)
    badges.push(
      html`<span class="badge b-ok" title="validated ${c.validated_at ?? ''}">validated ${day(c.validated_at ?? c.created)}</span>`,
    );
  for (const reason of slot.stale) {
    const title =
      reason === 'drift'
        ? 'the template file has a different fingerprint than the current image: rebuild it'
        : reason === 'age'
          ? `older than ${staleDays} days`
          : '';
    badges.push(
      html`<span
        class="badge ${reason === 'no-current' ? 'b-bad' : reason === 'drift' ? 'b-info' : 'b-warn'}"
        data-stale="${reason}"
        title="${title}"
        >${STALE_TEXT[reason]}</span
      >`,
    );
  }
  if (slot.revoked > 0) badges.push(html`<span class="badge b-bad">${slot.revoked} revoked</span>`);
  if (slot.failed > 0) badges.push(html`<span class="badge b-bad">${slot.failed} failed validation</span>`);
  return html`${badges}`;
}

export function statusBadge(h: HistoryEntry): Html {
  const cls = h.status === 'current' ? 'b-ok' : h.status === 'superseded' ? 'b-muted' : 'b-bad';
  return html`<span class="badge ${cls}">${h.status}</span>`;
}
