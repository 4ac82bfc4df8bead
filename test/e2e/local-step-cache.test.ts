import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLEAN, events, leftovers, LocalSuite, requireOrSkipLocal } from '../support/local-env.js';

/**
 * The local step cache with real containers: a rebuild after editing the second setup step starts
 * from the cached state after the first (which does not run again: its timestamp is the first
 * build's, the base file it deleted stays deleted), runs the second, and the image validates on
 * a fresh boot; --no-cache runs everything; `cache list` and `cache prune` show and empty it.
 */
const runnable = requireOrSkipLocal();

const template = (second: string) => `name: Cached
base_ami: {source: debian-12, architecture: [x86_64]}
setup_steps:
  - name: slow first step
    script: |
      set -eu
      sleep 2
      date +%s%N > /srv/stamp
      rm /etc/motd
  - name: second step
    script: |
      set -eu
      echo ${second} > /srv/second
validation_tests:
  - name: the first step's work is there
    command: test -s /srv/stamp && test ! -e /etc/motd && echo yes
    expected: "yes"
  - name: the second step's work is there
    command: cat /srv/second
    expected: "${second}"
`;

describe.runIf(runnable).sequential('local builds: the step cache', { timeout: 600_000 }, () => {
  const suite = new LocalSuite('prism-e2e-cache-');
  const prism = (args: string[]) => suite.prism(args);
  const build = async (second: string, ...more: string[]) => {
    await suite.write('cached.yml', template(second));
    const result = await suite.build('cached', '--json', ...more);
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    const all = events(result.stdout);
    const setup = all
      .filter((ev) => ev.type === 'step-end' && String(ev.step).startsWith('setup-'))
      .map((ev) => `${String(ev.step)}:${String(ev.status)}`);
    const end = all.at(-1) as { image: { id: string } };
    const layer = join(suite.e.imageDir, end.image.id, 'layer');
    return { setup, layer, stamp: await readFile(join(layer, 'srv/stamp'), 'utf8'), all };
  };
  const cacheList = async () =>
    JSON.parse((await prism(['ami', 'cache', 'list', '--json'])).stdout) as { entries: { step: number; template: string }[] };

  let first: Awaited<ReturnType<typeof build>>;

  test('the first build runs every step and stores the state after each', async () => {
    first = await build('one');
    expect(first.setup).toEqual(['setup-1:ok', 'setup-2:ok']);
    expect((await cacheList()).entries.map((x) => [x.template, x.step]).sort()).toEqual([
      ['cached', 1],
      ['cached', 2],
    ]);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test('editing the second step: the first comes from the cache, the second runs, the image passes a fresh boot', async () => {
    const second = await build('two');
    expect(second.setup).toEqual(['setup-1:skipped', 'setup-2:ok']);
    const skipped = second.all.find((ev) => ev.type === 'step-end' && ev.step === 'setup-1');
    expect(skipped).toMatchObject({ detail: 'unchanged, from the step cache' });
    // Restored, not run again: the first build's timestamp, and the deleted base file's whiteout.
    expect(second.stamp).toBe(first.stamp);
    expect((await lstat(join(second.layer, 'etc/motd'))).isCharacterDevice()).toBe(true);
    expect(await readFile(join(second.layer, 'srv/second'), 'utf8')).toBe('two\n');
    const tests = second.all
      .filter((ev) => ev.type === 'test-result')
      .map((ev) => `${String(ev.step)}:${(ev.result as { status: string }).status}`);
    expect(tests).toEqual(['validate:passed', 'validate:passed', 'retest:passed', 'retest:passed']);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test('the human output says which steps came from the cache', async () => {
    await suite.write('cached.yml', template('three'));
    const result = await suite.build('cached');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('⏭️  Setup 1/2: slow first step: unchanged, from the step cache');
    expect(result.stdout).toMatch(/1 setup step from the step cache/);
  });

  test('--no-cache runs every step again', async () => {
    const cached = await build('two');
    expect(cached.setup).toEqual(['setup-1:skipped', 'setup-2:skipped']);
    const again = await build('two', '--no-cache', '--force');
    expect(again.setup).toEqual(['setup-1:ok', 'setup-2:ok']);
    expect(again.stamp).not.toBe(first.stamp);
    // The same template gives the same fingerprint with or without the cache.
    const fingerprint = (r: typeof again) => r.all.find((ev) => ev.type === 'run-start')!.fingerprint;
    expect(fingerprint(again)).toBe(fingerprint(cached));
  });

  test('cache prune --all empties it; the next build runs every step', async () => {
    const pruned = await prism(['ami', 'cache', 'prune', '--all']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/Removed 4 step cache entries/);
    expect((await cacheList()).entries).toEqual([]);
    expect(await readdir(join(suite.root, 'steps'))).toEqual([]);
    const after = await build('four');
    expect(after.setup).toEqual(['setup-1:ok', 'setup-2:ok']);
  });
});
