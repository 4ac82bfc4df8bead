import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PrismError } from '../../core/errors.js';

export interface HostCommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a host command to completion. Output is kept (the end of it) and streamed to `onOutput`;
 * the signal kills it. A non-zero exit is a result, not an error, unless `check` is set.
 */
export function runHost(
  command: string,
  args: readonly string[],
  options: { signal?: AbortSignal; onOutput?: (chunk: string) => void; check?: boolean; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<HostCommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    const keep = (buffer: string, chunk: string) => (buffer + chunk).slice(-65_536);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout = keep(stdout, c);
      options.onOutput?.(c);
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr = keep(stderr, c);
      options.onOutput?.(c);
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
        setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone
          }
        }, 5000).unref();
      } catch {
        // already gone
      }
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) {
        reject(new PrismError('CANCELLED', 'Cancelled'));
        return;
      }
      if (options.check && code !== 0) {
        reject(
          new Error(`${command} ${args.join(' ')} exited with ${code}: ${(stderr || stdout).trim().split('\n').slice(-5).join(' | ')}`),
        );
        return;
      }
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const root = resolve(dir);
  const text = await readFile('/proc/mounts', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, ' ').replace(/\\011/g, '\t').replace(/\\012/g, '\n').replace(/\\134/g, '\\'))
    .filter((p) => p === root || p.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

export async function isMounted(dir: string): Promise<boolean> {
  return (await mountsUnder(dir)).includes(resolve(dir));
}

/** Unmounts, retrying while busy, then detaching lazily as a last resort. */
export async function unmount(path: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    if (!(await isMounted(path))) return;
    const result = await runHost('umount', [path]);
    if (result.code === 0) return;
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  if (await isMounted(path)) await runHost('umount', ['--lazy', path], { check: true });
}

/**
 * Removes a directory tree that may hold mounts (a container's root, a half-made debootstrap):
 * unmount everything under it first, then `rm --one-file-system`, so a forgotten bind mount of
 * the host's /dev or /proc is never walked into.
 */
export async function removeTree(dir: string): Promise<void> {
  for (const mount of await mountsUnder(dir)) await unmount(mount);
  const result = await runHost('rm', ['-rf', '--one-file-system', '--', dir]);
  if (result.code !== 0) throw new Error(`could not remove ${dir}: ${result.stderr.trim()}`);
}

/** True if `command` is on PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  const result = await runHost('sh', ['-c', `command -v ${command}`]).catch(() => undefined);
  return result?.code === 0;
}

/** A process's command line (NUL-separated words joined by spaces); empty when it is gone or a zombie. */
export async function processCmdline(pid: number): Promise<string> {
  const state = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!state || / Z /.test(state)) return '';
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
}
