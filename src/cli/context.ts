import type { LoadedConfig } from '../config/config.js';
import type { SettingsInput } from '../config/settings.js';
import type { Io } from '../render/io.js';
import { settingsFlags, type CommonFlags } from './flags.js';

/** What every command handler gets: where to print, how to set the exit code, its settings. */
export interface CliContext {
  io: Io;
  setExitCode(code: number): void;
  /** The config file (loaded on first use, so --help never reads it). */
  config(options: { config?: string }): Promise<LoadedConfig>;
}

/** The command line's settings: its flags over the config file (config/settings resolves the rest). */
export async function settingsInput(ctx: CliContext, flags: CommonFlags): Promise<SettingsInput> {
  const loaded = await ctx.config(flags);
  return { ...settingsFlags(flags), config: loaded.values };
}
