import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import {
  addPublishSsmOption,
  addRegistryOption,
  publishSsmFlag,
  type RegistryFlags,
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addProviderOption,
  addTemplatesDirOption,
  architectureFlag,
  providerName,
  templatesDir,
  type CliContext,
} from '../context.js';

interface BuildFlags extends RegistryFlags {
  provider?: string;
  architecture?: string;
  arch?: string;
  region?: string;
  version?: string;
  force?: boolean;
  keepOnFailure?: boolean;
  json?: boolean;
  templatesDir?: string;
  config?: string;
  logDir?: string;
  copyTo?: string;
  instanceProfile?: string;
  subnet?: string;
  dryRun?: boolean;
}

/** `us-east-2,us-west-1` → regions, each checked. */
export async function regionList(text: string | undefined): Promise<string[] | undefined> {
  if (text === undefined) return undefined;
  const { isRegionName } = await import('../../core/types.js');
  const { PrismError } = await import('../../core/errors.js');
  const regions = text.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = regions.filter((r) => !isRegionName(r));
  if (bad.length > 0) throw new PrismError('USAGE', `not a region name: ${bad.join(', ')}`, { hint: 'regions look like us-east-1, separated by commas' });
  return regions;
}

export function registerBuild(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('build')
    .description('build, validate and record one image of a template (one architecture, one region)')
    .argument('<template>', 'slug or path');
  addProviderOption(command);
  addArchitectureOption(command, 'x86_64 or arm64 (local default: this machine\'s)');
  command
    .option('--region <region>', 'region to build in (aws)')
    .option('--version <version>', 'version recorded with the image (default: the template\'s version)')
    .option('--force', 'build even when a validated image with the same fingerprint exists')
    .option('--keep-on-failure', 'keep the build machine when setup or a test fails, to inspect it')
    .option('--log-dir <dir>', 'folder for build logs')
    .option('--copy-to <regions>', 'copy the finished image to these regions, e.g. us-east-2,us-west-1 (aws)')
    .option('--instance-profile <name>', 'instance profile of the build instance; its role needs SSM access (aws)')
    .option('--subnet <id>', 'subnet for the build instance (aws; default: a default subnet of the default VPC)')
    .option('--dry-run', 'check permissions and inputs (EC2 DryRun on every call that creates something); make nothing');
  addJsonOption(command, 'print one JSON event per line on stdout');
  addRegistryOption(command);
  addPublishSsmOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (ref: string, flags: BuildFlags) => {
    const [{ build }, { RunTracker }, { createRenderer, pickMode }, { handleInterrupts }] = await Promise.all([
      import('../../actions/build.js'),
      import('../../engine/run-tracker.js'),
      import('../../render/run-renderer.js'),
      import('../interrupts.js'),
    ]);
    const config = await ctx.config(flags);
    const copyTo = await regionList(flags.copyTo);
    if (flags.dryRun) {
      const [{ dryRunBuild }, { formatDryRunReport }] = await Promise.all([import('../../actions/dry-run.js'), import('../../render/dry-run-report.js')]);
      const architecture = architectureFlag(flags);
      const region = flags.region ?? config.values.region;
      const report = await dryRunBuild({
        template: ref,
        templatesDir: templatesDir(flags.templatesDir, config),
        provider: providerName(flags.provider, config),
        config: config.values,
        signal: new AbortController().signal,
        ...(architecture ? { architecture } : {}),
        ...(region ? { region } : {}),
        ...(flags.subnet ? { subnet: flags.subnet } : {}),
        ...(flags.instanceProfile ? { instanceProfile: flags.instanceProfile } : {}),
        ...(copyTo ? { copyTo } : {}),
      });
      ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatDryRunReport(report));
      ctx.setExitCode(report.checks.every((c) => c.ok) ? ExitCode.ok : ExitCode.badInput);
      return;
    }
    const publishSsm = publishSsmFlag(flags, config);
    const { openRecorder } = await import('../../actions/registry-recorder.js');
    const recorder = await openRecorder({ ...(flags.registry ? { registry: flags.registry } : {}), ...(publishSsm !== undefined ? { publishSsm } : {}), config: config.values });
    const hooks = recorder.hooks();
    const tracker = new RunTracker();
    const renderer = createRenderer(pickMode(ctx.io, flags.json ?? false), ctx.io);
    const interrupts = handleInterrupts(ctx.io, tracker);
    try {
      const architecture = architectureFlag(flags);
      const region = flags.region ?? config.values.region;
      const logDir = flags.logDir ?? config.values.logDir;
      const result = await build({
        template: ref,
        templatesDir: templatesDir(flags.templatesDir, config),
        provider: providerName(flags.provider, config),
        config: config.values,
        emit: renderer.sink,
        signal: interrupts.signal,
        tracker,
        force: flags.force ?? false,
        keepOnFailure: flags.keepOnFailure ?? false,
        ...(architecture ? { architecture } : {}),
        ...(region ? { region } : {}),
        ...(flags.version ? { version: flags.version } : {}),
        ...(logDir ? { logDir } : {}),
        ...(copyTo ? { copyTo } : {}),
        ...(flags.subnet ? { subnet: flags.subnet } : {}),
        ...(flags.instanceProfile ? { instanceProfile: flags.instanceProfile } : {}),
        onImage: hooks.onImage,
        onCopy: hooks.onCopy,
      });
      ctx.setExitCode(
        result.status === 'succeeded' || result.status === 'skipped'
          ? ExitCode.ok
          : result.status === 'cancelled'
            ? ExitCode.interrupted
            : result.status === 'partial'
              ? ExitCode.partial
              : (result.error?.exitCode ?? ExitCode.failure),
      );
    } finally {
      renderer.close();
      interrupts.dispose();
      recorder.close();
    }
  });
}
