import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, open, readFile, readlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PrismError, throwIfAborted } from '../../core/errors.js';
import type { CleanupHandle } from '../../core/resources.js';
import type { ExecRequest, ExecResult, ProviderContext } from '../provider.js';
import { abortableSleep } from '../../core/sleep.js';
import { removeTree, runHost, unmount } from './host.js';
import { attachNetwork, resolverArgs } from './network.js';

/** A booted systemd-nspawn container on an overlay of image layers. */
export interface Container {
  name: string;
  workDir: string;
  /** The overlay's writable layer: what a build turns into an image. */
  upper: string;
  merged: string;
  nspawnPid: number;
  /** PID (host view) of the container's systemd: `nsenter -t` targets it. */
  leaderPid: number;
  /** The image layers under the overlay, top first. */
  lowerDirs: string[];
  consoleLog: string;
  child?: ChildProcess;
  /** Removal of the container, its network, its mount and its folder, to stop them cleanly before taking its layer. */
  handles: { container: CleanupHandle; mount: CleanupHandle; workDir: CleanupHandle; network?: CleanupHandle };
}

/** In a build's work folder: the process that owns it. */
export const OWNER_FILE = 'owner.json';

const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const OUTPUT_LIMIT = 256 * 1024;

/**
 * Makes the work folder, mounts the overlay (lowerDirs top first) and boots the container.
 * Each of them registers its removal on the cleanup stack as soon as it exists.
 */
export async function startContainer(
  options: {
    name: string;
    workDir: string;
    lowerDirs: string[];
    consoleLog: string;
    /** Fills the empty upper layer before the overlay is mounted (the step cache). */
    seedUpper?: (upper: string) => Promise<void>;
  },
  ctx: ProviderContext,
): Promise<Container> {
  const { name, workDir } = options;
  const upper = join(workDir, 'upper');
  const work = join(workDir, 'work');
  const merged = join(workDir, 'merged');
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  // Who runs this container: sweep never touches a work folder whose owner is alive
  // (leftovers.ts), whichever state folder (and so journals) it reads.
  await writeFile(
    join(workDir, OWNER_FILE),
    `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`,
  );
  const workDirHandle = await ctx.cleanups.add(
    { kind: 'directory', id: workDir, provider: 'local', region: 'local', label: `work folder ${workDir}`, detail: { path: workDir } },
    () => removeTree(workDir),
    { keepOnFailure: true },
  );
  await Promise.all([mkdir(upper), mkdir(work), mkdir(merged)]);
  await options.seedUpper?.(upper);

  const result = await runHost('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${options.lowerDirs.join(':')},upperdir=${upper},workdir=${work}`,
    merged,
  ]);
  if (result.code !== 0) {
    throw new PrismError('BUILD_FAILED', `could not mount the overlay for ${name}: ${result.stderr.trim()}`, {
      hint: 'the work folder must be on a file system that supports overlayfs upper layers (ext4, xfs); set local.workDir',
    });
  }
  const mountHandle = await ctx.cleanups.add(
    { kind: 'mount', id: merged, provider: 'local', region: 'local', label: `overlay mount ${merged}`, detail: { path: merged } },
    () => unmount(merged),
    { keepOnFailure: true },
  );
  const container: Container = {
    name,
    workDir,
    upper,
    merged,
    lowerDirs: options.lowerDirs,
    consoleLog: options.consoleLog,
    nspawnPid: 0,
    leaderPid: 0,
    handles: { mount: mountHandle, workDir: workDirHandle } as Container['handles'],
  };
  await bootContainer(container, ctx);
  return container;
}

/**
 * Boots systemd-nspawn on the container's mounted tree and gives it its network; the container
 * and its network register their removal.
 */
