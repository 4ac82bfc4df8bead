import type { SiteModel, SlotView, TemplateView } from '../../actions/report-model.js';
import type { Architecture } from '../../core/types.js';
import { slotBadges } from './badges.js';
import { age, cardTable, html, page, templatePage, usd, type Html } from './html.js';

/** index.html: the matrix of templates × architectures (rows) × regions (columns). */
export function indexPage(m: SiteModel): string {
  const slots = m.templates.flatMap((t) => t.slots);
  const stale = slots.filter((s) => s.stale.length > 0).length;
  const rows = m.templates.flatMap((t, n) => {
    const archs = m.architectures.filter((a) => t.slots.some((s) => s.architecture === a));
    return archs.map((a, i) => row(m, t, a, i === 0 ? archs.length : 0, n === m.templates.length - 1));
  });
  const body = html`<h1>Images by template, region and architecture</h1>
    <p class="lede">
      The registry's current image in every region and architecture. A marked cell needs attention: the template changed since the image was
      built, the image is older than ${m.staleDays} days, or it has no valid image.
    </p>
    <div class="summary">
      <div class="stat"><b>${m.templates.length}</b><span>templates</span></div>
      <div class="stat"><b>${slots.length}</b><span>region × architecture slots</span></div>
      <div class="stat"><b>${stale}</b><span>need attention</span></div>
      <div class="stat"><b>${usd(m.totalMonthlyCost)}</b><span>snapshot storage per month (est.)</span></div>
    </div>
    ${cardTable(['Template', 'Arch', ...m.regions], rows, 'matrix')}
    <p class="legend">
      Cost: every image kept in a region (current, superseded, revoked, failed) at ${usd(m.snapshotPerGbMonth)} per GB-month of snapshot
      storage; local images cost nothing. An estimate, not a bill.
    </p>`;
  return page({ title: 'Matrix', root: '', active: 'matrix', generatedAt: m.generatedAt, registry: m.registry }, body);
}

function row(m: SiteModel, t: TemplateView, arch: Architecture, span: number, last: boolean): Html {
  const head =
    span > 0
      ? html`<td class="tpl${last ? ' last' : ''}" rowspan="${span}">
          <a href="${templatePage(t.slug)}">${t.slug}</a>${t.description ? html`<small>${t.description}</small>` : ''}
        </td>`
      : '';
  return html`<tr data-template="${t.slug}" data-arch="${arch}">
    ${head}
    <td class="mono">${arch}</td>
    ${m.regions.map((r) =>
      cell(
        m,
        t.slots.find((s) => s.region === r && s.architecture === arch),
      ),
    )}
  </tr>`;
}

function cell(m: SiteModel, slot: SlotView | undefined): Html {
  if (!slot) return html`<td class="cell empty">—</td>`;
  const c = slot.current;
  const cls = slot.stale.includes('no-current') ? 'bad' : slot.stale.length > 0 ? 'stale' : '';
  const content = c
    ? html`<div class="img mono">${c.ami_id}</div>
        <div class="meta">${c.version} · ${age(slot.ageDays)} old · ${usd(slot.monthlyCost)}/mo</div>`
    : html`<div class="meta">no current image · ${usd(slot.monthlyCost)}/mo</div>`;
  return html`<td class="cell ${cls}" data-region="${slot.region}" data-stale="${slot.stale.join(' ')}">
    ${content}${slotBadges(slot, m.staleDays)}
  </td>`;
}
