import type { Command } from 'commander';
import {
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addProviderOption,
  addRegistryOption,
  addTemplatesDirOption,
  architectureFlag,
  providerName,
  registryFlags,
  templatesDir,
  type CliContext,
  type RegistryFlags,
} from '../context.js';

interface ListFlags extends RegistryFlags {
  provider?: string;
  template?: string;
  region?: string;
  architecture?: string;
  arch?: string;
  all?: boolean;
  json?: boolean;
  config?: string;
  templatesDir?: string;
}

export function registerList(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('list')
    .description('list the current images of the registry (--all: every image with its status); --provider local lists the local image store')
    .option('--template <slug>', 'only this template')
    .option('--region <region>', 'only this region');
  addArchitectureOption(command, 'only this architecture: x86_64 or arm64');
  command.option('--all', 'include every image of the history, with its status (current, superseded, revoked, deleted)');
  addProviderOption(command);
  addRegistryOption(command);
  addJsonOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (flags: ListFlags) => {
    const config = await ctx.config(flags);
    const architecture = architectureFlag(flags);
    if (providerName(flags.provider, config) === 'local') {
      const [{ listLocalImages }, { formatLocalImages }] = await Promise.all([import('../../actions/list-local.js'), import('../../render/image-table.js')]);
      const images = await listLocalImages({ config: config.values, ...(flags.template ? { template: flags.template } : {}), ...(architecture ? { architecture } : {}) });
      ctx.io.out(flags.json ? `${JSON.stringify(images, null, 2)}\n` : formatLocalImages(images, ctx.io.color));
      return;
    }
    const [{ listRegistry }, { formatRegistryImages }] = await Promise.all([import('../../actions/list-registry.js'), import('../../render/registry-table.js')]);
    // --region filters only when given: the config's region is where builds go, not a filter.
    const listing = await listRegistry({
      ...registryFlags(flags, config),
      templatesDir: templatesDir(flags.templatesDir, config),
      all: flags.all ?? false,
      ...(flags.template ? { template: flags.template } : {}),
      ...(flags.region ? { region: flags.region } : {}),
      ...(architecture ? { architecture } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(listing.images, null, 2)}\n` : formatRegistryImages(listing.images, { all: flags.all ?? false, registry: listing.registry, color: ctx.io.color }));
  });
}
