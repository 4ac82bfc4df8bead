import { Option, type Command } from 'commander';
import { PrismError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { addConfigOption, addJsonOption, addRegistryOption, addTemplatesDirOption, registryFlags, templatesDir, type CliContext, type RegistryFlags } from '../context.js';

interface UpdateTemplatesFlags extends RegistryFlags {
  check?: boolean;
  format?: 'go' | 'ts' | 'json';
  out?: string;
  goPackage?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerUpdateTemplates(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('update-templates')
    .description('write each template\'s current images from the registry into its amis: block (only that block changes), or the whole map as code with --format')
    .argument('[templates...]', 'slugs or paths (default: every template in the templates folder; with --format, every template in the registry)')
    .option('--check', 'write nothing; exit 1 when a template (or the --out file) is out of date (for CI)')
    .addOption(new Option('--format <format>', 'write the map as code instead: go (the seed\'s map[string]map[string]string per template), ts or json').choices(['go', 'ts', 'json']))
    .option('--out <file>', 'where --format writes (default: stdout)')
    .option('--go-package <name>', 'package name of --format go (default amis)');
  addRegistryOption(command);
  addJsonOption(command, 'print the report as JSON');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (templates: string[], flags: UpdateTemplatesFlags) => {
    const [{ updateTemplates }, { formatUpdateTemplates }] = await Promise.all([import('../../actions/update-templates.js'), import('../../render/registry-report.js')]);
    if (flags.out && !flags.format) throw new PrismError('USAGE', '--out needs --format', { hint: 'e.g. --format go --out internal/amis/amis_gen.go' });
    const config = await ctx.config(flags);
    const report = await updateTemplates({
      ...registryFlags(flags, config),
      templates,
      templatesDir: templatesDir(flags.templatesDir, config),
      check: flags.check ?? false,
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.out ? { out: flags.out } : {}),
      ...(flags.goPackage ? { goPackage: flags.goPackage } : {}),
    });
    if (flags.json) {
      // One JSON document on stdout: the report says what is out of date; the exit code says it too.
      ctx.io.out(`${JSON.stringify(report, null, 2)}\n`);
      if (flags.check && report.outOfDate > 0) ctx.setExitCode(ExitCode.failure);
      return;
    }
    const { out, err } = formatUpdateTemplates(report, flags.check ?? false);
    ctx.io.out(out);
    ctx.io.err(err);
    if (flags.check && report.outOfDate > 0) {
      throw new PrismError('OUT_OF_DATE', `${report.outOfDate} ${report.generated ? 'generated file is' : report.outOfDate === 1 ? 'template is' : 'templates are'} out of date with the registry`, {
        hint: `run prism ami update-templates${report.generated ? ` --format ${report.generated.format} --out ${report.generated.file}` : ''} and commit the result`,
      });
    }
  });
}
