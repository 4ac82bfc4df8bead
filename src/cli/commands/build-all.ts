import type { Command } from 'commander';
import { exitCodeOfRun } from '../../core/exit-codes.js';
import type { CliContext } from '../context.js';
import { addJsonOption, addPublishSsmOption, addStepCacheOption } from '../flags.js';
import { withRunUi } from '../run-ui.js';
import { addPlanOptions, planOptions, type PlanFlags } from './plan.js';

interface BuildAllFlags extends PlanFlags {
  failFast?: boolean;
  version?: string;
  cache: boolean;
}

export function registerBuildAll(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('build-all')
    .description(
      'build every template that needs it: once per architecture, copied to every region, parents first, skipping what is up to date',
    )
    .option('--concurrency <n>', 'builds at once (default 4)')
    .option('--copy-concurrency <n>', 'copies at once into each region (default 8)')
    .option('--fail-fast', 'stop everything at the first failure')
    .option('--version <version>', "version recorded with the images (default: each template's version)")
    .option('--instance-profile <name>', 'instance profile of the build instances (aws)')
    .option('--subnet <id>', 'subnet of the build instances (aws)')
    .option('--log-dir <dir>', 'folder for build logs');
  addPlanOptions(command);
  addStepCacheOption(command);
  addPublishSsmOption(command);
  addJsonOption(command, 'print one JSON event per line, then the summary as JSON');
  command.action(async (slugs: string[], flags: BuildAllFlags) => {
    const [{ buildAll }, { formatBuildAllSummary }, { formatPlan }] = await Promise.all([
      import('../../actions/build-all.js'),
      import('../../render/build-all-view.js'),
      import('../../render/plan-table.js'),
    ]);
    const options = await planOptions(slugs, flags, ctx);
    await withRunUi(ctx, { json: flags.json ?? false, many: true, deferred: true }, async (ui) => {
      const result = await buildAll({
        ...options,
        signal: ui.signal,
        tracker: ui.tracker,
        emit: ui.sink,
        onPlan: (plan) => {
          if (!flags.json) ctx.io.out(`${formatPlan(plan, ctx.io.color)}\n`);
          ui.start();
        },
        failFast: flags.failFast ?? false,
        stepCache: flags.cache,
        ...(flags.version ? { version: flags.version } : {}),
      });
      ui.close();
      ctx.io.out(
        flags.json
          ? `${JSON.stringify({ time: new Date().toISOString(), type: 'summary', status: result.status, rows: result.rows })}\n`
          : formatBuildAllSummary(result, ctx.io.color),
      );
      ctx.setExitCode(exitCodeOfRun(result.status));
    });
  });
}
