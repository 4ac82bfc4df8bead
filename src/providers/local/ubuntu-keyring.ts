import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { PrismError } from '../../core/errors.js';
import { acquireLock } from '../../core/file-lock.js';
import type { ProviderContext } from '../provider.js';
import { runHost } from './host.js';
import { keyringKeys } from './openpgp.js';

/**
 * Ubuntu's archive signing keys, pinned: an Ubuntu base is made with debootstrap only when the
 * keyring it checks the archive with holds these keys and no others. Debian 12 has no
 * `ubuntu-keyring` package, so the keyring is taken from the Ubuntu mirror's own package and
 * trusted only when it matches.
 *
 * The fingerprints are Ubuntu's published ones: https://wiki.ubuntu.com/SecurityTeam/FAQ#GPG_Keys_used_by_Ubuntu
 * and the key list of https://bugs.launchpad.net/ubuntu/+source/ubuntu-keyring/+bug/1881278
 * ("Ship 2018 Archive key in xenial's ubuntu-keyring"); checked against ubuntu-keyring
 * 2020.02.11.2 (focal), 2021.03.26 (jammy) and 2023.11.28.1 (noble), which all ship these three.
 */
export const UBUNTU_ARCHIVE_KEYS: Readonly<Record<string, string>> = {
  '790BC7277767219C42C86F933B4FE6ACC0B21F32': 'Ubuntu Archive Automatic Signing Key (2012)',
  '843938DF228D22F7B3742BC0D94AA3F0EFE21092': 'Ubuntu CD Image Automatic Signing Key (2012)',
  F6ECB3762474EDA9D21B7022871920D1991BC93C: 'Ubuntu Archive Automatic Signing Key (2018)',
};

/** The key every current Ubuntu release's archive is signed with: a keyring without it is refused. */
const REQUIRED_KEY = 'F6ECB3762474EDA9D21B7022871920D1991BC93C';

/** Where Debian-family systems keep the keyring when the ubuntu-keyring package is installed. */
export const SYSTEM_UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

export interface KeyringSource {
  /** The mirror the base is made from (its Packages index names the keyring package). */
  mirror: string;
  /** The release whose ubuntu-keyring package is taken, e.g. jammy. */
  suite: string;
  /** The Debian architecture name of the index to read (amd64, arm64). */
  debianArch: string;
}

/** Checks a keyring's keys against the pinned ones; the problem in words, or undefined when it is Ubuntu's. */
export function keyringProblem(keyring: Uint8Array): string | undefined {
  let keys;
  try {
    keys = keyringKeys(keyring);
  } catch (error) {
    return `it is not an OpenPGP keyring (${(error as Error).message})`;
  }
  const foreign = keys.filter((k) => !UBUNTU_ARCHIVE_KEYS[k.fingerprint]);
  if (foreign.length > 0)
    return `it holds keys that are not Ubuntu's archive keys: ${foreign.map((k) => k.fingerprint || `a v${k.version} key`).join(', ')}`;
  if (!keys.some((k) => k.fingerprint === REQUIRED_KEY)) return `it lacks ${UBUNTU_ARCHIVE_KEYS[REQUIRED_KEY]} (${REQUIRED_KEY})`;
  return undefined;
}

/**
 * The Ubuntu archive keyring debootstrap checks an Ubuntu mirror with: the system's when the
 * ubuntu-keyring package is installed and genuine, else the one cached with the bases, else the
 * one in the mirror's `ubuntu-keyring` package (found through the suite's Packages index, its
 * SHA-256 checked against the index, its keys against the pinned fingerprints) and cached.
 */
