import type { Command } from 'commander';
import { resolveSettings } from '../../config/settings.js';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addJsonOption, addTemplatesDirOption, architectureList, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

interface ChangedFlags extends CommonFlags {
  since?: string;
  templates?: string;
  architectures?: string;
}

export function registerChanged(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('changed')
    .description(
      'the templates to build after a change: those whose files changed since REF, every template that extends one of them, all of them when a shared folder changed',
    )
    .option(
      '--since <ref>',
      'compare HEAD with this commit, tag or branch (default: the merge base with the default branch; on the default branch, the previous commit)',
    )
    .option('--templates <list>', 'select these templates (comma-separated) or all, with those that extend them, instead of asking git')
    .option('--architectures <list>', "only these architectures in the matrix, e.g. x86_64 (default: each template's own)");
  addJsonOption(command, 'print {templates, removed, matrix: {include: [{template, architecture}]}, ...} for a GitHub Actions matrix');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (flags: ChangedFlags) => {
    const [{ changed }, { formatChanged }] = await Promise.all([
      import('../../actions/changed.js'),
      import('../../render/changed-report.js'),
    ]);
    const settings = resolveSettings(await settingsInput(ctx, flags));
    const architectures =
      flags.architectures !== undefined ? architectureList('--architectures', flags.architectures) : settings.architectures;
    const report = await changed({
      templatesDir: settings.templatesDir,
      ...(flags.since !== undefined ? { since: flags.since } : {}),
      ...(flags.templates !== undefined ? { templates: flags.templates } : {}),
      ...(settings.sharedPaths ? { sharedPaths: settings.sharedPaths } : {}),
      ...(architectures ? { architectures } : {}),
    });
    await printResult(ctx, flags.json, report, (r) => formatChanged(r, ctx.io.color));
  });
}
