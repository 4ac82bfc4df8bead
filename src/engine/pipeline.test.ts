import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryCloud } from '../../test/support/memory-cloud.js';
import { BUILD_ID, build, PASSING, runEnd, SINGLE_SETUP, stepTrail, TEMPLATE } from '../../test/support/pipeline-harness.js';
import { ALL_STEPS } from '../../test/support/pipeline-harness.js';
import type { MemoryCloudOptions } from '../../test/support/memory-cloud.js';
import { tempDir } from '../../test/support/temp.js';
import { templateFromYaml } from '../../test/support/templates.js';
import type { BuildEvent } from '../core/events.js';
import { runValidation } from './pipeline.js';

describe('runBuild with an in-memory cloud', () => {
  it('builds: calls the cloud in order, keeps the image and removes the build machine', async () => {
    const { cloud, outcome, logFile, journalDir } = await build();

    expect(cloud.calls).toEqual([
      'preflight x86_64',
      'resolveBase demo x86_64',
      'launch base-1',
      'waitReady m-1',
      'exec command settle',
      'exec script Install',
      'exec script Configure',
      'exec command service active',
      'exec command page served',
      // What is in the image: the collection lists it into a file, which is read back.
      'exec script package manifest',
      'readFile m-1 /run/prism-ami/manifest.txt',
      'exec command generalize',
      'createImage m-1',
      // The build machine is let go, and a fresh one boots the image for the tests again.
      'release m-1',
      'launchImage img-1',
      'waitReady m-2',
      'exec command service active',
      'exec command page served',
      'release m-2',
      'recordImage img-1',
      'remove m-2',
      'remove sg-2',
      'remove m-1',
      'remove sg-1',
    ]);
    expect(cloud.remaining()).toEqual(['img-1', 'snap-1']);
    expect(cloud.removed).toEqual(['m-2', 'sg-2', 'm-1', 'sg-1']);
    expect(cloud.records[0]?.validatedOn).toBe('fresh-boot');

    expect(outcome.status).toBe('succeeded');
    expect(outcome.error).toBeUndefined();
    expect(outcome.image).toEqual({ id: 'img-1', name: 'demo-1.2.3-x86_64-20240617T083000Z', region: 'local', sizeBytes: 1_500_000_000 });
    expect(outcome.tests.map((t) => [t.name, t.status])).toEqual([
      ['service active', 'passed'],
      ['page served', 'passed'],
    ]);
    expect(outcome.leftovers).toEqual([]);
    expect(outcome.kept).toEqual([]);
    expect(outcome.logFile).toBe(logFile);
    // Nothing left: the journal is gone.
    expect(await readdir(journalDir)).toEqual([]);
  });

  it('emits run-start, step-start/step-end pairs, a test-result per test, cleanups and run-end in order', async () => {
    const { events, logFile } = await build();
    expect(events[0]).toEqual({
      type: 'run-start',
      kind: 'build',
      buildId: BUILD_ID,
      target: { template: 'demo', architecture: 'x86_64', region: 'local' },
      provider: 'local',
      version: '1.2.3',
      fingerprint: 'fp-1',
      logFile,
    });
    expect(stepTrail(events)).toEqual(ALL_STEPS.flatMap((s) => [`start:${s}`, `end:${s}:ok`]));
    const order = events.map((e) =>
      e.type === 'step-start' || e.type === 'step-end' || e.type === 'step-progress'
        ? `${e.type}:${e.step}`
        : e.type === 'test-result'
          ? `test:${e.result.name}`
          : e.type === 'cleanup'
            ? `cleanup:${e.resource}:${e.status}`
            : e.type,
    );
    expect(order).toEqual([
      'run-start',
      'step-start:preflight',
      'step-progress:preflight',
      'step-end:preflight',
      'step-start:find-base',
      'step-end:find-base',
      'step-start:launch',
      'step-end:launch',
      'step-start:wait-ready',
      'step-end:wait-ready',
      'step-start:settle',
      'step-end:settle',
      'step-start:setup-1',
      'step-end:setup-1',
      'step-start:setup-2',
      'step-end:setup-2',
      'step-start:validate',
      'test:service active',
      'test:page served',
      'step-end:validate',
      'step-start:manifest',
      'step-end:manifest',
      'step-start:generalize',
      'step-end:generalize',
      'step-start:create-image',
      'step-end:create-image',
      'step-start:retest-launch',
      'step-end:retest-launch',
      'step-start:retest-wait-ready',
      'step-end:retest-wait-ready',
      'step-start:retest',
      'test:service active',
      'test:page served',
      'step-end:retest',
      'step-start:record',
      'step-end:record',
      'cleanup:container m-2:removed',
      'cleanup:security-group sg-2:removed',
      'cleanup:container m-1:removed',
      'cleanup:security-group sg-1:removed',
      'run-end',
    ]);
    const titles = events.filter((e) => e.type === 'step-start').map((e) => (e.type === 'step-start' ? e.title : ''));
    expect(titles).toEqual([
      'Checking prerequisites',
      'Finding base image',
      'Launching build container',
      'Waiting for container ready',
      'Waiting for the container to settle',
      'Setup 1/2: Install',
      'Setup 2/2: Configure',
      'Running validation tests',
      'Recording the package manifest',
      'Generalizing the image',
      'Creating image',
      'Launching a fresh container from img-1',
      'Waiting for container ready',
      'Re-running validation tests on a fresh boot',
      'Recording image',
    ]);
    const details = Object.fromEntries(events.flatMap((e) => (e.type === 'step-end' && e.detail ? [[e.step, e.detail]] : [])));
    expect(details).toEqual({
      'find-base': 'base-1 (debian-12 (bookworm))',
      launch: 'm-1 (double)',
      validate: '2/2',
      manifest: expect.stringMatching(/^2 packages \(dpkg 2\), sha256:[0-9a-f]{12}$/) as unknown,
      generalize: 'generalized',
      'create-image': 'img-1',
      'retest-launch': 'm-2 (double)',
      retest: '2/2',
    });

    const end = runEnd(events);
    expect(end).toMatchObject({
      kind: 'build',
      status: 'succeeded',
      image: { id: 'img-1', name: 'demo-1.2.3-x86_64-20240617T083000Z', region: 'local', sizeBytes: 1_500_000_000 },
    });
    expect(end.tests?.map((t) => t.status)).toEqual(['passed', 'passed']);
    expect(end.error).toBeUndefined();
    expect(end.leftovers).toBeUndefined();
    expect(end.hints).toBeUndefined();

    // Every event but command output is in the log file too.
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('"type":"run-end"');
    expect(log).toContain('step setup-2: Setup 2/2: Configure');
    expect(log).toContain('test "page served" attempt 1: curl -s localhost');
  });

  it('passes the template to the cloud: scripts, test commands, timeouts, image tags and the record', async () => {
    const { cloud } = await build();
    const [settle, install, , active] = cloud.execRequests;
    expect(settle).toMatchObject({ kind: 'command', name: 'settle', timeoutSeconds: 660 });
    expect(install).toMatchObject({ kind: 'script', name: 'Install', script: '#!/bin/bash\necho install\n', timeoutSeconds: 600 });
    expect(active).toMatchObject({ kind: 'command', name: 'service active', command: 'systemctl is-active demo', timeoutSeconds: 30 });
    expect(cloud.imageSpecs[0]).toMatchObject({
      name: 'demo-1.2.3-x86_64-20240617T083000Z',
      tags: {
        team: 'research',
        'prism:template': 'demo',
        'prism:version': '1.2.3',
        'prism:fingerprint': 'fp-1',
        'prism:source-image': 'base-1',
        'prism:build-id': BUILD_ID,
        'prism:architecture': 'x86_64',
        'prism:validated': 'true',
      },
    });
    expect(cloud.records).toHaveLength(1);
    expect(cloud.records[0]).toMatchObject({
      version: '1.2.3',
      fingerprint: 'fp-1',
      architecture: 'x86_64',
      buildId: BUILD_ID,
      base: { id: 'base-1' },
    });
    expect(cloud.records[0].created.toISOString()).toBe('2024-06-17T08:30:00.000Z');
    expect(cloud.records[0].tests.map((t) => t.name)).toEqual(['service active', 'page served']);
  });

  it('names a single setup script "Executing setup script"', async () => {
    const { events, outcome } = await build({ exec: { ok: {} } }, { yaml: SINGLE_SETUP });
    expect(outcome.status).toBe('succeeded');
    expect(events.find((e) => e.type === 'step-start' && e.step === 'setup-1')).toMatchObject({ title: 'Executing setup script' });
  });

  it('calls onImage once the image is recorded, before the build machine goes', async () => {
    const seen: string[] = [];
    let cloudRef: MemoryCloud | undefined;
    const { cloud } = await build(
      {},
      {
        beforeRun: (c) => (cloudRef = c),
        onImage: async (image, record) => {
          seen.push(
            `onImage ${image.id} ${record.fingerprint} after ${cloudRef!.calls.at(-1)}, machine ${cloudRef!.resources.has('m-1') ? 'present' : 'gone'}`,
          );
        },
      },
    );
    expect(seen).toEqual(['onImage img-1 fp-1 after recordImage img-1, machine present']);
    expect(cloud.remaining()).toEqual(['img-1', 'snap-1']);
  });

  describe('region copies', () => {
    it('copies the image, keeps and reports each copy', async () => {
      const recorded: string[] = [];
      const { cloud, outcome, events } = await build(
        { name: 'aws', region: 'us-east-1' },
        { copyTo: ['us-west-2', 'us-east-1', 'eu-west-2'], onCopy: async (copy) => void recorded.push(copy.id) },
      );
      expect(outcome.status).toBe('succeeded');
      expect(cloud.calls.filter((c) => c.startsWith('copyImage'))).toEqual(['copyImage img-1 us-west-2', 'copyImage img-1 eu-west-2']);
      expect(recorded.sort()).toEqual(['img-1-eu-west-2', 'img-1-us-west-2']);
      expect(cloud.remaining().sort()).toEqual(['img-1', 'img-1-eu-west-2', 'img-1-us-west-2', 'snap-1']);
      expect(
        runEnd(events)
          .copies?.map((c) => c.region)
          .sort(),
      ).toEqual(['eu-west-2', 'us-west-2']);
    });

    it('a failed copy is removed, the image and the other copies stay, and the run is partial', async () => {
      const { cloud, outcome, events } = await build(
        { name: 'aws', region: 'us-east-1', failCopyTo: ['eu-west-2'] },
        { copyTo: ['us-west-2', 'eu-west-2'] },
      );
      expect(outcome.status).toBe('partial');
      expect(outcome.error?.code).toBe('PARTIAL');
      expect(outcome.image?.id).toBe('img-1');
      expect(cloud.remaining().sort()).toEqual(['img-1', 'img-1-us-west-2', 'snap-1']);
      expect(cloud.removed).toContain('img-1-eu-west-2');
      expect(runEnd(events)).toMatchObject({ status: 'partial', image: { id: 'img-1' }, copies: [{ id: 'img-1-us-west-2' }] });
    });
  });

  describe('setup step results', () => {
    it('a step whose exec timed out is a TIMEOUT naming the step and its limit', async () => {
      const { outcome, cloud } = await build({ exec: { Install: { timedOut: true, exitCode: null, stdout: 'waiting...\n' } } });
      expect(outcome.error?.code).toBe('TIMEOUT');
      expect(outcome.error?.message).toBe('setup step "Install" timed out after 600s');
      expect(outcome.error?.hint).toContain('timeout_seconds');
      expect(cloud.calls).not.toContain('exec script Configure');
      expect(cloud.remaining()).toEqual([]);
    });

    it('a non-zero exit is BUILD_FAILED with the last lines of output in the message', async () => {
      const stdout = Array.from({ length: 12 }, (_, i) => `out-${String(i + 1).padStart(2, '0')}`).join('\n') + '\n';
      const { outcome, logFile } = await build({ exec: { Configure: { exitCode: 2, stdout, stderr: '\nfatal: boom   \n' } } });
      expect(outcome.error?.code).toBe('BUILD_FAILED');
      const message = outcome.error!.message;
      expect(message.split('\n')).toEqual([
        'setup step "Configure" failed with exit code 2:',
        '    out-06',
        '    out-07',
        '    out-08',
        '    out-09',
        '    out-10',
        '    out-11',
        '    out-12',
        '    fatal: boom',
      ]);
      expect(outcome.error?.hint).toBe(`the full output is in ${logFile}`);
    });

    it('a non-zero exit without output has no trailing colon', async () => {
      const { outcome } = await build({ exec: { Install: { exitCode: 1 } } });
      expect(outcome.error?.message).toBe('setup step "Install" failed with exit code 1');
    });
  });

  it('turns `==> text` (and 📦 / 🔧) output lines into step-progress, across chunk boundaries', async () => {
    const { events, logFile } = await build({
      exec: {
        Install: {
          chunks: [
            ['==> ins', 'stdout'],
            ['talling nginx\nplain line\n', 'stdout'],
            ['  📦 fetching packages\n', 'stderr'],
            ['🔧 configuring\nnot ==> a marker\n==> final line without a newline', 'stdout'],
          ],
        },
      },
    });
    const progress = events
      .filter((e) => e.type === 'step-progress' && e.step === 'setup-1')
      .map((e) => (e.type === 'step-progress' ? `${e.origin}:${e.message}` : ''));
    expect(progress).toEqual([
      'script:installing nginx',
      'script:fetching packages',
      'script:configuring',
      'script:final line without a newline',
    ]);
    // A provider's own progress (ctx.progress) is the tool's, under the step running then.
    expect(events.find((e) => e.type === 'step-progress' && e.step === 'preflight')).toMatchObject({
      message: 'checking the double',
      origin: 'tool',
    });
    const output = events.filter((e) => e.type === 'step-output').map((e) => (e.type === 'step-output' ? `${e.step}|${e.line}` : ''));
    expect(output).toEqual([
      'setup-1|==> installing nginx',
      'setup-1|plain line',
      'setup-1|  📦 fetching packages',
      'setup-1|🔧 configuring',
      'setup-1|not ==> a marker',
      'setup-1|==> final line without a newline',
    ]);
    // Progress comes while the step runs: between its start and its end.
    const start = events.findIndex((e) => e.type === 'step-start' && e.step === 'setup-1');
    const end = events.findIndex((e) => e.type === 'step-end' && e.step === 'setup-1');
    const firstProgress = events.findIndex((e) => e.type === 'step-progress' && e.step === 'setup-1');
    const lastProgress = events.findLastIndex((e) => e.type === 'step-progress' && e.step === 'setup-1');
    expect(firstProgress).toBeGreaterThan(start);
    expect(lastProgress).toBeLessThan(end);
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('[setup-1 stdout] ==> installing nginx');
    expect(log).toContain('[setup-1 stderr]   📦 fetching packages');
    expect(log).toContain('[setup-1 stdout] ==> final line without a newline');
    // Output is in the log as command output, not as events.
    expect(log).not.toContain('"type":"step-output"');
  });
});

