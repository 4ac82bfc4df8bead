import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The package by its own name, as a user imports it (package.json "exports" → dist/).
import * as prismAmi from 'prism-ami';
import { buildAll, lintTemplate, loadTemplate, plan, type BuildEvent } from 'prism-ami';
import { requireBuild } from '../support/cli-checks.js';
import { MemoryCloud } from '../support/memory-cloud.js';
import { tempDir } from '../support/temp.js';
import { writeFiles } from '../support/files.js';

describe("the library: import { … } from 'prism-ami'", () => {
  it('exports every verb the README lists, as functions', async () => {
    requireBuild();
    for (const name of [
      'build',
      'buildAll',
      'plan',
      'validate',
      'cleanup',
      'resolve',
      'rollback',
      'revoke',
      'updateTemplates',
      'updateRegistry',
      'sweep',
      'lintTemplate',
      'loadTemplate',
    ]) {
      expect(typeof (prismAmi as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('runs build-all from code with its own event sink and provider, and records the images', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'templates/base.yml':
        'name: Base\nbase_ami: {source: debian-12, architecture: [x86_64]}\nregions: [us-east-1, us-west-2]\nsetup_script: "echo base"\nvalidation_tests: [{name: ok, command: "true", expected_exit_code: 0}]\n',
      'templates/child.yml':
        'name: Child\nextends: base\nsetup_script: "echo child"\nvalidation_tests: [{name: ok2, command: "true", expected_exit_code: 0}]\n',
    });
    const templatesDir = join(dir, 'templates');
    expect((await loadTemplate('child', { templatesDir })).parent?.slug).toBe('base');
    expect((await lintTemplate('base', { templatesDir, shellcheck: false })).errors).toBe(0);

    const events: BuildEvent[] = [];
    const clouds = new Map<string, MemoryCloud>();
    const registry = join(dir, 'registry.json');
    const options = {
      templatesDir,
      registry,
      logDir: join(dir, 'logs'),
      provider: 'aws' as const,
      checkBases: false,
      signal: new AbortController().signal,
      env: { PRISM_AMI_STATE_DIR: join(dir, 'state') },
    };
    const planned = await plan(options);
    expect(planned.plan.items.map((i) => `${i.key} ${i.action}`)).toEqual(['base/x86_64 build', 'child/x86_64 build']);
    const result = await buildAll({
      ...options,
      emit: (event) => events.push(event),
      providerFor: async (region) => {
        const cloud = new MemoryCloud({ name: 'aws', region, amiIds: true });
        clouds.set(region, cloud);
        return cloud;
      },
    });
    expect(result.rows.filter((r) => r.error).map((r) => r.error)).toEqual([]);
    expect(result.status).toBe('succeeded');
    expect(result.rows.map((r) => `${r.template} ${r.region} ${r.result}`)).toEqual([
      'base us-east-1 built',
      'base us-west-2 copied',
      'child us-east-1 built',
      'child us-west-2 copied',
    ]);
    expect(
      events
        .filter((e) => e.type === 'run-end')
        .map((e) => `${e.kind} ${e.target.template} ${e.target.region}`)
        .sort(),
    ).toEqual(['build base us-east-1', 'build child us-east-1', 'copy base us-west-2', 'copy child us-west-2']);
    const doc = JSON.parse(await readFile(registry, 'utf8')) as { templates: Record<string, { amis: Record<string, unknown> }> };
    expect(Object.keys(doc.templates.child.amis).sort()).toEqual(['us-east-1', 'us-west-2']);
  });
});
