import type { Command } from 'commander';
import { exitCodeOfRun, ExitCode } from '../../core/exit-codes.js';
import { settingsInput, type CliContext } from '../context.js';
import {
  addMachineOptions,
  addPublishSsmOption,
  addRetestOption,
  addStepCacheOption,
  addRunOutputOptions,
  architectureFlag,
  type CommonFlags,
} from '../flags.js';
import { printResult } from '../output.js';
import { withRunUi } from '../run-ui.js';

interface BuildFlags extends CommonFlags {
  allowLintErrors?: boolean;
  version?: string;
  force?: boolean;
  keepOnFailure?: boolean;
  dryRun?: boolean;
  retest: boolean;
  cache: boolean;
}

export function registerBuild(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('build')
    .description('build, validate and record one image of a template (one architecture, one region)')
    .argument('<template>', 'slug or path');
  addMachineOptions(command, 'build', "x86_64 or arm64 (local default: this machine's)")
    .option('--version <version>', "version recorded with the image (default: the template's version)")
    .option('--force', 'build even when a validated image with the same fingerprint exists')
    .option('--keep-on-failure', 'keep the machine a setup step or test failed on (and the image a failed re-test booted), to inspect it')
    .option('--copy-to <regions>', 'copy the finished image to these regions, e.g. us-east-2,us-west-1 (aws)')
    .option('--dry-run', 'check permissions and inputs (EC2 DryRun on every call that creates something); make nothing')
    .option('--allow-lint-errors', 'build even when the template has lint errors (they are printed as warnings)');
  addRetestOption(command);
  addStepCacheOption(command);
  addPublishSsmOption(command);
  addRunOutputOptions(command);
  command.action(async (ref: string, flags: BuildFlags) => {
    const input = await settingsInput(ctx, flags);
    const architecture = architectureFlag(flags);
    if (flags.dryRun) {
      const [{ dryRunBuild }, { formatDryRunReport }] = await Promise.all([
        import('../../actions/dry-run.js'),
        import('../../render/dry-run-report.js'),
      ]);
      const report = await dryRunBuild({
        ...input,
        template: ref,
        signal: new AbortController().signal,
        ...(architecture ? { architecture } : {}),
      });
      await printResult(ctx, flags.json, report, formatDryRunReport);
      ctx.setExitCode(report.checks.every((c) => c.ok) ? ExitCode.ok : ExitCode.badInput);
      return;
    }
    const { build } = await import('../../actions/build.js');
    await withRunUi(ctx, { json: flags.json ?? false }, async (ui) => {
      const result = await build({
        ...input,
        template: ref,
        emit: ui.sink,
        signal: ui.signal,
        tracker: ui.tracker,
        force: flags.force ?? false,
        keepOnFailure: flags.keepOnFailure ?? false,
        retest: flags.retest,
        stepCache: flags.cache,
        allowLintErrors: flags.allowLintErrors ?? false,
        ...(architecture ? { architecture } : {}),
        ...(flags.version ? { version: flags.version } : {}),
      });
      ctx.setExitCode(exitCodeOfRun(result.status, result.status === 'skipped' ? undefined : result.error));
    });
  });
}
