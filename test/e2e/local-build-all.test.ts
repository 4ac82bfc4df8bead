import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runPrism } from '../support/cli.js';
import { CLEAN, events, leftovers, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/**
 * `build-all` and `cleanup` with the local provider (root: debootstrap base, cached, then
 * systemd-nspawn): a parent and a child template whose setup only writes a marker file.
 */
const runnable = requireOrSkipLocal();

interface Row {
  template: string;
  region: string;
  result: string;
  imageId?: string;
}
interface LocalImage {
  id: string;
  template: string;
  parentImage: string | null;
  created: string;
}
interface Report {
  confirmed: boolean;
  items: { template: string; imageId: string; decision: string; why: string; status: string }[];
}

// On a fresh machine the first build also makes the debootstrap base (about a minute).
describe.runIf(runnable).sequential('local build-all and cleanup, end to end', { timeout: 600_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let templates: string;

  const template = (name: string, head: string, marker: string, check: string) => `name: ${name}
${head}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  echo "==> marking"
  echo ${marker} > /etc/prism-${marker}
validation_tests:
  - name: marker written
    command: ${check}
    expected_exit_code: 0
`;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-local-all-'));
    e = await localEnv(root);
    templates = join(root, 'templates');
    await mkdir(templates);
    await writeFile(join(templates, 'base.yml'), template('Base', 'base_ami: {source: debian-12}', 'base', 'test -f /etc/prism-base'));
    await writeFile(join(templates, 'app.yml'), template('App', 'extends: base', 'app', 'test -f /etc/prism-base -a -f /etc/prism-app'));
  }, 600_000);

  afterAll(async () => {
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept'], { env: e.env, cwd: root });
    await rm(root, { recursive: true, force: true });
  });

  const prism = (args: string[]) => runPrism(args, { env: e.env, cwd: root });
  const images = async (): Promise<LocalImage[]> =>
    JSON.parse((await prism(['ami', 'list', '--provider', 'local', '--json'])).stdout) as LocalImage[];
  const metadata = async (id: string) => JSON.parse(await readFile(join(e.imageDir, id, 'metadata.json'), 'utf8')) as LocalImage;
  const summary = (stdout: string) => events(stdout).find((ev) => ev.type === 'summary') as { status: string; rows: Row[] };

  test("build-all builds the parent, then the child on the parent's image; a second run skips both", async () => {
    const result = await prism(['ami', 'build-all', '--provider', 'local', '--templates-dir', templates, '--json']);
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    const all = events(result.stdout);
    const ends = all.filter((ev) => ev.type === 'run-end') as { target: { template: string }; status: string; image: { id: string } }[];
    expect(ends.map((ev) => [ev.target.template, ev.status])).toEqual([
      ['base', 'succeeded'],
      ['app', 'succeeded'],
    ]);
    // The child starts only once the parent has finished.
    const parentEnd = all.findIndex((ev) => ev.type === 'run-end');
    const childStart = all.findIndex((ev) => ev.type === 'run-start' && (ev.target as { template: string }).template === 'app');
    expect(childStart).toBeGreaterThan(parentEnd);
    const last = all.at(-1)!;
    expect(last.type, 'the summary is the last line').toBe('summary');
    expect(Date.parse(last.time as string), 'the summary has its time, like every event').toBeGreaterThan(Date.now() - 3_600_000);
    const rows = summary(result.stdout).rows;
    expect(rows.map((r) => [r.template, r.region, r.result])).toEqual([
      ['base', 'local', 'built'],
      ['app', 'local', 'built'],
    ]);
    const [parentId, childId] = [ends[0].image.id, ends[1].image.id];
    expect((await metadata(childId)).parentImage).toBe(parentId);
    expect(await readFile(join(e.imageDir, parentId, 'layer/etc/prism-base'), 'utf8')).toBe('base\n');
    expect(await readFile(join(e.imageDir, childId, 'layer/etc/prism-app'), 'utf8')).toBe('app\n');
    expect(await leftovers(e)).toEqual(CLEAN);

    const again = await prism(['ami', 'build-all', '--provider', 'local', '--templates-dir', templates, '--json']);
    expect(again.code, again.stdout.slice(-2000)).toBe(0);
    expect(events(again.stdout).filter((ev) => ev.type === 'run-start')).toEqual([]);
    expect(summary(again.stdout).rows.map((r) => [r.template, r.result, r.imageId])).toEqual([
      ['base', 'up to date', parentId],
      ['app', 'up to date', childId],
    ]);
    expect((await images()).map((i) => i.id).sort()).toEqual([parentId, childId].sort());
  });

  test('cleanup --keep-latest 0 keeps a parent image a kept child is built on, and deletes the older unreferenced ones', async () => {
    const before = await images();
    const first = before.find((i) => i.template === 'base')!;
    const firstChild = before.find((i) => i.template === 'app')!;
    // A second generation of both, then a newer parent alone: the second parent is old, but the
    // current child is built on it. The first generation is referenced by nothing that stays.
    const forced = await prism(['ami', 'build-all', '--provider', 'local', '--templates-dir', templates, '--force']);
    expect(forced.code, forced.stdout.slice(-2000)).toBe(0);
    const secondChild = (await images()).find((i) => i.template === 'app' && i.id !== firstChild.id)!;
    const second = (await metadata(secondChild.id)).parentImage!;
    expect(second).not.toBe(first.id);
    const newest = await prism(['ami', 'build', 'base', '--provider', 'local', '--templates-dir', templates, '--force']);
    expect(newest.code, newest.stdout.slice(-2000)).toBe(0);
    const third = (await images()).find((i) => i.template === 'base' && i.id !== first.id && i.id !== second)!;
    expect(await leftovers(e)).toEqual(CLEAN);

    // 0: nothing besides the current image, but what an image that stays is built on.
    const result = await prism(['ami', 'cleanup', '--provider', 'local', '--keep-latest', '0', '--yes', '--json']);
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    const decision = (id: string) => report.items.find((i) => i.imageId === id);
    expect(decision(third.id)).toMatchObject({ status: 'kept', why: 'the current image' });
    expect(decision(secondChild.id)).toMatchObject({ status: 'kept', why: 'the current image' });
    expect(decision(second)).toMatchObject({ status: 'kept', why: `image ${secondChild.id} (app) is built on it` });
    expect(decision(firstChild.id)).toMatchObject({ status: 'deleted' });
    expect(decision(first.id)).toMatchObject({ status: 'deleted' });
    expect((await images()).map((i) => i.id).sort()).toEqual([third.id, second, secondChild.id].sort());
    // The kept child still has every layer it needs.
    expect(await readFile(join(e.imageDir, second, 'layer/etc/prism-base'), 'utf8')).toBe('base\n');

    const registry = JSON.parse((await prism(['ami', 'list', '--all', '--json'])).stdout) as { ami_id: string; status: string }[];
    expect(registry.find((i) => i.ami_id === first.id)?.status).toBe('deleted');
    expect(registry.find((i) => i.ami_id === firstChild.id)?.status).toBe('deleted');
    expect(registry.find((i) => i.ami_id === second)?.status).toBe('superseded');
  });
});
