import { ECOSYSTEM_LABELS } from '../../core/manifest.js';
import type { ManifestDiff } from '../../registry/manifest/diff.js';
import { html, type Html } from './html.js';

/** The packages that changed between two images, by ecosystem. */
export function diffView(d: ManifestDiff): Html {
  const head: Html[] = [];
  if (d.os) head.push(html`<p>OS: ${d.os.from} <span class="arrow">→</span> ${d.os.to}</p>`);
  if (d.kernel) head.push(html`<p>Kernel: ${d.kernel.from} <span class="arrow">→</span> ${d.kernel.to}</p>`);
  if (d.total === 0)
    return html`<div class="diff">
      ${head}
      <p class="meta">No packages changed.</p>
    </div>`;
  const sections = d.ecosystems.map(
    (e) =>
      html`<h4>${ECOSYSTEM_LABELS[e.ecosystem]}: ${e.added.length} added, ${e.removed.length} removed, ${e.changed.length} changed</h4>
        <table>
          <tbody>
            ${e.changed.map(
              (c) =>
                html`<tr class="changed">
                  <td class="chg">changed</td>
                  <td class="mono pkg">${c.name}${c.arch ? `:${c.arch}` : ''}</td>
                  <td class="mono">${c.from}<span class="arrow">→</span>${c.to}</td>
                </tr>`,
            )}
            ${e.added.map(
              (p) =>
                html`<tr class="added">
                  <td class="add">added</td>
                  <td class="mono pkg">${p.name}</td>
                  <td class="mono">${p.version}</td>
                </tr>`,
            )}
            ${e.removed.map(
              (p) =>
                html`<tr class="removed">
                  <td class="rem">removed</td>
                  <td class="mono pkg">${p.name}</td>
                  <td class="mono">${p.version}</td>
                </tr>`,
            )}
          </tbody>
        </table>`,
  );
  return html`<div class="diff">${head}${sections}</div>`;
}
