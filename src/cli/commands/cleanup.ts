import type { Command } from 'commander';
import { PrismError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addJsonOption, addProviderOption, addRegistryOption, countFlag, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

interface CleanupFlags extends CommonFlags {
  keepLatest: string;
  template?: string;
  dryRun?: boolean;
  yes?: boolean;
}

export function registerCleanup(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('cleanup')
    .description('delete old images: keep the N newest per template, region and architecture, the current one, pinned ones and any in use')
    .requiredOption('--keep-latest <n>', 'images to keep per template, region and architecture, besides the current one')
    .option('--template <slug>', 'only this template')
    .option('--region <region>', 'only this region (default: every configured region and every region in the registry)')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--yes', 'delete without asking (needed when not on a terminal)');
  addProviderOption(command);
  addRegistryOption(command);
  addJsonOption(command);
  addConfigOption(command);
  command.action(async (flags: CleanupFlags) => {
    const [{ cleanup }, { formatCleanupReport }] = await Promise.all([
      import('../../actions/cleanup.js'),
      import('../../render/cleanup-report.js'),
    ]);
    const keepLatest = countFlag('--keep-latest', flags.keepLatest, { min: 0, max: 1000 });
    const input = await settingsInput(ctx, flags);
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    if (!flags.dryRun && !flags.yes && !interactive) {
      throw new PrismError('USAGE', 'cleanup deletes images: without a terminal to confirm on, pass --yes (or --dry-run to see the list)', {
        hint: 'prism ami cleanup --keep-latest 3 --dry-run',
      });
    }
    const report = await cleanup({
      ...input,
      keepLatest,
      dryRun: flags.dryRun ?? false,
      ...(flags.template ? { template: flags.template } : {}),
      confirm: async (toDelete) => {
        if (flags.yes) return true;
        ctx.io.out(formatCleanupReport({ items: toDelete, confirmed: false }, true, ctx.io.color));
        const { createInterface } = await import('node:readline/promises');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          const answer = await rl.question(`Delete these ${toDelete.length} images and their snapshots? [y/N] `);
          return /^y(es)?$/i.test(answer.trim());
        } finally {
          rl.close();
        }
      },
    });
    await printResult(ctx, flags.json, report, (r) => formatCleanupReport(r, flags.dryRun ?? false, ctx.io.color));
    ctx.setExitCode(report.items.some((i) => i.status === 'failed') ? ExitCode.failure : ExitCode.ok);
  });
}