export async function ubuntuKeyring(
  cacheDir: string,
  source: KeyringSource,
  ctx: Pick<ProviderContext, 'signal' | 'log' | 'progress'>,
): Promise<string> {
  const system = await readFile(SYSTEM_UBUNTU_KEYRING).catch(() => undefined);
  if (system && !keyringProblem(system)) return SYSTEM_UBUNTU_KEYRING;
  const dir = join(cacheDir, 'keyrings');
  const cached = join(dir, 'ubuntu-archive-keyring.gpg');
  const usable = async () => {
    const bytes = await readFile(cached).catch(() => undefined);
    return bytes !== undefined && keyringProblem(bytes) === undefined;
  };
  if (await usable()) return cached;
  await mkdir(dir, { recursive: true });
  const lock = await acquireLock(join(dir, 'ubuntu.lock'), {
    timeoutMs: 10 * 60_000,
    purpose: 'fetching the Ubuntu archive keyring',
    signal: ctx.signal,
  });
  try {
    if (await usable()) return cached;
    ctx.progress(`fetching the Ubuntu archive keyring from ${source.mirror}`);
    const keyring = await fetchKeyring(dir, source, ctx);
    const problem = keyringProblem(keyring.bytes);
    if (problem) {
      throw new PrismError(
        'BASE_UNAVAILABLE',
        `the ubuntu-keyring package of ${source.mirror} (${keyring.url}) is not trusted: ${problem}`,
        {
          hint: `use a genuine Ubuntu mirror (local.ubuntuMirror in prism-ami.config.yaml, or PRISM_AMI_UBUNTU_MIRROR); prism-ami never builds without checking the archive signature`,
        },
      );
    }
    await writeFileAtomic(cached, keyring.bytes);
    ctx.log(
      `ubuntu archive keyring from ${keyring.url}, keys ${keyringKeys(keyring.bytes)
        .map((k) => k.fingerprint)
        .join(', ')}`,
    );
    return cached;
  } finally {
    await lock.release();
  }
}

async function fetchKeyring(
  dir: string,
  source: KeyringSource,
  ctx: Pick<ProviderContext, 'signal'>,
): Promise<{ url: string; bytes: Uint8Array }> {
  const mirror = source.mirror.replace(/\/+$/, '');
  const indexUrl = `${mirror}/dists/${source.suite}/main/binary-${source.debianArch}/Packages.gz`;
  const index = gunzipSync(await download(indexUrl, ctx.signal)).toString('utf8');
  const stanza = packageStanza(index, 'ubuntu-keyring');
  if (!stanza?.Filename || !stanza.SHA256) {
    throw new PrismError('BASE_UNAVAILABLE', `${indexUrl} lists no ubuntu-keyring package (with a Filename and SHA256)`, {
      hint: 'check local.ubuntuMirror: it must be an Ubuntu archive mirror',
    });
  }
  const url = `${mirror}/${stanza.Filename}`;
  const deb = await download(url, ctx.signal);
  const digest = createHash('sha256').update(deb).digest('hex');
  if (digest !== stanza.SHA256.toLowerCase()) {
    throw new PrismError('BASE_UNAVAILABLE', `${url} does not match its SHA256 in ${indexUrl} (${digest} is not ${stanza.SHA256})`, {
      hint: 'the mirror is inconsistent or the download was altered; try again, or another mirror',
    });
  }
  const file = join(dir, `.ubuntu-keyring-${process.pid}.deb`);
  await writeFile(file, deb);
  try {
    const extracted = await runHost(
      'sh',
      ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./usr/share/keyrings/ubuntu-archive-keyring.gpg | base64 -w0', 'prism-ami', file],
      { signal: ctx.signal },
    );
    if (extracted.code !== 0 || extracted.stdout.trim() === '') {
      throw new PrismError(
        'BASE_UNAVAILABLE',
        `${url} holds no usr/share/keyrings/ubuntu-archive-keyring.gpg: ${extracted.stderr.trim()}`,
        { hint: 'use a genuine Ubuntu mirror' },
      );
    }
    return { url, bytes: Buffer.from(extracted.stdout.trim(), 'base64') };
  } finally {
    await rm(file, { force: true });
  }
}

/** The fields of a package's stanza in a Debian Packages index. */
export function packageStanza(index: string, name: string): Record<string, string> | undefined {
  for (const stanza of index.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (match) fields[match[1]] = match[2]!;
    }
    if (fields.Package === name) return fields;
  }
  return undefined;
}

async function download(url: string, signal: AbortSignal): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]) });
  } catch (error) {
    if (signal.aborted) throw new PrismError('CANCELLED', 'Cancelled');
    const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new PrismError('BASE_UNAVAILABLE', `cannot download ${url}: ${why}`, {
      hint: 'check that the Ubuntu mirror is reachable, or set local.ubuntuMirror',
    });
  }
  if (!response.ok)
    throw new PrismError('BASE_UNAVAILABLE', `cannot download ${url}: HTTP ${response.status}`, { hint: 'check local.ubuntuMirror' });
  return Buffer.from(await response.arrayBuffer());
}
