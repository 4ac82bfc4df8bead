import type { SiteModel } from '../../actions/report-model.js';
import { statusBadge } from './badges.js';
import { html, page, templatePage, type Html } from './html.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** timeline.html: every image ever recorded, newest first, by month. */
export function timelinePage(m: SiteModel): string {
  const groups = new Map<string, Html[]>();
  for (const item of m.timeline) {
    const month = item.entry.created.slice(0, 7);
    const list = groups.get(month) ?? [];
    list.push(
      html`<li>
        <span class="mono">${item.entry.created.replace('T', ' ').replace(/:\d\dZ$/, 'Z')}</span
        ><span
          ><a href="${templatePage(item.template)}">${item.template}</a> ${item.entry.version} · ${item.region} ${item.architecture} ·
          <span class="mono">${item.entry.ami_id}</span> ${statusBadge(item.entry)}</span
        >
      </li>`,
    );
    groups.set(month, list);
  }
  const body = html`<h1>Timeline</h1>
    <p class="lede">Every image the registry recorded, newest first, with its status today.</p>
    ${[...groups].map(
      ([month, items]) =>
        html`<div class="month">${MONTHS[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}</div>
          <div class="card">
            <ul class="timeline">
              ${items}
            </ul>
          </div>`,
    )}
    ${m.timeline.length === 0 ? html`<p>The registry has no images yet.</p>` : ''}`;
  return page({ title: 'Timeline', root: '', active: 'timeline', generatedAt: m.generatedAt, registry: m.registry }, body);
}
