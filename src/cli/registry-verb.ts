import type { Command } from 'commander';
import type { SettingsInput } from '../config/settings.js';
import type { Architecture } from '../core/types.js';
import { settingsInput, type CliContext } from './context.js';
import {
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addPublishSsmOption,
  addRegionOption,
  addRegistryOption,
  addTemplatesDirOption,
  architectureFlag,
  requiredFlag,
  type CommonFlags,
} from './flags.js';
import { printResult, type HumanText } from './output.js';

export interface RegistryVerb<Arg, Flags, Report> {
  name: string;
  description: string;
  /** The positional argument, as commander declares it (`<template>`, `[templates...]`). */
  arg?: [string, string];
  /** The verb's own options. */
  options?: (command: Command) => void;
  /** Adds --region and --architecture (the slot the verb acts on); `required`: both must be given. */
  slot?: 'required' | 'optional';
  /** Adds --publish-ssm / --no-publish-ssm. */
  publish?: boolean;
  json?: string;
  run(
    arg: Arg,
    flags: Flags & CommonFlags,
    input: SettingsInput & { slot: Partial<{ region: string; architecture: Architecture }> },
  ): Promise<Report>;
  /** The text form of the report (the JSON form is the report itself). */
  human(report: Report, ctx: CliContext, flags: Flags & CommonFlags): HumanText | Promise<HumanText>;
  /** An exit code from the report (default 0). */
  exitCode?(report: Report, flags: Flags & CommonFlags): number;
}

/**
 * Declares a verb that reads or changes the registry (resolve, rollback, revoke, update-registry,
 * import-legacy, publish-ssm, update-templates, list): the shared options in one order, settings
 * from flags and the config file, and the report printed as text or --json.
 */
export function registerRegistryVerb<Arg, Flags, Report>(
  parent: Command,
  ctx: CliContext,
  verb: RegistryVerb<Arg, Flags, Report>,
): Command {
  const command = parent.command(verb.name).description(verb.description);
  if (verb.arg) command.argument(...verb.arg);
  if (verb.slot) {
    addRegionOption(command);
    addArchitectureOption(command);
  }
  verb.options?.(command);
  if (verb.publish) addPublishSsmOption(command);
  addRegistryOption(command);
  addJsonOption(command, verb.json);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (...values: unknown[]) => {
    const arg = (verb.arg ? values[0] : undefined) as Arg;
    const flags = values[verb.arg ? 1 : 0] as Flags & CommonFlags;
    const input = await settingsInput(ctx, flags);
    const region = input.region ?? input.config?.region;
    const architecture = architectureFlag(flags);
    const slot =
      verb.slot === 'required'
        ? {
            region: requiredFlag(region, '--region', 'e.g. --region us-east-1 (or region in the config)'),
            architecture: requiredFlag(architecture, '--architecture', 'x86_64 or arm64'),
          }
        : { ...(region ? { region } : {}), ...(architecture ? { architecture } : {}) };
    const report = await verb.run(arg, flags, { ...input, slot });
    await printResult(ctx, flags.json, report, (r) => verb.human(r, ctx, flags));
    const code = verb.exitCode?.(report, flags);
    if (code !== undefined) ctx.setExitCode(code);
  });
  return command;
}
