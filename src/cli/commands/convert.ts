import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.js';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addJsonOption, addTemplatesDirOption, requiredFlag, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

interface ConvertFlags extends CommonFlags {
  out?: string;
  force?: boolean;
}

export function registerConvert(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('convert')
    .description("write templates (Prism's launcher format, or the legacy one) as prism-ami templates, one file per template")
    .argument('<templates...>', 'slugs or paths')
    .option('--out <dir>', 'the folder to write <slug>.yml files to')
    .option('--force', 'overwrite files that exist');
  addTemplatesDirOption(command);
  addJsonOption(command);
  addConfigOption(command);
  command.action(async (templates: string[], flags: ConvertFlags) => {
    const [{ convert }, { formatConvertReport }] = await Promise.all([
      import('../../actions/convert.js'),
      import('../../render/convert-report.js'),
    ]);
    const out = requiredFlag(flags.out, '--out', 'prism ami convert templates/python-ml.yml --out converted/');
    const report = await convert({ ...(await settingsInput(ctx, flags)), templates, out, force: flags.force ?? false });
    await printResult(ctx, flags.json, report, formatConvertReport);
    if (report.templates.every((t) => t.skipped)) ctx.setExitCode(ExitCode.badInput);
  });
}
