import type { Command } from 'commander';
import { exitCodeOfRun } from '../../core/exit-codes.js';
import { settingsInput, type CliContext } from '../context.js';
import { addMachineOptions, addPublishSsmOption, addRunOutputOptions, architectureFlag, type CommonFlags } from '../flags.js';
import { withRunUi } from '../run-ui.js';

interface ValidateFlags extends CommonFlags {
  image?: string;
  ami?: string;
}

export function registerValidate(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('validate')
    .description(
      "boot a fresh machine from an image, run the template's tests on it again, and record the result (every architecture without --architecture); a failed image is taken out of service",
    )
    .argument('<template>', 'slug or path');
  addMachineOptions(command, 'validation')
    .option('--image <id>', 'the image to validate (default: the newest one for this template and architecture)')
    .option('--ami <id>', 'alias of --image');
  addPublishSsmOption(command);
  addRunOutputOptions(command);
  command.action(async (ref: string, flags: ValidateFlags) => {
    const input = await settingsInput(ctx, flags);
    const { validate } = await import('../../actions/validate.js');
    const architecture = architectureFlag(flags);
    const image = flags.image ?? flags.ami;
    await withRunUi(ctx, { json: flags.json ?? false }, async (ui) => {
      const result = await validate({
        ...input,
        template: ref,
        emit: ui.sink,
        signal: ui.signal,
        tracker: ui.tracker,
        ...(architecture ? { architecture } : {}),
        ...(image ? { image } : {}),
      });
      const failed = result.results.find((r) => r.status !== 'succeeded');
      ctx.setExitCode(exitCodeOfRun(result.status, failed?.error));
    });
  });
}
