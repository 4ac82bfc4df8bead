import { ECOSYSTEMS, osLabel, type Ecosystem, type ManifestContent, type ManifestPackage } from '../../core/manifest.js';

/** What changed between two manifests, per ecosystem. */
export interface EcosystemDiff {
  ecosystem: Ecosystem;
  added: ManifestPackage[];
  removed: ManifestPackage[];
  changed: { name: string; arch?: string; from: string; to: string }[];
}

export interface ManifestDiff {
  /** os-release's pretty name, when it changed. */
  os?: { from: string; to: string };
  /** The installed kernel packages, when they changed ("linux-image-6.1.0-18-amd64 6.1.76-1"). */
  kernel?: { from: string; to: string };
  ecosystems: EcosystemDiff[];
  /** Added + removed + changed, every ecosystem. */
  total: number;
}

/**
 * Packages are matched by name; where one name is installed for several architectures (dpkg
 * multiarch, rpm i686 next to x86_64), by name and architecture.
 */
export function diffManifests(a: ManifestContent, b: ManifestContent): ManifestDiff {
  const ecosystems: EcosystemDiff[] = [];
  for (const ecosystem of ECOSYSTEMS) {
    const before = a.packages[ecosystem];
    const after = b.packages[ecosystem];
    if (!before && !after) continue;
    const diff = diffLists(before ?? [], after ?? []);
    if (diff.added.length + diff.removed.length + diff.changed.length > 0) ecosystems.push({ ecosystem, ...diff });
  }
  const result: ManifestDiff = {
    ecosystems,
    total: ecosystems.reduce((n, e) => n + e.added.length + e.removed.length + e.changed.length, 0),
  };
  const osA = osLabel(a.os);
  const osB = osLabel(b.os);
  if (osA !== osB || a.os.version_id !== b.os.version_id) result.os = { from: osA, to: osB };
  const kernelA = kernelLabel(a);
  const kernelB = kernelLabel(b);
  if (kernelA !== kernelB) result.kernel = { from: kernelA, to: kernelB };
  return result;
}

function kernelLabel(m: ManifestContent): string {
  const list = m.kernel.packages.map((p) => `${p.name} ${p.version}`).sort();
  return list.length > 0 ? list.join(', ') : 'none installed';
}

function diffLists(before: readonly ManifestPackage[], after: readonly ManifestPackage[]): Omit<EcosystemDiff, 'ecosystem'> {
  const multi = new Set([...duplicateNames(before), ...duplicateNames(after)]);
  const key = (p: ManifestPackage) => (multi.has(p.name) ? `${p.name}:${p.arch ?? ''}` : p.name);
  const old = new Map(before.map((p) => [key(p), p]));
  const next = new Map(after.map((p) => [key(p), p]));
  const added: ManifestPackage[] = [];
  const removed: ManifestPackage[] = [];
  const changed: EcosystemDiff['changed'] = [];
  for (const [k, p] of next) {
    const o = old.get(k);
    if (!o) added.push(p);
    else if (o.version !== p.version)
      changed.push({ name: p.name, ...(multi.has(p.name) && p.arch ? { arch: p.arch } : {}), from: o.version, to: p.version });
  }
  for (const [k, p] of old) if (!next.has(k)) removed.push(p);
  const byName = (x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  return { added: added.sort(byName), removed: removed.sort(byName), changed: changed.sort(byName) };
}

function duplicateNames(list: readonly ManifestPackage[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const p of list) {
    if (seen.has(p.name)) dup.push(p.name);
    seen.add(p.name);
  }
  return dup;
}

/**
 * One line for the build output: "3 packages changed: + jq 1.6-2.1, ~ openssl 3.0.2 → 3.0.3, …"
 * (at most `max` packages named).
 */
export function diffSummary(diff: ManifestDiff, max = 5): string {
  if (diff.total === 0) return 'no packages changed';
  const named: string[] = [];
  for (const e of diff.ecosystems) {
    for (const c of e.changed) named.push(`${c.name} ${c.from} → ${c.to}`);
    for (const p of e.added) named.push(`+ ${p.name} ${p.version}`);
    for (const p of e.removed) named.push(`− ${p.name} ${p.version}`);
  }
  const shown = named.slice(0, max).join(', ');
  const more = named.length > max ? `, and ${named.length - max} more` : '';
  return `${diff.total} package${diff.total === 1 ? '' : 's'} changed: ${shown}${more}`;
}
