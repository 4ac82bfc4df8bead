import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '../../core/resources.js';
import { processAlive } from '../../core/file-lock.js';
import { OWNER_FILE } from './container.js';
import { mountsUnder, processCmdline } from './host.js';
import { NETWORK_PID_FILE } from './network.js';
import type { LocalImageStore } from './image-store.js';
import type { LocalSettings } from '../../config/settings.js';

/** Build work folders are named after their build id. */
const BUILD_DIR = /^build-[0-9a-f]{12}$/;

/**
 * Leftovers of local runs that are gone: work folders of inactive builds (with their mounts and
 * containers), half-made images, half-made bases. A work folder whose owner process is alive is a
 * build in progress and is never listed; the others only once they are older than `olderThan`
 * (sweep's guard for what no journal of its own explains, as on AWS).
 */
export async function findLocalLeftovers(
  settings: LocalSettings,
  store: LocalImageStore,
  options: { activeBuilds: ReadonlySet<string>; olderThan: Date },
): Promise<Resource[]> {
  const found: Resource[] = [];
  const old = async (path: string) => (await stat(path).catch(() => undefined))?.mtime.getTime() ?? 0;
  const resource = (kind: string, id: string, label: string, detail: Record<string, string | number>): Resource => ({
    kind,
    id,
    provider: 'local',
    region: 'local',
    label,
    detail,
  });

  for (const name of await readdir(settings.workDir).catch(() => [] as string[])) {
    if (!BUILD_DIR.test(name) || options.activeBuilds.has(name)) continue;
    const dir = join(settings.workDir, name);
    // A live build of any process (this state folder's journals may not know it) is never touched.
    if (await ownerAlive(dir)) continue;
    if ((await old(dir)) > options.olderThan.getTime()) continue;
    const machine = `prism-${name.replace(/^build-/, '')}`;
    const nspawn = await findNspawn(machine);
    if (nspawn) found.push(resource('container', machine, `container ${machine}`, { pid: nspawn, path: join(dir, 'merged') }));
    const slirp = Number((await readFile(join(dir, NETWORK_PID_FILE), 'utf8').catch(() => '')).trim());
    if (slirp && (await processCmdline(slirp)).includes('slirp4netns')) {
      found.push(
        resource('process', `slirp4netns-${slirp}`, `network of ${machine} (slirp4netns ${slirp})`, { pid: slirp, command: 'slirp4netns' }),
      );
    }
    for (const mount of await mountsUnder(dir)) found.push(resource('mount', mount, `overlay mount ${mount}`, { path: mount }));
    found.push(resource('directory', dir, `work folder ${dir}`, { path: dir }));
  }
  for (const name of await readdir(store.dir).catch(() => [] as string[])) {
    const match = /^(limg-[0-9a-f]{12})\.partial$/.exec(name);
    if (!match) continue;
    const path = join(store.dir, name);
    if ((await old(path)) > options.olderThan.getTime()) continue;
    found.push(resource('image', match[1], `half-made image ${match[1]}`, { path }));
  }
  for (const name of await readdir(settings.cacheDir).catch(() => [] as string[])) {
    if (!name.startsWith('.tmp-')) continue;
    const path = join(settings.cacheDir, name);
    if ((await old(path)) > options.olderThan.getTime()) continue;
    const key = name.replace(/^\.tmp-/, '').replace(/-lbase-[0-9a-f]{12}$/, '');
    const holder = await readFile(join(settings.cacheDir, `${key}.lock`), 'utf8').catch(() => '');
    const pid = Number((/"pid":(\d+)/.exec(holder) ?? [])[1]);
    if (pid && processAlive(pid)) continue;
    found.push(resource('directory', path, `half-made base ${path}`, { path }));
  }
  return found;
}

async function findNspawn(machine: string): Promise<number | undefined> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('systemd-nspawn') && cmdline.includes(`--machine=${machine}\0`)) return Number(pid);
  }
  return undefined;
}

/** The work folder's owner (owner.json) is a live process on this machine. */
async function ownerAlive(dir: string): Promise<boolean> {
  try {
    const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as { pid?: number; host?: string };
    return owner.host === hostname() && typeof owner.pid === 'number' && processAlive(owner.pid);
  } catch {
    return false;
  }
}
