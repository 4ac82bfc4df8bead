import type { Command } from 'commander';
import {
  addConfigOption,
  addJsonOption,
  addPublishSsmOption,
  addRegistryOption,
  addTemplatesDirOption,
  publishSsmFlag,
  registryFlags,
  requiredFlag,
  templatesDir,
  type CliContext,
  type RegistryFlags,
} from '../context.js';

interface RevokeFlags extends RegistryFlags {
  ami?: string;
  reason?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerRevoke(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('revoke')
    .description('revoke an image: never resolved again, skipped by rollback; if it was current, the previous valid image becomes current')
    .argument('<template>', 'slug')
    .option('--ami <id>', 'the image to revoke')
    .option('--reason <text>', 'why (kept in the registry history)');
  addPublishSsmOption(command);
  addRegistryOption(command);
  addJsonOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (template: string, flags: RevokeFlags) => {
    const [{ revokeImage }, { formatRevoke }] = await Promise.all([import('../../actions/revoke.js'), import('../../render/registry-report.js')]);
    const config = await ctx.config(flags);
    const report = await revokeImage({
      ...registryFlags(flags, config),
      template,
      amiId: requiredFlag(flags.ami, '--ami', 'name the image: --ami ami-0123456789abcdef0'),
      templatesDir: templatesDir(flags.templatesDir, config),
      publishSsm: publishSsmFlag(flags, config),
      ...(flags.reason ? { reason: flags.reason } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatRevoke(report));
  });
}
