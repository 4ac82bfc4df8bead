import type { Command } from 'commander';
import {
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addRegistryOption,
  addTemplatesDirOption,
  registryFlags,
  templatesDir,
  requiredSlot,
  type CliContext,
  type RegistryFlags,
} from '../context.js';

interface ResolveFlags extends RegistryFlags {
  region?: string;
  architecture?: string;
  arch?: string;
  fallback?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerResolve(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('resolve')
    .description('print the current AMI ID of a template, region and architecture, and nothing else (for scripts); exit 2 when there is none')
    .argument('<template>', 'slug')
    .option('--region <region>', 'region (default: region in the config)');
  addArchitectureOption(command);
  command.option('--fallback <file>', 'a hard-coded AMI map (JSON or Go, as import-legacy reads) used when the registry is unavailable or has no entry, with a warning on stderr');
  addRegistryOption(command);
  addJsonOption(command, 'print {"ami_id", "source"} as JSON');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (template: string, flags: ResolveFlags) => {
    const { resolveImage } = await import('../../actions/resolve.js');
    const config = await ctx.config(flags);
    const resolved = await resolveImage({
      ...registryFlags(flags, config),
      template,
      ...requiredSlot(flags, config),
      templatesDir: templatesDir(flags.templatesDir, config),
      ...(flags.fallback ? { fallback: flags.fallback } : {}),
    });
    if (resolved.warning) ctx.io.err(`warning: ${resolved.warning}\n`);
    ctx.io.out(flags.json ? `${JSON.stringify({ ami_id: resolved.amiId, source: resolved.source }, null, 2)}\n` : `${resolved.amiId}\n`);
  });
}
