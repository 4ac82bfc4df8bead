import type { DiffReport, ManifestImage } from '../actions/manifest.js';
import { ECOSYSTEM_LABELS, ECOSYSTEMS, manifestSummary, osLabel } from '../core/manifest.js';

/** `prism ami manifest`: the image, then every ecosystem's packages, one per line. */
export function formatManifest(r: ManifestImage): string {
  const lines = [imageLine(r)];
  if (!r.manifest) {
    lines.push(`Manifest: ${r.note ?? 'not recorded'}`);
    return `${lines.join('\n')}\n`;
  }
  const m = r.manifest;
  lines.push(`Manifest: ${m.digest} (collected ${m.collected_at})`);
  lines.push(`OS: ${osLabel(m.os)}`);
  lines.push(
    `Kernel: ${m.kernel.packages.length > 0 ? m.kernel.packages.map((p) => `${p.name} ${p.version}`).join(', ') : 'no kernel package installed'}${m.kernel.running ? ` (build machine ran ${m.kernel.running})` : ''}`,
  );
  lines.push(`Packages: ${manifestSummary(m)}`);
  for (const s of m.skipped ?? []) lines.push(`  ${s.ecosystem}: not listed (${s.reason})`);
  for (const ecosystem of ECOSYSTEMS) {
    const list = m.packages[ecosystem];
    if (!list) continue;
    lines.push('', `${ECOSYSTEM_LABELS[ecosystem]}: ${list.length}`);
    const width = Math.min(40, Math.max(...list.map((p) => p.name.length), 4));
    for (const p of list) lines.push(`  ${p.name.padEnd(width)}  ${p.version}${p.arch ? `  ${p.arch}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `prism ami diff`: per ecosystem, + added, − removed, ~ changed (old → new). */
export function formatDiff(r: DiffReport): string {
  const lines = [`From: ${imageLine(r.a)}`, `To:   ${imageLine(r.b)}`];
  if (r.same_image) {
    lines.push(
      `Both sides name the same image, ${r.a.image_id}: there is nothing to compare. (template@version is the newest image of that version; name an older build by its image ID: prism ami list --all.)`,
    );
    return `${lines.join('\n')}\n`;
  }
  if (!r.same_template)
    lines.push(
      `Note: these are images of different templates (${r.a.template} and ${r.b.template}); the diff compares their contents all the same.`,
    );
  if (!r.diff) {
    for (const side of [r.a, r.b]) if (!side.recorded) lines.push(`${side.image_id}: manifest ${side.note ?? 'not recorded'}`);
    lines.push('Nothing to compare: both images need a manifest.');
    return `${lines.join('\n')}\n`;
  }
  const d = r.diff;
  if (d.os) lines.push(`OS: ${d.os.from} → ${d.os.to}`);
  if (d.kernel) lines.push(`Kernel: ${d.kernel.from} → ${d.kernel.to}`);
  if (d.total === 0) {
    lines.push('No packages changed.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${d.total} package${d.total === 1 ? '' : 's'} changed`);
  for (const e of d.ecosystems) {
    lines.push('', `${ECOSYSTEM_LABELS[e.ecosystem]}: ${e.added.length} added, ${e.removed.length} removed, ${e.changed.length} changed`);
    for (const c of e.changed) lines.push(`  ~ ${c.name}${c.arch ? `:${c.arch}` : ''}  ${c.from} → ${c.to}`);
    for (const p of e.added) lines.push(`  + ${p.name}  ${p.version}`);
    for (const p of e.removed) lines.push(`  − ${p.name}  ${p.version}`);
  }
  return `${lines.join('\n')}\n`;
}

function imageLine(r: Omit<ManifestImage, 'manifest'>): string {
  const where = r.region === 'local' ? r.architecture : `${r.region} ${r.architecture}`;
  return `${r.image_id}  ${r.template} ${r.version} (${where}, ${r.status}, built ${r.created})`;
}
