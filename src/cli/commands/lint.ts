import { Option, type Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addTemplatesDirOption, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

interface LintFlags extends CommonFlags {
  strict?: boolean;
  format: string;
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
    const report = await lint({ ...(await settingsInput(ctx, flags)), templates, shellcheck: flags.shellcheck });
    await printResult(ctx, flags.json || flags.format === 'json', report, (r) => formatLintReport(r, ctx.io.color));
    ctx.setExitCode(report.errors > 0 ? ExitCode.badInput : report.warnings > 0 && flags.strict ? ExitCode.failure : ExitCode.ok);
  });
}
