import {
  MANIFEST_FORMAT,
  manifestDigest,
  type Ecosystem,
  type ImageManifest,
  type ManifestPackage,
  type OsRelease,
} from '../core/manifest.js';
import { MINIFORGE } from '../template/prism/setup.js';

/**
 * Where conda is looked for when it is not on the PATH (a non-login shell does not read
 * /etc/profile.d): Prism's generator installs Miniforge in ${MINIFORGE}, the installers' defaults.
 */
const CONDA_PLACES = [
  MINIFORGE,
  '/opt/miniforge3',
  '/opt/mambaforge',
  '/opt/conda',
  '/opt/miniconda3',
  '/root/miniforge3',
  '/root/miniconda3',
];

/** Where the collection writes its output in the machine: /run is a tmpfs, so it never reaches the image. */
export const MANIFEST_DIR = '/run/prism-ami';
/** The listing the collection script writes, read back by the engine. */
export const MANIFEST_FILE = `${MANIFEST_DIR}/manifest.txt`;
const MARK = '@@prism-manifest';

/**
 * The collection script (POSIX sh: the image may have no bash). Every lister runs under
 * `timeout` (LIMIT seconds each), and one that is absent is skipped; one that fails or runs out
 * of time is named in a `skipped` section instead of failing the build. The listing goes to
 * MANIFEST_FILE, which the engine reads back with the provider's readFile (on AWS in pieces
 * that fit SSM's 24,000 characters); the script prints only its size.
 */
export function collectionScript(limitSeconds: number): string {
  return `#!/bin/sh
# prism-ami: what is in this image (docs/manifests.md)
set -u
dir=${MANIFEST_DIR}
mkdir -p "$dir"
raw=${MANIFEST_FILE}
limit=${limitSeconds}
bounded() { if command -v timeout >/dev/null 2>&1; then timeout "$limit" "$@"; else "$@"; fi; }
section() { printf '${MARK} %s\\n' "$*"; }
skipped() { section skipped "$1" "$2"; }
{
  section os-release
  cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null || true
  section running-kernel
  uname -r
  if command -v dpkg-query >/dev/null 2>&1; then
    section dpkg
    bounded dpkg-query -W -f='\${db:Status-Abbrev}\\t\${Package}\\t\${Version}\\t\${Architecture}\\n' || skipped dpkg "dpkg-query exited $?"
  fi
  if command -v rpm >/dev/null 2>&1 && [ -d /var/lib/rpm ] && ! command -v dpkg-query >/dev/null 2>&1; then
    section rpm
    bounded rpm -qa --qf '%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n' || skipped rpm "rpm exited $?"
  fi
  if command -v python3 >/dev/null 2>&1; then
    section python "$(command -v python3)"
    bounded python3 -c 'import importlib.metadata as m
seen = set()
for d in m.distributions():
    n = d.metadata["Name"]
    if n and n.lower() not in seen:
        seen.add(n.lower())
        print(n + "\\t" + d.version)' || skipped python "python3 exited $?"
  fi
  conda=""
  for c in "$(command -v conda 2>/dev/null)" ${CONDA_PLACES.map((d) => `${d}/bin/conda`).join(' ')}; do
    if [ -n "$c" ] && [ -x "$c" ]; then conda="$c"; break; fi
  done
  if [ -n "$conda" ]; then
    section conda "$conda"
    bounded "$conda" list --json || skipped conda "conda exited $?"
  fi
  if command -v Rscript >/dev/null 2>&1; then
    section R
    bounded Rscript -e 'ip <- installed.packages(); for (i in seq_len(nrow(ip))) cat(ip[i, "Package"], "\\t", ip[i, "Version"], "\\n", sep = "")' || skipped R "Rscript exited $?"
  fi
  section end
} > "$raw" 2>"$dir/manifest.err"
printf '${MARK}-ready %s\\n' "$(wc -c < "$raw" | tr -d ' ')"
`;
}

/** The script's last line: the size of the listing it wrote, in bytes. */
export function parseReady(stdout: string): number | undefined {
  const m = new RegExp(`^${MARK}-ready (\\d+)\\s*$`, 'm').exec(stdout);
  return m ? Number(m[1]) : undefined;
}

/** Thrown when the output is not what the script writes (cut short, or not from it). */
export class ManifestFormatError extends Error {}

