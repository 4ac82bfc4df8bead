import { mkdir, readFile, readlink, rename, rm, symlink, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { PrismError } from '../../core/errors.js';
import { acquireLock } from '../../core/file-lock.js';
import type { Architecture } from '../../core/types.js';
import type { ProviderContext } from '../provider.js';
import { removeTree, runHost } from './host.js';
import { DEBIAN_ARCH, type Suite } from './suites.js';
import { ubuntuKeyring } from './ubuntu-keyring.js';

export interface CachedBase {
  id: string;
  alias: string;
  suite: string;
  architecture: Architecture;
  mirror: string;
  /** The packages debootstrap included besides its minimal base. */
  packages?: string[];
  created: string;
  /** The root file system: the lowest layer of every container built on it. */
  rootfs: string;
}

/**
 * A minimal debootstrap (minbase) plus what a booted machine needs, and what the distributions'
 * cloud images (the AMIs a template runs on) have that minbase lacks and setup scripts call:
 * Prism's conda generator runs `sudo -u`, Prism templates pipe `curl` into `sudo -E bash`, apt
 * repository snippets use gpg and `lsb_release -cs`, tests use `ss` and `ps`. Without them a
 * template fails locally that works on AWS ("sudo: command not found").
 */
const BASE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'ca-certificates',
  'sudo',
  'curl',
  'wget',
  'gnupg',
  'lsb-release',
  'iproute2',
  'procps',
];

/**
 * The base root file system for a suite and architecture, made once with debootstrap and cached.
 * A lock makes concurrent builds wait for the one that creates it. Bases are immutable (named by
 * id, `current` is a symlink) because images are layers on top of a particular base.
 */
export async function ensureBase(cacheDir: string, suite: Suite, architecture: Architecture, ctx: ProviderContext): Promise<CachedBase> {
  // A base is made from one mirror (its apt sources name it) with one package list: another
  // mirror or list is another base. Bases cached under older keys are not reused.
  const packages = [...BASE_PACKAGES, ...suite.extraPackages];
  const digest = createHash('sha256')
    .update(`${suite.mirror}\n${packages.join(',')}`)
    .digest('hex')
    .slice(0, 8);
  const key = `${suite.suite}-${architecture}-${digest}`;
  const current = join(cacheDir, `${key}.current`);
  const existing = await readCurrent(current);
  if (existing) return existing;

  await mkdir(cacheDir, { recursive: true });
  const lock = await acquireLock(join(cacheDir, `${key}.lock`), {
    timeoutMs: 30 * 60_000,
    purpose: `debootstrap ${key}`,
    signal: ctx.signal,
    onWait: (holder) =>
      ctx.progress(`waiting for ${holder ? `process ${holder.pid}` : 'another build'} to finish creating the ${key} base`),
  });
  try {
    const made = await readCurrent(current);
    if (made) return made;
    await checkMirror(suite, ctx.signal);
    const id = `lbase-${createHash('sha256')
      .update(`${key}-${Date.now()}-${randomBytes(4).toString('hex')}`)
      .digest('hex')
      .slice(0, 12)}`;
    const temp = join(cacheDir, `.tmp-${key}-${id}`);
    const cleanup = await ctx.cleanups.add(
      { kind: 'directory', id: temp, provider: 'local', region: 'local', label: `half-made base ${temp}`, detail: { path: temp } },
      () => removeTree(temp),
    );
    const rootfs = join(temp, 'rootfs');
    await mkdir(rootfs, { recursive: true });
    ctx.log(`debootstrap ${suite.suite} (${DEBIAN_ARCH[architecture]}) from ${suite.mirror}`);
    // Ubuntu on Debian: the archive keyring comes from the mirror, checked against pinned keys.
    const keyring =
      suite.distribution === 'ubuntu'
        ? await ubuntuKeyring(cacheDir, { mirror: suite.mirror, suite: suite.suite, debianArch: DEBIAN_ARCH[architecture] }, ctx)
        : undefined;
    const args = [
      '--variant=minbase',
      `--arch=${DEBIAN_ARCH[architecture]}`,
      `--include=${packages.join(',')}`,
      `--components=${suite.components.join(',')}`,
      ...(keyring ? [`--keyring=${keyring}`] : []),
      suite.suite,
      rootfs,
      suite.mirror,
      // A release newer than this debootstrap knows (noble on Debian 12) uses its family's script.
      ...(await debootstrapScript(suite)),
    ];
    const result = await runHost('debootstrap', args, { signal: ctx.signal, onOutput: (c) => ctx.log(`[debootstrap] ${c.trimEnd()}`) });
    if (result.code !== 0) {
      throw new PrismError(
        'BASE_UNAVAILABLE',
        `debootstrap of ${suite.suite} from ${suite.mirror} failed (exit ${result.code}): ${lastLine(result.stdout + result.stderr)}`,
        {
          hint: `check that the mirror is reachable, or set ${suite.mirrorSetting}`,
        },
      );
    }
    const sources = [`deb ${suite.mirror} ${suite.suite} ${suite.components.join(' ')}`, ...suite.extraSources];
    await writeFile(join(rootfs, 'etc/apt/sources.list'), `${sources.join('\n')}\n`);
    await rm(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    await mkdir(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    // Every container gets its own machine id at boot.
    await writeFile(join(rootfs, 'etc/machine-id'), '');

    const base: CachedBase = {
      id,
      alias: suite.alias,
      suite: suite.suite,
      architecture,
      mirror: suite.mirror,
      packages,
      created: new Date().toISOString(),
      rootfs: join(cacheDir, id, 'rootfs'),
    };
    await writeFile(join(temp, 'base.json'), `${JSON.stringify(base, null, 2)}\n`);
    await rename(temp, join(cacheDir, id));
    await cleanup.commit();
    const link = `${current}.${process.pid}`;
    await rm(link, { force: true });
    await symlink(id, link);
    await rename(link, current);
    return base;
  } finally {
    await lock.release();
  }
}

async function readCurrent(current: string): Promise<CachedBase | undefined> {
  try {
    const target = await readlink(current);
    const dir = join(current, '..', target);
    return JSON.parse(await readFile(join(dir, 'base.json'), 'utf8')) as CachedBase;
  } catch {
    return undefined;
  }
}

/** Reads the base record of a given id (images refer to the base they were built on). */
export async function readBase(cacheDir: string, id: string): Promise<CachedBase | undefined> {
  try {
    return JSON.parse(await readFile(join(cacheDir, id, 'base.json'), 'utf8')) as CachedBase;
  } catch {
    return undefined;
  }
}

/** Fails fast, with the mirror named, when the suite's Release file cannot be fetched. */
async function checkMirror(suite: Suite, signal: AbortSignal): Promise<void> {
  const url = `${suite.mirror}/dists/${suite.suite}/Release`;
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
    if (response.ok) return;
    throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    if (signal.aborted) throw new PrismError('CANCELLED', 'Cancelled');
    const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new PrismError(
      'BASE_UNAVAILABLE',
      `cannot reach the ${suite.distribution} mirror ${suite.mirror} for ${suite.alias} (${url}: ${why})`,
      {
        hint: `set another mirror with ${suite.mirrorSetting}`,
      },
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

/** The script argument debootstrap needs for a suite it has no script of: its family's. */
async function debootstrapScript(suite: Suite): Promise<string[]> {
  const known = await access(`/usr/share/debootstrap/scripts/${suite.suite}`).then(
    () => true,
    () => false,
  );
  if (known || !suite.script) return [];
  return [`/usr/share/debootstrap/scripts/${suite.script}`];
}
