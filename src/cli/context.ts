import { Option, type Command } from 'commander';
import type { LoadedConfig } from '../config/config.js';
import type { Architecture } from '../core/types.js';
import type { Io } from '../render/io.js';

/** What every command handler gets: where to print, and how to set the exit code. */
export interface CliContext {
  io: Io;
  setExitCode(code: number): void;
  /** The config file (loaded on first use, so --help never reads it). */
  config(options: { config?: string }): Promise<LoadedConfig>;
}

/** Options every verb shares; declared in one place so they mean the same everywhere. */
export function addConfigOption(command: Command): Command {
  return command.option('--config <file>', 'config file (default: ./prism-ami.config.yaml, or $PRISM_AMI_CONFIG)');
}

export function addTemplatesDirOption(command: Command): Command {
  return command.option('--templates-dir <dir>', 'folder of template files (default: ./templates, or templatesDir in the config)');
}

export function addJsonOption(command: Command, what = 'print JSON on stdout instead of text'): Command {
  return command.option('--json', what);
}

/** The templates folder: the flag, else the config file, else ./templates. */
export function templatesDir(flag: string | undefined, config: LoadedConfig): string {
  return flag ?? config.values.templatesDir ?? 'templates';
}

export function addProviderOption(command: Command): Command {
  return command.addOption(
    new Option('--provider <name>', 'where to build: aws, or local (debootstrap + systemd-nspawn, needs root); default aws or provider in the config').choices(['aws', 'local']),
  );
}

/** `--architecture` with the seed's `--arch` alias. */
export function addArchitectureOption(command: Command, description = 'x86_64 or arm64'): Command {
  command.addOption(new Option('--architecture <arch>', description).choices(['x86_64', 'arm64']));
  command.addOption(new Option('--arch <arch>', 'alias of --architecture').choices(['x86_64', 'arm64']).hideHelp());
  return command;
}

export function architectureFlag(flags: { architecture?: string; arch?: string }): Architecture | undefined {
  return (flags.architecture ?? flags.arch) as Architecture | undefined;
}

export function providerName(flag: string | undefined, config: LoadedConfig): 'aws' | 'local' {
  return (flag ?? config.values.provider ?? 'aws') as 'aws' | 'local';
}
