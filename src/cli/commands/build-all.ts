import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import { addJsonOption, addPublishSsmOption, publishSsmFlag, type CliContext } from '../context.js';
import { addPlanOptions, planOptions, type PlanFlags } from './plan.js';

interface BuildAllFlags extends PlanFlags {
  concurrency?: string;
  copyConcurrency?: string;
  failFast?: boolean;
  version?: string;
  instanceProfile?: string;
  subnet?: string;
  logDir?: string;
}

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`${name} must be a whole number from 1 to 64`);
  return n;
}

export function registerBuildAll(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('build-all')
    .description('build every template that needs it: once per architecture, copied to every region, parents first, skipping what is up to date')
    .option('--concurrency <n>', 'builds at once (default 4)')
    .option('--copy-concurrency <n>', 'copies at once into each region (default 8)')
    .option('--fail-fast', 'stop everything at the first failure')
    .option('--version <version>', 'version recorded with the images (default: each template\'s version)')
    .option('--instance-profile <name>', 'instance profile of the build instances (aws)')
    .option('--subnet <id>', 'subnet of the build instances (aws)')
    .option('--log-dir <dir>', 'folder for build logs')
    .option('--only-outdated', 'only what a scheduled security rebuild should do: images whose base image changed, and their children');
  addPlanOptions(command);
  addPublishSsmOption(command);
  addJsonOption(command, 'print one JSON event per line, then the summary as JSON');
  command.action(async (slugs: string[], flags: BuildAllFlags) => {
    const [{ buildAll }, { RunTracker }, { createMultiRenderer, formatBuildAllSummary }, { formatPlan }, { handleInterrupts }] = await Promise.all([
      import('../../actions/build-all.js'),
      import('../../engine/run-tracker.js'),
      import('../../render/build-all-view.js'),
      import('../../render/plan-table.js'),
      import('../interrupts.js'),
    ]);
    const options = await planOptions(slugs, flags, ctx);
    const config = await ctx.config(flags);
    const publishSsm = publishSsmFlag(flags, config);
    const concurrency = count('--concurrency', flags.concurrency);
    const copyConcurrency = count('--copy-concurrency', flags.copyConcurrency);
    const tracker = new RunTracker();
    const interrupts = handleInterrupts(ctx.io, tracker);
    let renderer: ReturnType<typeof createMultiRenderer> | undefined;
    try {
      const result = await buildAll({
        ...options,
        signal: interrupts.signal,
        tracker,
        emit: (event) => renderer?.sink(event),
        onPlan: (plan) => {
          if (!flags.json) ctx.io.out(`${formatPlan(plan, ctx.io.color)}\n`);
          renderer = createMultiRenderer(ctx.io, flags.json ?? false);
        },
        failFast: flags.failFast ?? false,
        ...(publishSsm !== undefined ? { publishSsm } : {}),
        ...(concurrency ? { concurrency } : {}),
        ...(copyConcurrency ? { copyConcurrency } : {}),
        ...(flags.version ? { version: flags.version } : {}),
        ...(flags.instanceProfile ? { instanceProfile: flags.instanceProfile } : {}),
        ...(flags.subnet ? { subnet: flags.subnet } : {}),
        ...(flags.logDir ? { logDir: flags.logDir } : {}),
      });
      renderer?.close();
      ctx.io.out(flags.json ? `${JSON.stringify({ type: 'summary', status: result.status, rows: result.rows })}\n` : formatBuildAllSummary(result, ctx.io.color));
      ctx.setExitCode(
        { succeeded: ExitCode.ok, partial: ExitCode.partial, failed: ExitCode.failure, cancelled: ExitCode.interrupted }[result.status],
      );
    } finally {
      renderer?.close();
      interrupts.dispose();
    }
  });
}
