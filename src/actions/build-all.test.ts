import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFiles } from '../../test/support/files.js';
import { MemoryCloud, type MemoryCloudOptions } from '../../test/support/memory-cloud.js';
import { tempDir } from '../../test/support/temp.js';
import type { BuildEvent } from '../core/events.js';
import { buildAll, type BuildAllResult } from './build-all.js';

const test = (name: string) => `[{name: "${name}", command: "true", expected_exit_code: 0}]`;
const root = (name: string, regions = '[us-east-1, us-west-2]') =>
  `name: ${name}\nbase_ami: {source: debian-12, architecture: [x86_64]}\nregions: ${regions}\nsetup_steps: [{name: "${name} setup", script: "echo ${name}"}]\nvalidation_tests: ${test(`${name} ok`)}\n`;
const child = (name: string, parent: string) =>
  `name: ${name}\nextends: ${parent}\nsetup_steps: [{name: "${name} setup", script: "echo ${name}"}]\nvalidation_tests: ${test(`${name} ok`)}\n`;

/** build-all over real template files and a real file registry, with an in-memory cloud per region. */
async function run(
  files: Record<string, string>,
  options: { cloud?: MemoryCloudOptions; concurrency?: number; failFast?: boolean; registry?: string } = {},
) {
  const dir = await tempDir();
  await writeFiles(dir, Object.fromEntries(Object.entries(files).map(([slug, text]) => [`templates/${slug}.yml`, text])));
  const registry = join(dir, 'registry.json');
  if (options.registry) await writeFile(registry, options.registry);
  const clouds = new Map<string, MemoryCloud>();
  const events: BuildEvent[] = [];
  const result: BuildAllResult = await buildAll({
    templatesDir: join(dir, 'templates'),
    registry,
    logDir: join(dir, 'logs'),
    provider: 'aws',
    checkBases: false,
    env: { PRISM_AMI_STATE_DIR: join(dir, 'state') },
    signal: new AbortController().signal,
    emit: (event) => events.push(event),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.failFast ? { failFast: true } : {}),
    providerFor: async (region) => {
      const cloud = new MemoryCloud({ name: 'aws', region, amiIds: true, ...options.cloud });
      clouds.set(region, cloud);
      return cloud;
    },
  });
  const rows = result.rows.map((r) => `${r.template} ${r.region} ${r.result}${r.error ? ` (${r.error.split('\n')[0]})` : ''}`);
  const starts = events
    .filter((e): e is Extract<BuildEvent, { type: 'run-start' }> => e.type === 'run-start')
    .map((e) => `${e.kind} ${e.target.template} ${e.target.region}`);
  return {
    result,
    rows,
    clouds,
    starts,
    registry: () =>
      readFile(registry, 'utf8').then(
        (t) => JSON.parse(t) as { templates: Record<string, { amis: Record<string, { x86_64?: { ami_id: string } }> }> },
      ),
  };
}

