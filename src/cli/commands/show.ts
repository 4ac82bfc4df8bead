import type { Command } from 'commander';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption, addJsonOption, addTemplatesDirOption, type CommonFlags } from '../flags.js';
import { printResult } from '../output.js';

export function registerShow(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('show')
    .description('print a template after extends is resolved, with its slug and fingerprints')
    .argument('<template>', 'slug or path');
  addTemplatesDirOption(command);
  addJsonOption(command);
  addConfigOption(command);
  command.action(async (ref: string, flags: CommonFlags) => {
    const [{ show }, { formatTemplateSummary }] = await Promise.all([
      import('../../actions/show.js'),
      import('../../render/template-view.js'),
    ]);
    await printResult(ctx, flags.json, await show(ref, await settingsInput(ctx, flags)), formatTemplateSummary);
  });
}
