import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import {
  addRegistryOption,
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

interface ValidateFlags extends RegistryFlags {
  provider?: string;
  architecture?: string;
  arch?: string;
  region?: string;
  image?: string;
  ami?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
  logDir?: string;
  subnet?: string;
  instanceProfile?: string;
}

export function registerValidate(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('validate')
    .description('boot a fresh machine from an image, run the template\'s tests on it again, and record the result')
    .argument('<template>', 'slug or path');
  addProviderOption(command);
  addArchitectureOption(command);
  command
    .option('--region <region>', 'region of the image (aws)')
    .option('--image <id>', 'the image to validate (default: the newest one for this template and architecture)')
    .option('--ami <id>', 'alias of --image')
    .option('--log-dir <dir>', 'folder for logs')
    .option('--instance-profile <name>', 'instance profile of the validation instance (aws)')
    .option('--subnet <id>', 'subnet of the validation instance (aws)');
  addJsonOption(command, 'print one JSON event per line on stdout');
  addRegistryOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (ref: string, flags: ValidateFlags) => {
    const [{ validate }, { RunTracker }, { createRenderer, pickMode }, { handleInterrupts }] = await Promise.all([
      import('../../actions/validate.js'),
      import('../../engine/run-tracker.js'),
      import('../../render/run-renderer.js'),
      import('../interrupts.js'),
    ]);
    const config = await ctx.config(flags);
    const tracker = new RunTracker();
    const renderer = createRenderer(pickMode(ctx.io, flags.json ?? false), ctx.io);
    const interrupts = handleInterrupts(ctx.io, tracker);
    try {
      const architecture = architectureFlag(flags);
      const image = flags.image ?? flags.ami;
      const region = flags.region ?? config.values.region;
      const logDir = flags.logDir ?? config.values.logDir;
      const provider = providerName(flags.provider, config);
      const result = await validate({
        template: ref,
        templatesDir: templatesDir(flags.templatesDir, config),
        provider,
        config: config.values,
        emit: renderer.sink,
        signal: interrupts.signal,
        tracker,
        ...(flags.subnet ? { subnet: flags.subnet } : {}),
        ...(flags.instanceProfile ? { instanceProfile: flags.instanceProfile } : {}),
        ...(flags.registry ? { registry: flags.registry } : {}),
        ...(architecture ? { architecture } : {}),
        ...(image ? { image } : {}),
        ...(region ? { region } : {}),
        ...(logDir ? { logDir } : {}),
      });
      ctx.setExitCode(
        result.status === 'succeeded' ? ExitCode.ok : result.status === 'cancelled' ? ExitCode.interrupted : (result.error?.exitCode ?? ExitCode.failure),
      );
    } finally {
      renderer.close();
      interrupts.dispose();
    }
  });
}
