import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import {
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

interface BuildFlags {
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
    .option('--log-dir <dir>', 'folder for build logs');
  addJsonOption(command, 'print one JSON event per line on stdout');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (ref: string, flags: BuildFlags) => {
    const [{ build }, { RunTracker }, { createRenderer, pickMode }, { handleInterrupts }] = await Promise.all([
      import('../../actions/build.js'),
      import('../../build/run-tracker.js'),
      import('../../render/run-renderer.js'),
      import('../interrupts.js'),
    ]);
    const config = await ctx.config(flags);
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
      });
      ctx.setExitCode(
        result.status === 'succeeded' || result.status === 'skipped'
          ? ExitCode.ok
          : result.status === 'cancelled'
            ? ExitCode.interrupted
            : (result.error?.exitCode ?? ExitCode.failure),
      );
    } finally {
      renderer.close();
      interrupts.dispose();
    }
  });
}
