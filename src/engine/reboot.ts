import { PrismError } from '../core/errors.js';
import { abortableSleep } from '../core/sleep.js';
import type { Machine } from '../providers/provider.js';
import type { Run } from './run.js';

/** In /run, a tmpfs on every systemd machine: a new boot starts without it. */
const MARKER = '/run/prism-ami/booted-before';
const REBOOT_TIMEOUT_MS = 20 * 60_000;
const POLL_MS = 3000;

/**
 * Reboots the machine after a setup step that asks for it, and waits until it has really booted
 * again: a marker in /run is written first, and the machine counts as back only once it is ready
 * and the marker is gone (an agent can still answer for a while after the reboot was asked for).
 */
export async function rebootMachine(run: Run, machine: Machine, stepIndex: number, stepName: string): Promise<void> {
  const { provider } = run.settings;
  const noun = provider.machineNoun;
  await run.step(`reboot-${stepIndex}`, `Rebooting the ${noun} (after "${stepName}")`, async () => {
    const marked = await provider.exec(
      machine,
      { kind: 'command', name: 'mark this boot', command: `mkdir -p /run/prism-ami && date > ${MARKER}`, timeoutSeconds: 60 },
      run.ctx,
    );
    if (marked.exitCode !== 0) throw new PrismError('BUILD_FAILED', `could not write ${MARKER} before the reboot: ${marked.stderr.trim()}`);
    await provider.reboot(machine, run.ctx);
    const deadline = Date.now() + REBOOT_TIMEOUT_MS;
    for (;;) {
      await provider.waitReady(machine, run.ctx);
      const check = await provider.exec(
        machine,
        { kind: 'command', name: 'new boot?', command: `test ! -e ${MARKER}`, timeoutSeconds: 60 },
        run.ctx,
      );
      if (check.exitCode === 0) return;
      if (Date.now() > deadline) {
        throw new PrismError('TIMEOUT', `the ${noun} did not reboot within ${REBOOT_TIMEOUT_MS / 60_000} minutes of being asked to`, {
          hint: `setup step "${stepName}" has reboot: true; see the ${noun}'s console log next to ${run.settings.logFile}`,
        });
      }
      run.ctx.progress('still on the old boot; waiting for it to go down');
      await abortableSleep(POLL_MS, run.ctx.signal);
    }
  });
}
