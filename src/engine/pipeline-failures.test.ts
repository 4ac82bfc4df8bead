import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BUILD_ID, build, runEnd, stepTrail, TEMPLATE } from '../../test/support/pipeline-harness.js';
import { ALL_STEPS } from '../../test/support/pipeline-harness.js';
import type { MemoryCloudOptions } from '../../test/support/memory-cloud.js';
import { templateFromYaml } from '../../test/support/templates.js';
import { PrismError } from '../core/errors.js';
import type { Template } from '../template/model.js';
import { readJournals } from './journal.js';
import { RunTracker } from './run-tracker.js';

describe('runBuild when something fails, is kept or is cancelled', () => {
  describe('a failure at any step removes everything, newest first, and makes no image', () => {
    const cases: {
      at: string;
      cloud?: MemoryCloudOptions;
      onImage?: () => Promise<void>;
      code: string;
      message: string | RegExp;
      failedStep: string;
      removed: string[];
    }[] = [
      {
        at: 'preflight',
        cloud: { failAt: { preflight: new PrismError('PREREQUISITE_MISSING', 'systemd-nspawn is not installed') } },
        code: 'PREREQUISITE_MISSING',
        message: 'systemd-nspawn is not installed',
        failedStep: 'preflight',
        removed: [],
      },
      {
        at: 'resolveBase',
        cloud: { failAt: { resolveBase: new PrismError('BASE_UNAVAILABLE', 'no such base') } },
        code: 'BASE_UNAVAILABLE',
        message: 'no such base',
        failedStep: 'find-base',
        removed: [],
      },
      {
        at: 'launch (after its security group exists)',
        cloud: { failAt: { launch: new Error('InsufficientInstanceCapacity') } },
        code: 'BUILD_FAILED',
        message: 'InsufficientInstanceCapacity',
        failedStep: 'launch',
        removed: ['sg-1'],
      },
      {
        at: 'waitReady',
        cloud: { failAt: { waitReady: new Error('never booted') } },
        code: 'BUILD_FAILED',
        message: 'never booted',
        failedStep: 'wait-ready',
        removed: ['m-1', 'sg-1'],
      },
      {
        at: 'setup exec (non-zero exit)',
        cloud: { exec: { Install: { exitCode: 100, stderr: 'E: Unable to locate package nginz\n' } } },
        code: 'BUILD_FAILED',
        message: /^setup step "Install" failed with exit code 100:\n {4}E: Unable to locate package nginz$/,
        failedStep: 'setup-1',
        removed: ['m-1', 'sg-1'],
      },
      {
        at: 'the first command (the provider throws)',
        cloud: { failAt: { exec: new PrismError('CLOUD_ERROR', 'SSM agent unreachable') } },
        code: 'CLOUD_ERROR',
        message: 'SSM agent unreachable',
        failedStep: 'settle',
        removed: ['m-1', 'sg-1'],
      },
      {
        at: 'a failed test',
        cloud: { exec: { 'page served': { stdout: 'Not Found\n' } } },
        code: 'VALIDATION_FAILED',
        message: '1 of 2 validation tests failed: page served',
        failedStep: 'validate',
        removed: ['m-1', 'sg-1'],
      },
      {
        at: 'createImage (after the image and snapshot exist)',
        cloud: { failAt: { createImage: new PrismError('CLOUD_ERROR', 'image state failed') } },
        code: 'CLOUD_ERROR',
        message: 'image state failed',
        failedStep: 'create-image',
        removed: ['snap-1', 'img-1', 'm-1', 'sg-1'],
      },
      {
        at: 'recordImage',
        cloud: { failAt: { recordImage: new Error('CreateTags: throttled') } },
        code: 'BUILD_FAILED',
        message: 'CreateTags: throttled',
        failedStep: 'record',
        removed: ['m-2', 'sg-2', 'snap-1', 'img-1', 'm-1', 'sg-1'],
      },
    ];

    it('a registry that cannot record the image keeps the finished image and ends partial', async () => {
      const { cloud, outcome } = await build(
        {},
        {
          onImage: async () => {
            throw new PrismError('REGISTRY_LOCKED', 'the registry is locked by another build');
          },
        },
      );
      expect(outcome.status).toBe('partial');
      expect(outcome.error?.code).toBe('PARTIAL');
      expect(outcome.error?.message).toContain('the registry is locked by another build');
      expect(outcome.error?.hint).toContain('prism ami update-registry');
      expect(outcome.image?.id).toBe('img-1');
      // The machines and their security groups are gone; the image and its snapshot stay.
      expect(cloud.removed).toEqual(['m-2', 'sg-2', 'm-1', 'sg-1']);
    });

    for (const c of cases) {
      it(`at ${c.at}: ${c.code}`, async () => {
        const { cloud, events, outcome, journalDir } = await build(c.cloud ?? {}, c.onImage ? { onImage: c.onImage } : {});
        expect(outcome.status).toBe('failed');
        expect(outcome.error?.code).toBe(c.code);
        if (typeof c.message === 'string') expect(outcome.error?.message).toBe(c.message);
        else expect(outcome.error?.message).toMatch(c.message);
        expect(outcome.image).toBeUndefined();

        // Everything the double made is gone, in reverse order of creation.
        expect(cloud.remaining()).toEqual([]);
        expect(cloud.removed).toEqual(c.removed);
        expect(outcome.leftovers).toEqual([]);
        expect(outcome.kept).toEqual([]);

        // The steps ran up to the failing one, which is the last, and failed.
        const trail = stepTrail(events);
        const index = ALL_STEPS.indexOf(c.failedStep);
        expect(trail).toEqual([
          ...ALL_STEPS.slice(0, index).flatMap((s) => [`start:${s}`, `end:${s}:ok`]),
          `start:${c.failedStep}`,
          `end:${c.failedStep}:failed`,
        ]);
        const failedEnd = events.find((e) => e.type === 'step-end' && e.status === 'failed');
        expect(failedEnd).toMatchObject({ step: c.failedStep, error: outcome.error!.message });

        const end = runEnd(events);
        expect(end.status).toBe('failed');
        expect(end.image).toBeUndefined();
        expect(end.error).toMatchObject({ code: c.code, message: outcome.error!.message });
        expect(end.leftovers).toBeUndefined();
        expect(end.hints).toBeUndefined();
        expect(await readdir(journalDir)).toEqual([]);
      });
    }

    it('reports every test even when the first fails, with its reason', async () => {
      const { outcome, events } = await build({ exec: { 'service active': { stdout: 'inactive\n', exitCode: 3 } } });
      expect(outcome.error?.code).toBe('VALIDATION_FAILED');
      expect(
        events.filter((e) => e.type === 'test-result').map((e) => (e.type === 'test-result' ? [e.result.name, e.result.status] : [])),
      ).toEqual([
        ['service active', 'failed'],
        ['page served', 'passed'],
      ]);
      expect(outcome.tests[0]).toMatchObject({ reason: 'exited with 3, expected 0', excerpt: 'inactive' });
      expect(runEnd(events).tests?.map((t) => t.status)).toEqual(['failed', 'passed']);
      expect(outcome.error?.hint).toMatch(/^no image was made; the output of each test is in .*build\.log$/);
    });
  });

  describe('--keep-on-failure', () => {
    for (const [what, cloudOptions, code] of [
      ['setup', { exec: { Configure: { exitCode: 1 } } }, 'BUILD_FAILED'],
      ['a test', { exec: { 'service active': { stdout: 'failed\n' } } }, 'VALIDATION_FAILED'],
    ] as const) {
      it(`keeps the build machine after a failed ${what}, and says how to reach it and sweep it`, async () => {
        const { cloud, events, outcome, journalDir } = await build(cloudOptions, { keepOnFailure: true });
        expect(outcome.error?.code).toBe(code);
        expect(cloud.remaining()).toEqual(['m-1']);
        expect(cloud.removed).toEqual(['sg-1']);
        expect(outcome.kept.map((r) => r.id)).toEqual(['m-1']);
        expect(outcome.leftovers).toEqual([]);
        expect(events).toContainEqual(expect.objectContaining({ type: 'cleanup', resource: 'container m-1', status: 'kept' }));
        const end = runEnd(events);
        expect(end.status).toBe('failed');
        expect(end.leftovers).toEqual(['container m-1']);
        expect(end.hints).toEqual(['shell: double-ssh m-1', `prism ami sweep --provider local removes what is left (build ${BUILD_ID})`]);
        // The journal stays, listing the kept machine for sweep.
        const [run] = await readJournals(journalDir);
        expect(run).toMatchObject({ buildId: BUILD_ID, ended: true, leftovers: [], kept: [expect.objectContaining({ id: 'm-1' })] });
      });
    }

    for (const [what, cloudOptions] of [
      ['createImage', { failAt: { createImage: new PrismError('CLOUD_ERROR', 'no') } }],
      ['recordImage', { failAt: { recordImage: new Error('no') } }],
      ['waitReady', { failAt: { waitReady: new Error('no') } }],
    ] as const) {
      it(`does not keep it after a ${what} failure`, async () => {
        const { cloud, events, outcome, journalDir } = await build(cloudOptions, { keepOnFailure: true });
        expect(outcome.status).toBe('failed');
        expect(cloud.remaining()).toEqual([]);
        expect(outcome.kept).toEqual([]);
        const end = runEnd(events);
        expect(end.leftovers).toBeUndefined();
        expect(end.hints).toBeUndefined();
        expect(await readdir(journalDir)).toEqual([]);
      });
    }

    it('without the option, a failed setup removes the machine', async () => {
      const { cloud } = await build({ exec: { Configure: { exitCode: 1 } } }, { keepOnFailure: false });
      expect(cloud.remaining()).toEqual([]);
    });
  });

  it('reports a resource cleanup could not remove, with the sweep hint, and keeps its journal', async () => {
    const { outcome, events, cloud, journalDir } = await build({ failRemoval: ['sg-1'] });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.leftovers.map((r) => r.id)).toEqual(['sg-1']);
    expect(cloud.remaining()).toEqual(['sg-1', 'img-1', 'snap-1']);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'cleanup', resource: 'security-group sg-1', status: 'failed', error: 'sg-1 is busy' }),
    );
    const end = runEnd(events);
    expect(end.leftovers).toEqual(['security-group sg-1']);
    expect(end.hints).toEqual([`prism ami sweep --provider local removes what is left (build ${BUILD_ID})`]);
    const [run] = await readJournals(journalDir);
    expect(run.leftovers.map((r) => r.id)).toEqual(['sg-1']);
  });

  describe('cancellation', () => {
    it('aborting while a setup step runs cancels: CANCELLED, cleanups run, even with keepOnFailure', async () => {
      const tracker = new RunTracker();
      let pendingWhileHanging: string[] = [];
      const { cloud, events, outcome } = await build(
        { exec: { Install: 'hang' } },
        {
          keepOnFailure: true,
          tracker,
          beforeRun: (c, controller) => {
            void c.hanging.then(() => {
              pendingWhileHanging = tracker.pending().map((r) => r.id);
              controller.abort(new PrismError('CANCELLED', 'Interrupted (SIGINT)'));
            });
          },
        },
      );
      expect(pendingWhileHanging).toEqual(['sg-1', 'm-1']);
      expect(outcome.status).toBe('cancelled');
      expect(outcome.error?.code).toBe('CANCELLED');
      expect(cloud.remaining()).toEqual([]);
      expect(cloud.removed).toEqual(['m-1', 'sg-1']);
      expect(cloud.calls).not.toContain('exec script Configure');
      expect(stepTrail(events).slice(-2)).toEqual(['start:setup-1', 'end:setup-1:cancelled']);
      const end = runEnd(events);
      expect(end).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
      expect(end.image).toBeUndefined();
      expect(end.leftovers).toBeUndefined();
      expect(tracker.pending()).toEqual([]);
    });

    it('an already aborted signal cancels before anything is called', async () => {
      const { cloud, outcome, events } = await build({}, { beforeRun: (_c, controller) => controller.abort() });
      expect(outcome.status).toBe('cancelled');
      expect(outcome.error?.code).toBe('CANCELLED');
      expect(cloud.calls).toEqual([]);
      expect(stepTrail(events)).toEqual([]);
      expect(runEnd(events).status).toBe('cancelled');
    });

    it('aborting while a test runs cancels too', async () => {
      const { cloud, outcome } = await build(
        { exec: { 'page served': 'hang' } },
        { beforeRun: (c, controller) => void c.hanging.then(() => controller.abort()) },
      );
      expect(outcome.status).toBe('cancelled');
      expect(outcome.error?.code).toBe('CANCELLED');
      expect(cloud.remaining()).toEqual([]);
      expect(cloud.calls).not.toContain('createImage m-1');
    });
  });

  it('the template build.timeout_minutes deadline fails the build with TIMEOUT and cleans up', async () => {
    const parsed = templateFromYaml(TEMPLATE);
    const template: Template = { ...parsed, build: { ...parsed.build, timeoutMinutes: 0.001 } };
    const started = Date.now();
    const { cloud, outcome, events } = await build({ exec: { Install: 'hang' } }, { template });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('TIMEOUT');
    expect(outcome.error?.message).toBe('the build took longer than its 0.001 minute limit');
    expect(outcome.error?.hint).toContain('build.timeout_minutes');
    expect(cloud.remaining()).toEqual([]);
    expect(runEnd(events)).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } });
  });
});
