import type { Command } from 'commander';
import { PrismError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { addConfigOption, addJsonOption, addProviderOption, providerName, type CliContext } from '../context.js';

interface SweepFlags {
  provider?: string;
  olderThan?: string;
  dryRun?: boolean;
  includeKept?: boolean;
  region?: string;
  json?: boolean;
  config?: string;
}

/** `30m`, `6h`, `2d` → milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new PrismError('USAGE', `--older-than "${text}" is not an age`, { hint: 'use a number and a unit: 30m, 6h, 2d' });
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
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
    const [{ sweep }, { formatSweepReport }] = await Promise.all([import('../../actions/sweep.js'), import('../../render/sweep-report.js')]);
    const config = await ctx.config(flags);
    const controller = new AbortController();
    const report = await sweep({
      provider: providerName(flags.provider, config),
      config: config.values,
      signal: controller.signal,
      dryRun: flags.dryRun ?? false,
      includeKept: flags.includeKept ?? false,
      ...(flags.olderThan ? { olderThanMs: parseAge(flags.olderThan) } : {}),
      ...(flags.region ? { region: flags.region } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatSweepReport(report, flags.dryRun ?? false));
    ctx.setExitCode(report.items.some((i) => i.status === 'failed') ? ExitCode.failure : ExitCode.ok);
  });
}
