import type { Command } from 'commander';
import { addConfigOption, addJsonOption, addRegistryOption, addTemplatesDirOption, registryFlags, templatesDir, type CliContext, type RegistryFlags } from '../context.js';

interface PublishSsmFlags extends RegistryFlags {
  prefix?: string;
  region?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerPublishSsm(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('publish-ssm')
    .description('make the SSM parameters <prefix>/<template>/<arch> show the registry\'s current images (repairs a failed publication; adds no versions where they match)')
    .argument('[templates...]', 'slugs (default: every template in the registry)')
    .option('--prefix <prefix>', 'parameter prefix (default: publishSsm in the config, else /prism/ami)')
    .option('--region <region>', 'only this region');
  addRegistryOption(command);
  addJsonOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (templates: string[], flags: PublishSsmFlags) => {
    const [{ publishSsm }, { formatPublished }] = await Promise.all([import('../../actions/publish-ssm.js'), import('../../render/registry-report.js')]);
    const config = await ctx.config(flags);
    const fromConfig = typeof config.values.publishSsm === 'string' ? config.values.publishSsm : true;
    const report = await publishSsm({
      ...registryFlags(flags, config),
      templates,
      templatesDir: templatesDir(flags.templatesDir, config),
      publishSsm: flags.prefix ?? fromConfig,
      ...(flags.region ? { region: flags.region } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatPublished(report.published) || 'Nothing to publish: the registry has no images.\n');
  });
}
