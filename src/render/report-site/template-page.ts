import type { SiteModel, SlotView, TemplateView } from '../../actions/report-model.js';
import { slotBadges, statusBadge } from './badges.js';
import { diffView } from './diff-view.js';
import { age, cardTable, day, html, page, short, usd } from './html.js';

/** templates/<slug>.html: each region and architecture's history, and the package changes between its images. */
export function templatePageHtml(m: SiteModel, t: TemplateView): string {
  const body = html`<h1>${t.slug}</h1>
    <p class="lede">
      ${t.description ?? ''}${t.version ? html` · current version <b>${t.version}</b>` : ''}${t.hasTemplateFile ? '' : ' · no template file in the templates folder (drift not checked)'}
    </p>
    <nav class="toc">${t.slots.map((s) => html`<a href="#${s.region}-${s.architecture}">${s.region} · ${s.architecture}</a>`)}</nav>
    ${t.slots.map((s) => slotSection(m, s))}`;
  return page({ title: t.slug, root: '../', active: 'template', generatedAt: m.generatedAt, registry: m.registry }, body);
}

function slotSection(m: SiteModel, s: SlotView) {
  const drift = s.templateFingerprint
    ? html`<p class="meta">
        The template's fingerprint is now <code>${short(s.templateFingerprint)}</code>; the current image was built from
        <code>${short(s.current?.fingerprint)}</code>.
      </p>`
    : '';
  const rows = [...s.history].reverse().map(
    (h) =>
      html`<tr data-image="${h.ami_id}">
        <td class="mono">${h.ami_id}</td>
        <td>${h.version}</td>
        <td>${day(h.created)}</td>
        <td>${statusBadge(h)}${h.revoke_reason ? html`<div class="meta">${h.revoke_reason}</div>` : ''}</td>
        <td>
          ${h.validated ? html`yes <span class="meta">${day(h.validated_at)}</span>` : h.failed_validation_at ? html`<span class="rem">failed ${day(h.failed_validation_at)}</span>` : 'no'}
        </td>
        <td class="mono">${short(h.fingerprint)}</td>
        <td class="mono">${h.manifest_digest ? short(h.manifest_digest) : html`<span class="meta">not recorded</span>`}</td>
        <td>${h.size_gb !== undefined ? `${h.size_gb} GB` : ''}</td>
      </tr>`,
  );
  const changes = s.changes.map(
    (
      c,
      i,
    ) => html`<details${i === 0 ? html` open` : ''} data-from="${c.from.ami_id}" data-to="${c.to.ami_id}"><summary>${c.from.version} <span class="arrow">→</span> ${c.to.version} <span class="meta mono">${c.from.ami_id} → ${c.to.ami_id}</span>${c.diff ? html` <span class="badge ${c.diff.total > 0 ? 'b-warn' : 'b-muted'}">${c.diff.total} packages changed</span>` : html` <span class="badge b-muted">${c.note ?? 'not recorded'}</span>`}</summary>
${c.diff ? diffView(c.diff) : html`<p class="meta">${c.note ?? 'not recorded'}: images recorded before prism-ami kept package manifests have none.</p>`}</details>`,
  );
  return html`<h2 id="${s.region}-${s.architecture}">${s.region} · ${s.architecture}</h2>
    <p>
      ${s.current ? html`Current: <b class="mono">${s.current.ami_id}</b> (${s.current.version}, ${age(s.ageDays)} old)` : 'No current image.'}
      · ${usd(s.monthlyCost)}/month of snapshots ${slotBadges(s, m.staleDays)}
    </p>
    ${drift} ${cardTable(['Image', 'Version', 'Built', 'Status', 'Validated', 'Fingerprint', 'Manifest', 'Size'], rows)}
    ${
      s.changes.length > 0
        ? html`<h3>Package changes between consecutive images</h3>
            ${changes}`
        : ''
    }`;
}
