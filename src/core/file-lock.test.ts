import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { acquireLock } from './file-lock.js';

/** A pid that was just used and is now free: a dead owner. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('acquireLock', () => {
  it('lets one holder in at a time, and every waiter eventually', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.lock');
    let inside = 0;
    let most = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const lock = await acquireLock(path, { timeoutMs: 20_000, purpose: 'test' });
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 2));
        inside--;
        done++;
        await lock.release();
      }),
    );
    expect(most).toBe(1);
    expect(done).toBe(20);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over the lock of a process that died, but never a live one', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.lock');
    await writeFile(path, JSON.stringify({ pid: deadPid(), host: hostname(), since: 'then', purpose: 'crashed', token: 'old' }));
    const lock = await acquireLock(path, { timeoutMs: 2000, purpose: 'test' });
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("times out naming the live holder, and a release never removes someone else's lock", async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.lock');
    const first = await acquireLock(path, { timeoutMs: 1000, purpose: 'first' });
    const waited: unknown[] = [];
    const error = await acquireLock(path, { timeoutMs: 300, purpose: 'second', onWait: (h) => waited.push(h) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REGISTRY_LOCKED', message: expect.stringContaining(`process ${process.pid}`) });
    expect(waited).toHaveLength(1);
    // Someone replaced the lock (e.g. broke it): our release leaves theirs alone.
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), since: 'now', purpose: 'other', token: 'theirs' }));
    await first.release();
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe('theirs');
  });

  it('an unreadable lock file is never taken over silently', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.lock');
    await writeFile(path, 'not json');
    const error = await acquireLock(path, { timeoutMs: 200, purpose: 'test' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REGISTRY_LOCKED', message: expect.stringContaining('cannot be read') });
  });
});
