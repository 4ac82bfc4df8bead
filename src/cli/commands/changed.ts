import type { Command } from 'commander';
import { addConfigOption, addJsonOption, addTemplatesDirOption, architectureList, templatesDir, type CliContext } from '../context.js';

interface ChangedFlags {
  since?: string;
  templates?: string;
  architectures?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerChanged(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('changed')
    .description('the templates to build after a change: those whose files changed since REF, every template that extends one of them, all of them when a shared folder changed')
    .option('--since <ref>', 'compare HEAD with this commit, tag or branch (default: the merge base with the default branch; on the default branch, the previous commit)')
    .option('--templates <list>', 'select these templates (comma-separated) or all, with those that extend them, instead of asking git')
    .option('--architectures <list>', 'only these architectures in the matrix, e.g. x86_64 (default: each template\'s own)');
  addJsonOption(command, 'print {templates, removed, matrix: {include: [{template, architecture}]}, ...} for a GitHub Actions matrix');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (flags: ChangedFlags) => {
    const [{ changed }, { formatChanged }] = await Promise.all([
      import('../../actions/changed.js'),
      import('../../render/changed-report.js'),
    ]);
    const config = await ctx.config(flags);
    const architectures = architectureList(flags.architectures) ?? config.values.architectures;
    const report = await changed({
      templatesDir: templatesDir(flags.templatesDir, config),
      ...(flags.since !== undefined ? { since: flags.since } : {}),
      ...(flags.templates !== undefined ? { templates: flags.templates } : {}),
      ...(config.values.sharedPaths ? { sharedPaths: config.values.sharedPaths } : {}),
      ...(architectures ? { architectures } : {}),
    });
    if (flags.json) {
      ctx.io.out(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const { out, err } = formatChanged(report, ctx.io.color);
    ctx.io.out(out);
    ctx.io.err(err);
  });
}
