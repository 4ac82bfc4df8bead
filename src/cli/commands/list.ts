import type { Command } from 'commander';
import { resolveSettings } from '../../config/settings.js';
import { settingsInput, type CliContext } from '../context.js';
import {
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addProviderOption,
  addRegistryOption,
  addTemplatesDirOption,
  architectureFlag,
  type CommonFlags,
} from '../flags.js';
import { printResult } from '../output.js';

interface ListFlags extends CommonFlags {
  template?: string;
  all?: boolean;
}

export function registerList(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('list')
    .description(
      'list the current images of the registry (--all: every image with its status); --provider local lists the local image store',
    )
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
    // --region filters only when given: the config's region is where builds go, not a filter.
    const { region, ...input } = await settingsInput(ctx, flags);
    const architecture = architectureFlag(flags);
    const filter = { ...(flags.template ? { template: flags.template } : {}), ...(architecture ? { architecture } : {}) };
    if (resolveSettings(input).provider === 'local') {
      const [{ listLocalImages }, { formatLocalImages }] = await Promise.all([
        import('../../actions/list-local.js'),
        import('../../render/image-table.js'),
      ]);
      await printResult(ctx, flags.json, await listLocalImages({ ...input, ...filter }), (images) =>
        formatLocalImages(images, ctx.io.color),
      );
      return;
    }
    const [{ listRegistry }, { formatRegistryImages }] = await Promise.all([
      import('../../actions/list-registry.js'),
      import('../../render/registry-table.js'),
    ]);
    const listing = await listRegistry({ ...input, ...filter, all: flags.all ?? false, ...(region ? { region } : {}) });
    await printResult(ctx, flags.json, listing.images, (images) =>
      formatRegistryImages(images, { all: flags.all ?? false, registry: listing.registry, color: ctx.io.color }),
    );
  });
}
