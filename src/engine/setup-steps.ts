import { PrismError } from '../core/errors.js';
import type { Machine } from '../providers/provider.js';
import { rebootMachine } from './reboot.js';
import type { Run } from './run.js';

/**
 * Runs the template's setup steps in order, rebooting after those that ask for it; a non-zero
 * exit or a timeout fails the build. Steps the machine already holds the result of (it started
 * from the step cache) are reported as skipped; with `cacheKeys`, the state after each step that
 * runs is stored in the provider's step cache.
 */
export async function runSetupSteps(run: Run, machine: Machine, cacheKeys?: readonly string[]): Promise<void> {
  const { provider, template, logFile, architecture } = run.settings;
  const restored = machine.restoredSteps ?? 0;
  for (const [index, step] of template.setup.entries()) {
    const id = `setup-${index + 1}`;
    const title = template.setup.length === 1 ? 'Executing setup script' : `Setup ${index + 1}/${template.setup.length}: ${step.name}`;
    if (index < restored) {
      run.skipStep(id, title, 'unchanged, from the step cache');
      continue;
    }
    await run.step(id, title, async () => {
      const result = await provider.exec(
        machine,
        { kind: 'script', name: step.name, script: step.script, timeoutSeconds: step.timeoutSeconds, onOutput: run.outputListener(id) },
        run.ctx,
      );
      run.flushOutput(id);
      if (result.timedOut) {
        throw new PrismError('TIMEOUT', `setup step "${step.name}" timed out after ${step.timeoutSeconds}s`, {
          hint: `raise timeout_seconds for the step, or see what it waited for in ${logFile}`,
        });
      }
      if (result.exitCode !== 0) {
        const tail = lastLines(`${result.stdout}\n${result.stderr}`, 8);
        throw new PrismError(
          'BUILD_FAILED',
          `setup step "${step.name}" failed with exit code ${result.exitCode}${tail ? `:\n${tail}` : ''}`,
          {
            hint: `the full output is in ${logFile}`,
          },
        );
      }
      const key = cacheKeys?.[index];
      if (key && provider.saveSetupStep) {
        run.ctx.log(`step cache: saving the state after step ${index + 1} as ${key}`);
        await provider.saveSetupStep(machine, key, { template: template.slug, architecture, index: index + 1, name: step.name }, run.ctx);
      }
    });
    if (step.reboot) await rebootMachine(run, machine, index + 1, step.name);
  }
}

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-count)
    .map((l) => `    ${l}`)
    .join('\n');
}
