import { spawn, type ChildProcess } from 'node:child_process';
import { lstat, open, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PrismError } from '../../core/errors.js';
import type { CleanupHandle } from '../../core/resources.js';
import { abortableSleep } from '../../core/sleep.js';
import type { ProviderContext } from '../provider.js';
import { processCmdline } from './host.js';

/**
 * The network of a build or validation container: a network namespace of its own (systemd-nspawn
 * --private-network) reaching the outside through slirp4netns, user-mode NAT that needs no
 * change to the host's network (no forwarding, no firewall rules). Inside, `localhost` is the
 * container's own, nothing of the host's loopback is reachable (--disable-host-loopback), and two
 * containers can listen on the same port. Names resolve through slirp4netns's DNS forwarder
 * (10.0.2.3), which asks the host's resolver: the container resolves what the host resolves.
 */

/** slirp4netns's fixed addresses on its default 10.0.2.0/24. */
export const SLIRP_DNS = '10.0.2.3';

/** slirp4netns's address for the host's loopback, when a container may reach it (hostLoopback). */
export const SLIRP_HOST = '10.0.2.2';

export interface NetworkOptions {
  /**
   * Lets the container reach the host's loopback at 10.0.2.2 (slirp4netns without
   * --disable-host-loopback). Builds never set it; the tests' instance twin does, so its
   * instances can fetch from a server the test runs on 127.0.0.1.
   */
  hostLoopback?: boolean;
}

/** In a build's work folder: the pid of its slirp4netns. */
export const NETWORK_PID_FILE = 'slirp4netns.pid';

/** What nspawn needs so the container resolves names through slirp4netns, not through what its image says. */
export async function resolverArgs(merged: string, workDir: string): Promise<string[]> {
  const resolv = join(merged, 'etc', 'resolv.conf');
  const info = await lstat(resolv).catch(() => undefined);
  const target = info?.isSymbolicLink() ? await readlink(resolv) : undefined;
  const args = ['--private-network', '--resolv-conf=off'];
  if (target && /run\/systemd\/resolve\//.test(target)) {
    // Ubuntu: /etc/resolv.conf points at systemd-resolved's stub, which has no upstream in a
    // container. A drop-in in /run (a tmpfs: never part of the image) gives it slirp's forwarder.
    const dropIn = join(workDir, 'resolved-prism-ami.conf');
    await writeFile(dropIn, `# prism-ami: the build container's DNS (slirp4netns)\n[Resolve]\nDNS=${SLIRP_DNS}\n`);
    args.push(`--bind-ro=${dropIn}:/run/systemd/resolved.conf.d/prism-ami.conf`);
  } else if (!info || info.isFile()) {
    // A plain file (Debian): shadowed for the container's life by one naming the forwarder, so
    // the image keeps its own.
    const file = join(workDir, 'resolv.conf');
    await writeFile(file, `# prism-ami: the build container's DNS (slirp4netns)\nnameserver ${SLIRP_DNS}\n`);
    args.push(`--bind=${file}:/etc/resolv.conf`);
  }
  return args;
}

/**
 * Starts slirp4netns for the container whose init is `leaderPid` and waits until its interface is
 * up. Its removal is registered on the cleanup stack at once (it is kept with the container by
 * --keep-on-failure, so a kept container keeps its network).
 */
export async function attachNetwork(
  leaderPid: number,
  name: string,
  workDir: string,
  ctx: ProviderContext,
  options: NetworkOptions = {},
): Promise<CleanupHandle> {
  // Its messages go to a file, not a pipe: a pipe would keep this process alive when
  // --keep-on-failure leaves the container (and so its network) running, and closing it would
  // kill slirp4netns with SIGPIPE.
  const logPath = join(workDir, 'slirp4netns.log');
  const logFd = await open(logPath, 'a', 0o640);
  let child: ChildProcess;
  try {
    const loopback = options.hostLoopback ? [] : ['--disable-host-loopback'];
    child = spawn('slirp4netns', ['--configure', '--mtu=65520', ...loopback, '--ready-fd=3', String(leaderPid), 'tap0'], {
      stdio: ['ignore', 'ignore', logFd.fd, 'pipe'],
      detached: true,
    });
  } finally {
    await logFd.close();
  }
  const pid = child.pid;
  if (pid === undefined)
    throw new PrismError('PREREQUISITE_MISSING', 'slirp4netns did not start', { hint: 'apt-get install -y slirp4netns' });
  child.unref();
  // For sweep: a work folder left by a killed run names its network's process.
  await writeFile(join(workDir, NETWORK_PID_FILE), `${pid}\n`);
  const messages = async () => (await readFile(logPath, 'utf8').catch(() => '')).trim().slice(-2000);
  const handle = await ctx.cleanups.add(
    {
      kind: 'process',
      id: `slirp4netns-${pid}`,
      provider: 'local',
      region: 'local',
      label: `network of ${name} (slirp4netns ${pid})`,
      detail: { pid, command: 'slirp4netns' },
    },
    () => stopProcess(pid, 'slirp4netns'),
    { keepOnFailure: true },
  );
  let ready = false;
  let exited: number | null | undefined;
  const fd = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  fd.once('data', () => (ready = true));
  child.once('exit', (code) => (exited = code));
  try {
    const deadline = Date.now() + 15_000;
    while (!ready) {
      if (exited !== undefined)
        throw new PrismError('BUILD_FAILED', `slirp4netns exited (${exited}) before the container's network was up: ${await messages()}`);
      if (Date.now() > deadline)
        throw new PrismError('TIMEOUT', `the container's network (slirp4netns) was not up within 15 s: ${await messages()}`);
      await abortableSleep(20, ctx.signal);
    }
  } finally {
    fd.destroy();
  }
  return handle;
}

/** Stops a helper process by pid, if it is still the program it was (not a recycled pid). */
export async function stopProcess(pid: number, program: string): Promise<void> {
  if (!program || !pid || !(await processCmdline(pid)).includes(program)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    if (!(await processCmdline(pid)).includes(program)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}
