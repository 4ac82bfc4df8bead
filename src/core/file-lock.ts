import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { PrismError } from './errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  purpose: string;
}

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  purpose: string;
  /** Called once when the lock is busy, with its holder, before waiting. */
  onWait?: (holder: LockHolder | undefined) => void;
  signal?: AbortSignal;
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * A cross-process lock: a file created with O_EXCL holding the owner's pid. A lock whose owner
 * is a dead process on this host is stale and taken over. Timing out is a REGISTRY_LOCKED error
 * naming the holder.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<Lock> {
  const deadline = Date.now() + options.timeoutMs;
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), purpose: options.purpose };
  let delay = 10;
  let notified = false;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    if (holder && holder.host === me.host && !processAlive(holder.pid)) {
      // The owner died without releasing it: remove the stale lock, then race for it again.
      await rm(path, { force: true });
      continue;
    }
    if (!holder) {
      // Being written right now, or garbage: garbage older than a few seconds is stale.
      const age = await fileAgeMs(path);
      if (age !== undefined && age > 5000) {
        await rm(path, { force: true });
        continue;
      }
    }
    if (!notified) {
      options.onWait?.(holder);
      notified = true;
    }
    if (options.signal?.aborted) throw new PrismError('CANCELLED', 'Cancelled while waiting for a lock');
    if (Date.now() >= deadline) {
      const who = holder ? `process ${holder.pid} on ${holder.host} (${holder.purpose}, since ${holder.since})` : 'another process';
      throw new PrismError('REGISTRY_LOCKED', `${path} is locked by ${who}`, {
        hint: holder && holder.host === me.host
          ? `wait for it to finish, or if process ${holder.pid} is stuck, stop it`
          : 'wait for the other run to finish; remove the lock file only if no run is active',
      });
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 500);
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? ''), purpose: String(parsed.purpose ?? '') };
    }
  } catch {
    // Missing (just released) or half written.
  }
  return undefined;
}

async function fileAgeMs(path: string): Promise<number | undefined> {
  try {
    const { stat } = await import('node:fs/promises');
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
