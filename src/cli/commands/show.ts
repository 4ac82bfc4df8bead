import type { Command } from 'commander';
import { addConfigOption, addJsonOption, addTemplatesDirOption, templatesDir, type CliContext } from '../context.js';

interface ShowFlags {
  templatesDir?: string;
  config?: string;
  json?: boolean;
}

export function registerShow(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('show')
    .description('print a template after extends is resolved, with its slug and fingerprints')
    .argument('<template>', 'slug or path');
  addTemplatesDirOption(command);
  addJsonOption(command);
  addConfigOption(command);
  command.action(async (ref: string, flags: ShowFlags) => {
    const [{ show }, { formatTemplateSummary }] = await Promise.all([import('../../actions/show.js'), import('../../render/template-view.js')]);
    const config = await ctx.config(flags);
    const summary = await show(ref, { templatesDir: templatesDir(flags.templatesDir, config) });
    ctx.io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatTemplateSummary(summary));
  });
}
