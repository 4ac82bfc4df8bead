import { describe, expect, it } from 'vitest';
import { build, runEnd, TEMPLATE } from '../../test/support/pipeline-harness.js';

/** The fresh-boot re-test (engine/fresh-boot.ts), against the in-memory cloud. */
describe('the fresh-boot re-test', () => {
  it('a test that passes in the build machine but fails on a fresh boot fails the build and keeps no image', async () => {
    const { cloud, events, outcome } = await build({ execOnImage: { 'service active': { stdout: 'inactive\n', exitCode: 3 } } });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('VALIDATION_FAILED');
    expect(outcome.error?.message).toBe(
      '1 of 2 validation tests passed in the build container but failed on a fresh boot of the new image: service active',
    );
    expect(outcome.error?.hint).toMatch(/a service started but not enabled/);
    expect(outcome.image).toBeUndefined();
    // Nothing is recorded, and the image with its snapshot is removed with both machines.
    expect(cloud.records).toEqual([]);
    expect(cloud.remaining()).toEqual([]);
    expect(cloud.removed).toEqual(['m-2', 'sg-2', 'snap-1', 'img-1', 'm-1', 'sg-1']);
    const end = runEnd(events);
    expect(end.tests?.map((t) => [t.name, t.status])).toEqual([
      ['service active', 'failed'],
      ['page served', 'passed'],
    ]);
  });

  it('--keep-on-failure keeps the re-test machine and the image it boots from, and says how to reach them', async () => {
    const { cloud, events, outcome } = await build({ execOnImage: { 'page served': { stdout: 'nothing\n' } } }, { keepOnFailure: true });
    expect(outcome.status).toBe('failed');
    expect(outcome.kept.map((r) => r.id)).toEqual(['m-2', 'snap-1', 'img-1']);
    // The build machine was let go before the re-test: it is not kept.
    expect(cloud.removed).toEqual(['sg-2', 'm-1', 'sg-1']);
    expect(cloud.remaining()).toEqual(['img-1', 'snap-1', 'm-2']);
    expect(runEnd(events).hints?.[0]).toBe('shell: double-ssh m-2');
  });

  it('is skipped when the template says build.retest_on_fresh_boot: false', async () => {
    const { cloud, outcome } = await build(
      { execOnImage: { 'service active': { exitCode: 3 } } },
      { yaml: `${TEMPLATE}build:\n  retest_on_fresh_boot: false\n` },
    );
    expect(outcome.status).toBe('succeeded');
    expect(cloud.calls.filter((c) => c.startsWith('launchImage') || c.startsWith('release'))).toEqual([]);
    expect(cloud.records[0]?.validatedOn).toBe('build-machine');
  });

  it('is skipped for a run with retest: false (--no-retest)', async () => {
    const { cloud, outcome } = await build({ execOnImage: { 'service active': { exitCode: 3 } } }, { retest: false });
    expect(outcome.status).toBe('succeeded');
    expect(cloud.calls.some((c) => c.startsWith('launchImage'))).toBe(false);
  });

  it('a re-test machine that never gets ready fails the build like a build machine would, and removes the image', async () => {
    let launches = 0;
    const { cloud, outcome } = await build(
      {},
      {
        beforeRun: (c) => {
          const original = c.waitReady.bind(c);
          c.waitReady = async (machine) => {
            if (++launches === 2) throw new Error('status checks failed');
            return original(machine);
          };
        },
      },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('status checks failed');
    expect(cloud.remaining()).toEqual([]);
  });
});