describe('runValidation', () => {
  async function validate(cloudOptions: MemoryCloudOptions = {}) {
    const dir = await tempDir();
    const cloud = new MemoryCloud({ ...cloudOptions, exec: { ...PASSING, ...cloudOptions.exec } });
    const events: BuildEvent[] = [];
    const outcome = await runValidation({
      provider: cloud,
      template: templateFromYaml(TEMPLATE),
      architecture: 'x86_64',
      version: '1.2.3',
      buildId: 'build-validate01',
      fingerprint: 'fp-1',
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
      logFile: join(dir, 'validate.log'),
      journalDir: join(dir, 'runs'),
      imageId: 'img-42',
    });
    return { cloud, events, outcome };
  }

  it('launches from the image, runs the tests, never makes an image, and removes the machine', async () => {
    const { cloud, events, outcome } = await validate();
    expect(cloud.calls).toEqual([
      'preflight x86_64',
      'launchImage img-42',
      'waitReady m-1',
      'exec command service active',
      'exec command page served',
      'remove m-1',
      'remove sg-1',
    ]);
    expect(cloud.calls.some((c) => c.startsWith('createImage') || c.startsWith('recordImage') || c.startsWith('exec script'))).toBe(false);
    expect(cloud.remaining()).toEqual([]);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.image).toBeUndefined();
    expect(outcome.tests.map((t) => t.status)).toEqual(['passed', 'passed']);
    expect(events[0]).toMatchObject({ type: 'run-start', kind: 'validate', buildId: 'build-validate01' });
    expect(stepTrail(events)).toEqual(['preflight', 'launch', 'wait-ready', 'validate'].flatMap((s) => [`start:${s}`, `end:${s}:ok`]));
    expect(events.find((e) => e.type === 'step-start' && e.step === 'launch')).toMatchObject({ title: 'Launching container from img-42' });
    const end = runEnd(events);
    expect(end).toMatchObject({ kind: 'validate', status: 'succeeded' });
    expect(end.image).toBeUndefined();
  });

  it('fails with VALIDATION_FAILED when a test fails, and still removes the machine', async () => {
    const { cloud, outcome, events } = await validate({ exec: { 'service active': { stdout: 'inactive\n' } } });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('VALIDATION_FAILED');
    expect(cloud.remaining()).toEqual([]);
    expect(runEnd(events)).toMatchObject({ kind: 'validate', status: 'failed', error: { code: 'VALIDATION_FAILED' } });
  });
});
