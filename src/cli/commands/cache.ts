import type { Command } from 'commander';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addJsonOption, ageFlag, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

interface PruneFlags extends CommonFlags {
  all?: boolean;
  olderThan?: string;
}

/** `prism ami cache list|prune`: the local step cache. */
export function registerCache(ami: Command, ctx: CliContext): void {
  const cache = ami
    .command('cache')
    .description(
      'the local step cache: the file system after each setup step, so a rebuild runs only the steps from the first changed one',
    );
  const list = cache.command('list').description('what the step cache holds, the most recently used first');
  addJsonOption(list);
  addConfigOption(list);
  list.action(async (flags: CommonFlags) => {
    const [{ listStepCache }, { formatStepCache }] = await Promise.all([
      import('../../actions/step-cache.js'),
      import('../../render/step-cache-report.js'),
    ]);
    await printResult(ctx, flags.json, await listStepCache(await settingsInput(ctx, flags)), formatStepCache);
  });
  const prune = cache
    .command('prune')
    .description('remove step cache entries: those over the size bound (local.stepCacheMaxGb), and with flags more')
    .option('--all', 'remove every entry')
    .option('--older-than <age>', 'remove entries no build started from for this long (e.g. 7d)');
  addJsonOption(prune);
  addConfigOption(prune);
  prune.action(async (flags: PruneFlags) => {
    const [{ pruneStepCache }, { formatStepCachePrune }] = await Promise.all([
      import('../../actions/step-cache.js'),
      import('../../render/step-cache-report.js'),
    ]);
    const olderThanMs = flags.olderThan !== undefined ? ageFlag('--older-than', flags.olderThan) : undefined;
    const report = await pruneStepCache({
      ...(await settingsInput(ctx, flags)),
      ...(flags.all ? { all: true } : {}),
      ...(olderThanMs !== undefined ? { olderThanMs } : {}),
    });
    await printResult(ctx, flags.json, report, formatStepCachePrune);
  });
  for (const command of cache.commands) command.exitOverride().showSuggestionAfterError(true);
}
