import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addJsonOption, addProviderOption, ageFlag, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

interface SweepFlags extends CommonFlags {
  olderThan?: string;
  dryRun?: boolean;
  includeKept?: boolean;
}

export function registerSweep(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('sweep')
    .description('remove what crashed or killed runs left behind (build machines, mounts, security groups, half-made images)');
  addProviderOption(command);
  command
    .option('--older-than <age>', 'only what is older than this (e.g. 30m, 6h, 2d)')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--include-kept', 'also remove build machines kept by --keep-on-failure')
    .option('--region <region>', 'region to sweep (aws; default: every configured region)');
  addJsonOption(command);
  addConfigOption(command);
  command.action(async (flags: SweepFlags) => {
    const [{ sweep }, { formatSweepReport }] = await Promise.all([
      import('../../actions/sweep.js'),
      import('../../render/sweep-report.js'),
    ]);
    const olderThanMs = flags.olderThan !== undefined ? ageFlag('--older-than', flags.olderThan) : undefined;
    const report = await sweep({
      ...(await settingsInput(ctx, flags)),
      signal: new AbortController().signal,
      dryRun: flags.dryRun ?? false,
      includeKept: flags.includeKept ?? false,
      ...(olderThanMs !== undefined ? { olderThanMs } : {}),
    });
    await printResult(ctx, flags.json, report, (r) => formatSweepReport(r, flags.dryRun ?? false));
    ctx.setExitCode(report.items.some((i) => i.status === 'failed') ? ExitCode.failure : ExitCode.ok);
  });
}