async function bootContainer(container: Container, ctx: ProviderContext): Promise<void> {
  const { name, merged, workDir } = container;
  const network = await resolverArgs(merged, workDir);
  const consoleFd = await open(container.consoleLog, 'a', 0o640);
  let child: ChildProcess;
  try {
    child = spawn(
      'systemd-nspawn',
      [
        '--boot',
        '--register=no',
        '--keep-unit',
        '--quiet',
        '--console=read-only',
        '--link-journal=no',
        // The image must not take the build host's time zone (nspawn links it in by default).
        '--timezone=off',
        `--machine=${name}`,
        `--directory=${merged}`,
        ...network,
      ],
      // Own process group and a file for output: Ctrl-C in the terminal does not reach it, and it
      // outlives us when --keep-on-failure keeps it.
      { stdio: ['ignore', consoleFd.fd, consoleFd.fd], detached: true },
    );
  } finally {
    await consoleFd.close();
  }
  const nspawnPid = child.pid;
  if (nspawnPid === undefined) throw new PrismError('BUILD_FAILED', 'systemd-nspawn did not start');
  // Stopping is done by pid (it works for containers of earlier processes too); the handle must
  // not keep this process alive when --keep-on-failure leaves the container running.
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  container.child = child;
  container.nspawnPid = nspawnPid;
  container.leaderPid = 0;
  const booted = { nspawnPid, leaderPid: 0, name };
  container.handles.container = await ctx.cleanups.add(
    {
      kind: 'container',
      id: name,
      provider: 'local',
      region: 'local',
      label: `container ${name}`,
      detail: { pid: nspawnPid, path: merged },
    },
    () => stopContainer(booted),
    { keepOnFailure: true },
  );
  booted.leaderPid = container.leaderPid = await findLeader(nspawnPid, exited, container.consoleLog, ctx.signal);
  container.handles.network = await attachNetwork(container.leaderPid, name, workDir, ctx);
}

/**
 * Reboots the container as a machine reboots: its systemd goes down (nspawn exits, asking for a
 * reboot), then the same tree boots again with a new network. Returns once nspawn has started
 * again; waitBooted says when it is up.
 */
export async function rebootContainer(container: Container, ctx: ProviderContext, timeoutMs = 120_000): Promise<void> {
  const oldPid = container.nspawnPid;
  // systemctl only queues the job; the command may also be cut off as the container goes down.
  await execInContainer(container, { kind: 'command', name: 'reboot', command: 'systemctl reboot', timeoutSeconds: 30 }, ctx).catch(
    (error: unknown) => {
      if (ctx.signal.aborted) throw error;
    },
  );
  const deadline = Date.now() + timeoutMs;
  while (await isNspawn(oldPid, container.name)) {
    if (Date.now() > deadline) {
      ctx.log(`container ${container.name} did not go down within ${timeoutMs / 1000} s of systemctl reboot: stopping it`);
      break;
    }
    await abortableSleep(100, ctx.signal);
  }
  // Gone (or forced): its old entries go, the new boot registers its own.
  await container.handles.network?.removeNow();
  await container.handles.container.removeNow();
  await bootContainer(container, ctx);
}

/** Removes the container now with everything it runs on (its folder included). */
export async function removeContainer(container: Container): Promise<void> {
  await container.handles.network?.removeNow();
  await container.handles.container.removeNow();
  await container.handles.mount.removeNow();
  await container.handles.workDir.removeNow();
}

