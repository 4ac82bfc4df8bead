import { Option, type Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import { addConfigOption, addTemplatesDirOption, templatesDir, type CliContext } from '../context.js';

interface LintFlags {
  templatesDir?: string;
  config?: string;
  strict?: boolean;
  format: string;
  json?: boolean;
  shellcheck: boolean;
}

export function registerLint(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('lint')
    .description('check templates: schema, extends, setup-script security and reliability rules (and shellcheck when installed)')
    .argument('[templates...]', 'slugs or paths (default: every template in the templates folder)')
    .option('--strict', 'exit 1 when there are warnings')
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .option('--no-shellcheck', 'do not run shellcheck even when it is installed');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (templates: string[], flags: LintFlags) => {
    const [{ lint }, { formatLintReport }] = await Promise.all([import('../../actions/lint.js'), import('../../render/lint-report.js')]);
    const config = await ctx.config(flags);
    const report = await lint({
      templates,
      templatesDir: templatesDir(flags.templatesDir, config),
      shellcheck: flags.shellcheck,
      ...(config.values.lint?.disable ? { disable: config.values.lint.disable } : {}),
    });
    if (flags.json || flags.format === 'json') ctx.io.out(`${JSON.stringify(report, null, 2)}\n`);
    else ctx.io.out(formatLintReport(report, ctx.io.color));
    ctx.setExitCode(report.errors > 0 ? ExitCode.badInput : report.warnings > 0 && flags.strict ? ExitCode.failure : ExitCode.ok);
  });
}
