import { link, open, readFile, rm, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
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

interface LockFile extends LockHolder {
  token: string;
}

/**
 * A cross-process lock: a file holding its owner's pid and a random token.
 *
 * - The lock file appears whole or not at all: the holder record is written to a private file
 *   first, then hard-linked to the lock's name (link fails when the name exists), so nobody ever
 *   sees a half-written lock.
 * - A lock whose owner is a dead process on this host is stale. Breaking it happens under a
 *   second lock (`<path>.break`) and only after reading it again, so two processes that both saw
 *   the dead owner cannot remove the fresh lock a third one took meanwhile.
 * - Release removes the file only while it still holds our token.
 * Timing out is a REGISTRY_LOCKED error naming the holder.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<Lock> {
  const deadline = Date.now() + options.timeoutMs;
  const me: LockFile = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    purpose: options.purpose,
    token: randomBytes(12).toString('hex'),
  };
  let delay = 5;
  let notified = false;
  for (;;) {
    if (await tryCreate(path, me)) return { release: () => releaseIfMine(path, me.token) };
    const holder = await readLock(path);
    if (holder && holder !== 'missing' && holder.host === me.host && !processAlive(holder.pid)) {
      await breakStaleLock(path, holder.token);
      continue;
    }
    if (!notified && holder !== 'missing') {
      options.onWait?.(holder);
      notified = true;
    }
    if (options.signal?.aborted) throw new PrismError('CANCELLED', 'Cancelled while waiting for a lock');
    if (Date.now() >= deadline) {
      const who =
        holder && holder !== 'missing'
          ? `process ${holder.pid} on ${holder.host} (${holder.purpose}, since ${holder.since})`
          : holder === undefined
            ? 'a lock file that cannot be read'
            : 'another process';
      throw new PrismError('REGISTRY_LOCKED', `${path} is locked by ${who}`, {
        hint:
          holder && holder !== 'missing' && holder.host === me.host
            ? `wait for it to finish, or if process ${holder.pid} is stuck, stop it`
            : `wait for the other run to finish; remove ${path} only if no run is active`,
      });
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** Writes the record to a private file and links it to the lock's name: all or nothing. */
async function tryCreate(path: string, me: LockFile): Promise<boolean> {
  const temp = `${path}.${me.pid}.${me.token}.tmp`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(JSON.stringify(me));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** The lock's record; 'missing' when there is no lock file, undefined when it cannot be read. */
async function readLock(path: string): Promise<LockFile | 'missing' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockFile>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return {
        pid: parsed.pid,
        host: parsed.host,
        since: String(parsed.since ?? ''),
        purpose: String(parsed.purpose ?? ''),
        token: String(parsed.token ?? ''),
      };
    }
  } catch {
    // not ours, or damaged
  }
  return undefined;
}

/** Removes a dead owner's lock, unless someone else already replaced it. */
async function breakStaleLock(path: string, staleToken: string): Promise<void> {
  const breaker: LockFile = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    purpose: 'breaking a stale lock',
    token: randomBytes(12).toString('hex'),
  };
  const guard = `${path}.break`;
  if (!(await tryCreate(guard, breaker))) {
    const other = await readLock(guard);
    // A breaker that died mid-way leaves the guard; it is tiny and its owner is known.
    if (other && other !== 'missing' && other.host === breaker.host && !processAlive(other.pid)) await releaseIfMine(guard, other.token);
    return;
  }
  try {
    const again = await readLock(path);
    if (again && again !== 'missing' && again.token === staleToken) await unlink(path).catch(() => undefined);
  } finally {
    await releaseIfMine(guard, breaker.token);
  }
}

async function releaseIfMine(path: string, token: string): Promise<void> {
  const holder = await readLock(path);
  if (holder && holder !== 'missing' && holder.token === token) await unlink(path).catch(() => undefined);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
