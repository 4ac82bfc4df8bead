import type { Command } from 'commander';
import { addArchitectureOption, addConfigOption, addJsonOption, addProviderOption, architectureFlag, providerName, type CliContext } from '../context.js';

interface ListFlags {
  provider?: string;
  template?: string;
  architecture?: string;
  arch?: string;
  json?: boolean;
  config?: string;
}

export function registerList(ami: Command, ctx: CliContext): void {
  const command = ami.command('list').description('list built images').option('--template <slug>', 'only this template');
  addProviderOption(command);
  addArchitectureOption(command);
  addJsonOption(command);
  addConfigOption(command);
  command.action(async (flags: ListFlags) => {
    const config = await ctx.config(flags);
    const provider = providerName(flags.provider, config);
    if (provider !== 'local') {
      const { PrismError } = await import('../../core/errors.js');
      throw new PrismError('USAGE', 'listing AWS images needs the registry, which this version does not have', { hint: 'use --provider local' });
    }
    const [{ listLocalImages }, { formatLocalImages }] = await Promise.all([import('../../actions/list-local.js'), import('../../render/image-table.js')]);
    const architecture = architectureFlag(flags);
    const images = await listLocalImages({ config: config.values, ...(flags.template ? { template: flags.template } : {}), ...(architecture ? { architecture } : {}) });
    ctx.io.out(flags.json ? `${JSON.stringify(images, null, 2)}\n` : formatLocalImages(images, ctx.io.color));
  });
}
