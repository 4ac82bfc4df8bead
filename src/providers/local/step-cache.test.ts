import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { StepCache } from './step-cache.js';

const root = process.getuid?.() === 0;
/** trusted.overlay.opaque, through Python (no attr package needed). */
function xattr(op: 'set' | 'get', path: string): string {
  const code =
    op === 'set'
      ? 'import os,sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")'
      : 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode(), end="")';
  return execFileSync('python3', ['-c', code, path]).toString();
}
const info = { template: 'hello', architecture: 'x86_64', step: 1, stepName: 'install' };

describe.skipIf(!root)('StepCache (real folders, as root)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'step-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function upperWith(name: string, files: Record<string, string>): Promise<string> {
    const upper = join(dir, name);
    await mkdir(upper, { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(upper, path, '..'), { recursive: true });
      await writeFile(join(upper, path), text);
    }
    return upper;
  }

  test('a saved layer comes back with its whiteouts, xattrs, modes and owners', async () => {
    const upper = await upperWith('upper', { 'srv/site/index.html': 'hi\n' });
    // An overlay whiteout (a deleted base file) and an opaque directory.
    execFileSync('mknod', [join(upper, 'etc-motd'), 'c', '0', '0']);
    await mkdir(join(upper, 'opaque'));
    xattr('set', join(upper, 'opaque'));
    execFileSync('chown', ['123:456', join(upper, 'srv/site/index.html')]);
    execFileSync('chmod', ['0640', join(upper, 'srv/site/index.html')]);
    const cache = new StepCache(join(dir, 'cache'), 10 * 1024 ** 3);
    await cache.save('k1', upper, info);

    const fresh = join(dir, 'fresh');
    await mkdir(fresh);
    expect(await cache.restore('k1', fresh)).toBe(true);
    expect(await readFile(join(fresh, 'srv/site/index.html'), 'utf8')).toBe('hi\n');
    const file = await stat(join(fresh, 'srv/site/index.html'));
    expect([file.uid, file.gid, file.mode & 0o777]).toEqual([123, 456, 0o640]);
    const whiteout = await stat(join(fresh, 'etc-motd'));
    expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
    expect(xattr('get', join(fresh, 'opaque'))).toBe('y');
  });

  test('the longest cached prefix of a chain of keys is found', async () => {
    const cache = new StepCache(join(dir, 'cache'), 10 * 1024 ** 3);
    expect(await cache.longestPrefix(['a', 'b', 'c'])).toBeUndefined();
    await cache.save('a', await upperWith('u1', { one: '1' }), info);
    await cache.save('b', await upperWith('u2', { one: '1', two: '2' }), { ...info, step: 2, stepName: 'second' });
    const hit = await cache.longestPrefix(['a', 'b', 'c']);
    expect(hit).toMatchObject({ index: 1, entry: { key: 'b', step: 2, stepName: 'second' } });
    expect((await cache.longestPrefix(['a', 'x', 'y']))?.index).toBe(0);
  });

  test('over the size bound, the least recently used entries go first; the one just saved stays', async () => {
    const big = 'x'.repeat(200_000);
    const cache = new StepCache(join(dir, 'cache'), 500_000);
    await cache.save('old', await upperWith('u1', { f: big }), info);
    await cache.save('used', await upperWith('u2', { f: big }), info);
    // 'old' was used (restored) most recently: 'used' is now the least recent.
    const past = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, 'cache', 'used', 'entry.json'), past, past);
    await cache.save('new', await upperWith('u3', { f: big }), info);
    expect((await cache.list()).map((e) => e.key).sort()).toEqual(['new', 'old']);
  });

  test('prune: --all empties it, --older-than only what was not used since', async () => {
    const cache = new StepCache(join(dir, 'cache'), 10 * 1024 ** 3);
    await cache.save('a', await upperWith('u1', { f: '1' }), info);
    await cache.save('b', await upperWith('u2', { f: '2' }), info);
    const past = new Date(Date.now() - 10 * 86_400_000);
    await utimes(join(dir, 'cache', 'a', 'entry.json'), past, past);
    const removed = await cache.prune({ olderThan: new Date(Date.now() - 86_400_000) });
    expect(removed.map((e) => e.key)).toEqual(['a']);
    expect((await cache.prune({ all: true })).map((e) => e.key)).toEqual(['b']);
    expect(await cache.list()).toEqual([]);
  });

  test('two builds saving the same state keep one entry; a missing cache folder lists empty', async () => {
    const cache = new StepCache(join(dir, 'cache'), 10 * 1024 ** 3);
    expect(await cache.list()).toEqual([]);
    const upper = await upperWith('u1', { f: '1' });
    await Promise.all([cache.save('same', upper, info), cache.save('same', upper, info)]);
    expect((await cache.list()).map((e) => e.key)).toEqual(['same']);
  });
});
