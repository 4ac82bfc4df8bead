import { isPrismError, PrismError } from '../core/errors.js';
import type { TestResult } from '../core/events.js';
import type { CreatedImage, LaunchSpec, Machine } from '../providers/provider.js';
import type { Run } from './run.js';

/**
 * The fresh-boot re-test: a new machine booted from the image just made runs the template's
 * tests again, so what only held in the build machine (a service started but not enabled, state
 * in /run or /tmp, a module loaded by hand) fails the build instead of a later launch. The machine
 * is removed when the tests pass; --keep-on-failure keeps it, and the image it boots from, when
 * they fail.
 */
export async function retestOnFreshBoot(run: Run, image: CreatedImage, spec: LaunchSpec): Promise<TestResult[]> {
  const { provider } = run.settings;
  const noun = provider.machineNoun;
  // A kept re-test machine boots from the image: keep the image with it.
  run.cleanups.keepProductsWithMachine();
  const machine = await run.step(
    'retest-launch',
    `Launching a fresh ${noun} from ${image.id}`,
    () => provider.launchImage(image.id, spec, run.ctx),
    (m: Machine) => m.label,
  );
  run.machine = machine;
  run.inspectable = true;
  await run.step('retest-wait-ready', `Waiting for ${noun} ready`, () => provider.waitReady(machine, run.ctx));
  const tests = await run.step(
    'retest',
    'Re-running validation tests on a fresh boot',
    async () => {
      try {
        return await run.runTests(machine, 'retest');
      } catch (error) {
        if (!isPrismError(error) || error.code !== 'VALIDATION_FAILED') throw error;
        const failed = run.tests.filter((t) => t.status === 'failed').map((t) => t.name);
        throw new PrismError(
          'VALIDATION_FAILED',
          `${failed.length} of ${run.tests.length} validation tests passed in the build ${noun} but failed on a fresh boot of the new image: ${failed.join(', ')}`,
          {
            hint:
              `something setup did does not survive a reboot (a service started but not enabled: systemctl enable --now; state in /run or /tmp); ` +
              `the image was not kept; each test's output is in ${run.settings.logFile}`,
            cause: error,
          },
        );
      }
    },
    (results: TestResult[]) => (results.length === 0 ? 'no tests' : `${results.length}/${results.length}`),
  );
  run.inspectable = false;
  await provider.release(machine, run.ctx);
  return tests;
}