/** The container's init: nspawn's child once it has exec'd systemd. */
async function findLeader(nspawnPid: number, exited: Promise<void>, consoleLog: string, signal: AbortSignal): Promise<number> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    throwIfAborted(signal);
    if (gone) {
      const tail = (await readFile(consoleLog, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new PrismError('BUILD_FAILED', `systemd-nspawn exited while booting the container:\n${tail}`);
    }
    try {
      const children = (await readFile(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
      for (const pid of children) {
        const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
        if (exe && !exe.includes('nspawn')) return Number(pid);
      }
    } catch {
      // Not there yet.
    }
    await abortableSleep(25, signal);
  }
  throw new PrismError('TIMEOUT', 'the container did not start its init within 30 s');
}

/**
 * Asks the container to power off (SIGTERM to nspawn), then forces it: SIGKILL to its init ends
 * every process of the container. Works for containers of an earlier process (sweep).
 */
export async function stopContainer(container: Pick<Container, 'nspawnPid' | 'leaderPid' | 'name'>, graceMs = 20_000): Promise<void> {
  const { nspawnPid } = container;
  if (!(await isNspawn(nspawnPid, container.name))) return;
  signalPid(nspawnPid, 'SIGTERM');
  if (await waitGone(nspawnPid, graceMs)) return;
  if (container.leaderPid) signalPid(container.leaderPid, 'SIGKILL');
  if (await waitGone(nspawnPid, 5000)) return;
  signalPid(nspawnPid, 'SIGKILL');
  if (!(await waitGone(nspawnPid, 5000))) throw new Error(`systemd-nspawn (pid ${nspawnPid}) did not stop`);
}

/** True if `pid` is the systemd-nspawn of this container (not a recycled pid). */
export async function isNspawn(pid: number, name: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('systemd-nspawn') && cmdline.includes(`--machine=${name}`);
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Gone, or a zombie waiting for its parent (us) to reap it.
    if (!state || / Z /.test(state)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Waits until the container's systemd has finished booting (running or degraded). */
export async function waitBooted(container: Container, ctx: ProviderContext, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const result = await execInContainer(
      container,
      { kind: 'command', name: 'boot', command: 'systemctl is-system-running --wait', timeoutSeconds: Math.ceil(timeoutMs / 1000) },
      ctx,
    );
    last = result.stdout.trim() || result.stderr.trim();
    if (/^(running|degraded)$/m.test(result.stdout)) {
      if (/degraded/.test(result.stdout)) {
        const failed = await execInContainer(
          container,
          { kind: 'command', name: 'failed units', command: 'systemctl --failed --no-legend --plain', timeoutSeconds: 30 },
          ctx,
        );
        ctx.log(`container booted degraded; failed units: ${failed.stdout.trim()}`);
      }
      return;
    }
    await abortableSleep(100, ctx.signal);
  }
  throw new PrismError('TIMEOUT', `the container did not finish booting in ${timeoutMs / 1000}s (last state: ${last})`);
}

/**
 * Runs a script or command inside the container with nsenter, in a clean environment, stdin
 * closed, under a timeout. Scripts are written to the container's /run (a tmpfs, so they never
 * end up in the image) and run with their own #! line (bash when they have none).
 */
export async function execInContainer(container: Container, request: ExecRequest, ctx: ProviderContext): Promise<ExecResult> {
  let argv: string[];
  if (request.kind === 'script') {
    const dir = `/proc/${container.leaderPid}/root/run/prism-ami`;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = `step-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    await writeFile(join(dir, file), request.script, { mode: 0o700 });
    await chmod(join(dir, file), 0o700);
    const inside = `/run/prism-ami/${file}`;
    argv = request.script.startsWith('#!')
      ? [inside]
      : ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash "$0"; else exec /bin/sh "$0"; fi', inside];
  } else {
    argv = ['/bin/sh', '-c', request.command];
  }
  return runNsenter(container.leaderPid, argv, request.timeoutSeconds, ctx.signal, request.onOutput);
}

function runNsenter(
  leaderPid: number,
  argv: string[],
  timeoutSeconds: number,
  signal: AbortSignal,
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    throwIfAborted(signal);
    // nsenter's --wd resolves the folder before entering the mount namespace; cd inside instead.
    const inRoot = ['/bin/sh', '-c', 'cd /root 2>/dev/null || cd /; exec "$@"', 'prism-ami', ...argv];
    const child = spawn('nsenter', [`--target=${leaderPid}`, '--all', '--', ...inRoot], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: CONTAINER_PATH, HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb', USER: 'root', LOGNAME: 'root' },
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const keep = (buffer: string, chunk: string) =>
      buffer.length + chunk.length > OUTPUT_LIMIT ? (buffer + chunk).slice(-OUTPUT_LIMIT) : buffer + chunk;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout = keep(stdout, c);
      onOutput?.(c, 'stdout');
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = keep(stderr, c);
      onOutput?.(c, 'stderr');
    });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutSeconds * 1000);
    signal.addEventListener('abort', kill, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      if (signal.aborted) {
        reject(new PrismError('CANCELLED', 'Cancelled'));
        return;
      }
      resolve({ exitCode: timedOut ? null : code, stdout, stderr, timedOut });
    });
  });
}

/** The leader of a running container of an earlier process (sweep), found from nspawn's pid. */
export async function leaderOf(nspawnPid: number): Promise<number> {
  const children = (await readFile(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/);
  return Number(children[0]) || 0;
}