describe('buildAll: the plan as a work graph, with an in-memory cloud', () => {
  it('a failed parent blocks its children in every region, and its own copies; unrelated templates finish', async () => {
    const { result, rows } = await run(
      { base: root('base'), app: child('app', 'base'), other: root('other') },
      { cloud: { exec: { 'base setup': { exitCode: 1, stderr: 'apt broke' } } } },
    );
    expect(rows).toEqual([
      'base us-east-1 failed (setup step "base setup" failed with exit code 1:)',
      'base us-west-2 blocked (base x86_64 us-east-1 failed)',
      'app us-east-1 blocked (base x86_64 us-east-1 failed)',
      'app us-west-2 blocked (base x86_64 us-east-1 failed)',
      'other us-east-1 built',
      'other us-west-2 copied',
    ]);
    expect(result.status).toBe('partial');
  });

  it('--fail-fast: the first failure cancels the build still running and what has not started; its copies are blocked', async () => {
    const { rows, result } = await run(
      { bad: root('bad'), hang: root('hang'), later: root('later') },
      { failFast: true, concurrency: 2, cloud: { exec: { 'bad setup': { exitCode: 2 }, 'hang setup': 'hang' } } },
    );
    expect(rows).toEqual([
      'bad us-east-1 failed (setup step "bad setup" failed with exit code 2)',
      'bad us-west-2 blocked (bad x86_64 us-east-1 failed)',
      'hang us-east-1 cancelled',
      'hang us-west-2 cancelled',
      'later us-east-1 cancelled',
      'later us-west-2 cancelled',
    ]);
    expect(result.status).toBe('failed');
  });

  it('copy-only: an up-to-date image missing in a region is copied (named as it was built, not by its ID) and recorded; nothing is built', async () => {
    const first = await run({ base: root('base', '[us-east-1]') });
    const built = (await first.registry()).templates.base.amis['us-east-1'].x86_64!.ami_id;
    const doc = JSON.stringify(await first.registry());
    const second = await run({ base: root('base', '[us-east-1, eu-west-1]') }, { registry: doc });
    expect(second.rows).toEqual(['base eu-west-1 copied', 'base us-east-1 up to date']);
    expect(second.starts).toEqual(['copy base eu-west-1']);
    const copy = second.clouds.get('us-east-1')!.copyRequests[0];
    expect(copy.image.id).toBe(built);
    expect(copy.image.name).toMatch(/^base-dev-x86_64-\d{8}T\d{6}Z$/);
    expect(copy.region).toBe('eu-west-1');
    expect(Object.keys((await second.registry()).templates.base.amis).sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('a partial run: the image is built and recorded, a failed copy is a failed row, the others are copied', async () => {
    const { rows, result, registry } = await run(
      { base: root('base', '[us-east-1, us-east-2, us-west-2]') },
      { cloud: { failCopyTo: ['us-west-2'] } },
    );
    expect(rows.map((r) => r.replace(/ami-[0-9a-f]+/, 'AMI'))).toEqual([
      'base us-east-1 built',
      'base us-east-2 copied',
      'base us-west-2 failed (image AMI was built in us-east-1, but 1 of 1 copies failed: us-west-2: copy to us-west-2 failed)',
    ]);
    expect(result.status).toBe('partial');
    expect(Object.keys((await registry()).templates.base.amis).sort()).toEqual(['us-east-1', 'us-east-2']);
  });

  it('a ready child does not wait behind unrelated queued builds (one build at a time)', async () => {
    const { starts } = await run(
      { a1: root('a1', '[us-east-1]'), a2: root('a2', '[us-east-1]'), base: root('base', '[us-east-1]'), zchild: child('zchild', 'base') },
      { concurrency: 1 },
    );
    expect(starts).toEqual(['build base us-east-1', 'build zchild us-east-1', 'build a1 us-east-1', 'build a2 us-east-1']);
  });

  it("a child needs its parent's image only where the child is built: a failed parent copy elsewhere does not block it", async () => {
    const { rows } = await run(
      { base: root('base', '[us-east-1, eu-west-1]'), app: child('app', 'base') },
      { cloud: { failCopyTo: ['eu-west-1'] } },
    );
    expect(rows.map((r) => r.replace(/ \(.*/, ''))).toEqual([
      'base eu-west-1 failed',
      'base us-east-1 built',
      'app eu-west-1 failed',
      'app us-east-1 built',
    ]);
  });
});

describe('buildAll: package manifests', () => {
  it('the built image and its region copies, also copies made in a later run, share the manifest', async () => {
    const dir = await tempDir();
    const registry = join(dir, 'registry.json');
    const once = async (regions: string) => {
      await writeFiles(dir, { 'templates/app.yml': root('app', regions) });
      const events: BuildEvent[] = [];
      const result = await buildAll({
        templatesDir: join(dir, 'templates'),
        registry,
        logDir: join(dir, 'logs'),
        provider: 'aws',
        checkBases: false,
        env: { PRISM_AMI_STATE_DIR: join(dir, 'state') },
        signal: new AbortController().signal,
        emit: (event) => events.push(event),
        providerFor: async (region) => new MemoryCloud({ name: 'aws', region, amiIds: true }),
      });
      return { result, events };
    };
    const first = await once('[us-east-1, us-west-2]');
    expect(first.result.rows.map((r) => r.result)).toEqual(['built', 'copied']);
    // A region added: the image is only copied there, from the one built before.
    const second = await once('[us-east-1, us-west-2, eu-west-1]');
    expect(second.result.rows.map((r) => `${r.region} ${r.result}`)).toContain('eu-west-1 copied');
    const doc = JSON.parse(await readFile(registry, 'utf8')) as {
      templates: { app: { amis: Record<string, { x86_64: { ami_id: string; manifest_digest?: string } }> } };
    };
    const entries = Object.values(doc.templates.app.amis).map((byArch) => byArch.x86_64);
    expect(entries).toHaveLength(3);
    const digests = new Set(entries.map((e) => e.manifest_digest));
    expect(digests.size).toBe(1);
    expect([...digests][0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const e of entries) {
      const sidecar = JSON.parse(await readFile(join(dir, 'registry.manifests', `${e.ami_id}.json`), 'utf8')) as {
        digest: string;
        image_id: string;
      };
      expect(sidecar).toMatchObject({ digest: e.manifest_digest, image_id: e.ami_id });
    }
  });
});
