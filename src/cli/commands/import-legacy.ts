import type { Command } from 'commander';
import {
  addConfigOption,
  addJsonOption,
  addPublishSsmOption,
  addRegistryOption,
  addTemplatesDirOption,
  publishSsmFlag,
  registryFlags,
  templatesDir,
  type CliContext,
  type RegistryFlags,
} from '../context.js';

interface ImportLegacyFlags extends RegistryFlags {
  template?: string;
  validated?: boolean;
  replace?: boolean;
  allowUnknownTemplates?: boolean;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerImportLegacy(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('import-legacy')
    .description('import hard-coded AMI IDs (JSON, or the Go map literal of the old launcher) into the registry as version "legacy"')
    .argument('<file>', 'JSON {template: {region: {arch: ami}}} or {region: {arch: ami}} (with --template), or Go source with map[string]map[string]string literals')
    .option('--template <slug>', 'the template of a file that maps regions directly; or the one template to take from a file of several')
    .option('--validated', 'record the images as validated (default: not validated)')
    .option('--replace', 'make the imported images current even where the registry already has a current image')
    .option('--allow-unknown-templates', 'import templates that are neither in the templates folder nor in the registry');
  addPublishSsmOption(command);
  addRegistryOption(command);
  addJsonOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (file: string, flags: ImportLegacyFlags) => {
    const [{ importLegacy }, { formatImport }] = await Promise.all([import('../../actions/import-legacy.js'), import('../../render/registry-report.js')]);
    const config = await ctx.config(flags);
    const report = await importLegacy({
      ...registryFlags(flags, config),
      file,
      templatesDir: templatesDir(flags.templatesDir, config),
      publishSsm: publishSsmFlag(flags, config),
      validated: flags.validated ?? false,
      replace: flags.replace ?? false,
      allowUnknownTemplates: flags.allowUnknownTemplates ?? false,
      ...(flags.template ? { template: flags.template } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatImport(report));
  });
}