/** The script's raw output → a manifest (with its digest). */
export function parseCollectionOutput(text: string, collectedAt: Date): ImageManifest {
  const sections: { name: string; arg: string; lines: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      const [name, ...rest] = line.slice(MARK.length + 1).split(' ');
      sections.push({ name, arg: rest.join(' '), lines: [] });
    } else sections.at(-1)?.lines.push(line);
  }
  if (sections.at(-1)?.name !== 'end') throw new ManifestFormatError('the output has no end marker: it was cut short');
  const find = (name: string) => sections.find((s) => s.name === name);
  const os = parseOsRelease(find('os-release')?.lines ?? []);
  const packages: Partial<Record<Ecosystem, ManifestPackage[]>> = {};
  const skipped: { ecosystem: string; reason: string }[] = [];
  for (const s of sections.filter((x) => x.name === 'skipped')) {
    const [ecosystem, ...reason] = s.arg.split(' ');
    skipped.push({ ecosystem, reason: reason.join(' ') });
  }
  const skippedNames = new Set(skipped.map((s) => s.ecosystem));
  const dpkg = find('dpkg');
  if (dpkg && !skippedNames.has('dpkg')) packages.dpkg = parseDpkg(dpkg.lines);
  const rpm = find('rpm');
  if (rpm && !skippedNames.has('rpm')) packages.rpm = parseTabbed(rpm.lines, true);
  const python = find('python');
  if (python && !skippedNames.has('python')) packages.python = parseTabbed(python.lines, false);
  const conda = find('conda');
  if (conda && !skippedNames.has('conda')) packages.conda = parseConda(conda.lines.join('\n'));
  const r = find('R');
  if (r && !skippedNames.has('R')) packages.R = dedupe(parseTabbed(r.lines, false));
  const system = packages.dpkg ?? packages.rpm ?? [];
  const kernelPackages = system.filter((p) => /^linux-image-\d/.test(p.name) || p.name === 'kernel' || p.name === 'kernel-core');
  const running = find('running-kernel')
    ?.lines.find((l) => l.trim() !== '')
    ?.trim();
  const content = { os, kernel: { packages: kernelPackages, ...(running ? { running } : {}) }, packages };
  return {
    manifest_format: MANIFEST_FORMAT,
    digest: manifestDigest(content),
    collected_at: collectedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...content,
    ...(skipped.length > 0 ? { skipped } : {}),
  };
}

function parseOsRelease(lines: string[]): OsRelease {
  const values: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) values[m[1]] = m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  const os: OsRelease = {};
  if (values.ID) os.id = values.ID;
  if (values.VERSION_ID) os.version_id = values.VERSION_ID;
  if (values.VERSION_CODENAME) os.version_codename = values.VERSION_CODENAME;
  if (values.PRETTY_NAME) os.pretty_name = values.PRETTY_NAME;
  return os;
}

/** `ii \tname\tversion\tarch`: only installed packages (`ii`, `hi`), not removed ones kept for their config. */
function parseDpkg(lines: string[]): ManifestPackage[] {
  const out: ManifestPackage[] = [];
  for (const line of lines) {
    const [status, name, version, arch] = line.split('\t');
    if (!name || !version || !/^[ih]i/.test(status ?? '')) continue;
    out.push({ name, version, ...(arch ? { arch } : {}) });
  }
  return out;
}

function parseTabbed(lines: string[], withArch: boolean): ManifestPackage[] {
  const out: ManifestPackage[] = [];
  for (const line of lines) {
    const [name, version, arch] = line.split('\t').map((x) => x.trim());
    if (!name || !version) continue;
    out.push({ name, version, ...(withArch && arch ? { arch } : {}) });
  }
  return out;
}

function parseConda(text: string): ManifestPackage[] {
  try {
    const list = JSON.parse(text) as { name?: unknown; version?: unknown }[];
    return list
      .filter((p) => typeof p.name === 'string' && typeof p.version === 'string')
      .map((p) => ({ name: p.name as string, version: p.version as string }));
  } catch {
    throw new ManifestFormatError('conda list --json did not print JSON');
  }
}

/** The first of a name wins: R loads a package from the first library that has it. */
function dedupe(list: ManifestPackage[]): ManifestPackage[] {
  const seen = new Set<string>();
  return list.filter((p) => !seen.has(p.name) && (seen.add(p.name), true));
}
