import { createHash } from 'node:crypto';
import { stableJson } from './stable-json.js';

/**
 * What is in an image: its OS release, kernel and every package with its version, by ecosystem.
 * Recorded by the build (engine/manifest.ts) just before the image is made, kept as a sidecar
 * next to the registry (one per image ID, registry/manifest/store.ts) and referenced from the registry
 * entry by its digest.
 */

/** The sidecar layout this code writes and reads. */
export const MANIFEST_FORMAT = 1;

/** Package ecosystems, in the order they are shown. */
export const ECOSYSTEMS = ['dpkg', 'rpm', 'python', 'conda', 'R'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

export const ECOSYSTEM_LABELS: Readonly<Record<Ecosystem, string>> = {
  dpkg: 'system (dpkg)',
  rpm: 'system (rpm)',
  python: 'Python',
  conda: 'conda',
  R: 'R',
};

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

export interface ManifestPackage {
  name: string;
  version: string;
  /** The package's architecture (system packages). */
  arch?: string;
}

export interface OsRelease {
  id?: string;
  version_id?: string;
  version_codename?: string;
  pretty_name?: string;
}

/** What the digest covers: the image's contents, nothing about when or where it was looked at. */
export interface ManifestContent {
  os: OsRelease;
  kernel: {
    /** Installed kernel packages (none in a container image). */
    packages: ManifestPackage[];
    /** `uname -r` on the build machine (a container reports its host's kernel). */
    running?: string;
  };
  packages: Partial<Record<Ecosystem, ManifestPackage[]>>;
}

export interface ImageManifest extends ManifestContent {
  manifest_format: number;
  /** `sha256:` over the canonical JSON of the content (os, kernel, packages). */
  digest: string;
  collected_at: string;
  /** Ecosystems that were present but could not be listed (a timeout, an error). */
  skipped?: { ecosystem: string; reason: string }[];
  /** Set when stored as an image's sidecar. */
  image_id?: string;
  template?: string;
  version?: string;
  architecture?: string;
  region?: string;
}

/** The digest of a manifest's content; packages are sorted first so order never matters. */
export function manifestDigest(content: ManifestContent): string {
  const packages: Partial<Record<Ecosystem, ManifestPackage[]>> = {};
  for (const ecosystem of ECOSYSTEMS) {
    const list = content.packages[ecosystem];
    if (list) packages[ecosystem] = sortPackages(list);
  }
  const canonical = {
    format: MANIFEST_FORMAT,
    os: content.os,
    kernel: { packages: sortPackages(content.kernel.packages), running: content.kernel.running ?? null },
    packages,
  };
  return `sha256:${createHash('sha256').update(stableJson(canonical)).digest('hex')}`;
}

export function sortPackages(list: readonly ManifestPackage[]): ManifestPackage[] {
  return [...list].sort((a, b) => cmp(a.name, b.name) || cmp(a.arch ?? '', b.arch ?? '') || cmp(a.version, b.version));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every package of every ecosystem. */
export function packageCount(manifest: ManifestContent): number {
  return ECOSYSTEMS.reduce((n, e) => n + (manifest.packages[e]?.length ?? 0), 0);
}

/** "1234 packages (dpkg 1230, Python 4)" */
export function manifestSummary(manifest: ManifestContent): string {
  const parts = ECOSYSTEMS.filter((e) => manifest.packages[e]).map((e) => `${e} ${manifest.packages[e]!.length}`);
  const total = packageCount(manifest);
  return `${total} package${total === 1 ? '' : 's'}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/** "Debian GNU/Linux 12 (bookworm)", from os-release. */
export function osLabel(os: OsRelease): string {
  return os.pretty_name ?? ([os.id, os.version_id].filter(Boolean).join(' ') || 'unknown OS');
}
