import type { Command } from 'commander';
import {
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addPublishSsmOption,
  addRegistryOption,
  addTemplatesDirOption,
  publishSsmFlag,
  registryFlags,
  templatesDir,
  requiredSlot,
  type CliContext,
  type RegistryFlags,
} from '../context.js';

interface RollbackFlags extends RegistryFlags {
  region?: string;
  architecture?: string;
  arch?: string;
  to?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerRollback(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('rollback')
    .description('make the previous validated, non-revoked image current again (or the one named with --to)')
    .argument('<template>', 'slug')
    .option('--region <region>', 'region (default: region in the config)');
  addArchitectureOption(command);
  command.option('--to <ami>', 'the image to make current (any recorded image that is not revoked or deleted)');
  addPublishSsmOption(command);
  addRegistryOption(command);
  addJsonOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (template: string, flags: RollbackFlags) => {
    const [{ rollbackImage }, { formatRollback }] = await Promise.all([import('../../actions/rollback.js'), import('../../render/registry-report.js')]);
    const config = await ctx.config(flags);
    const report = await rollbackImage({
      ...registryFlags(flags, config),
      template,
      ...requiredSlot(flags, config),
      templatesDir: templatesDir(flags.templatesDir, config),
      publishSsm: publishSsmFlag(flags, config),
      ...(flags.to ? { to: flags.to } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatRollback(report));
  });
}
