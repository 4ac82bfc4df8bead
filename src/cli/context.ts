import { Option, type Command } from 'commander';
import type { LoadedConfig } from '../config/config.js';
import { PrismError } from '../core/errors.js';
import { checkSsmPrefix } from '../registry/publish-ssm.js';
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

/** `--registry` and `--lock-timeout`: which registry, and how long to wait for its lock. */
export function addRegistryOption(command: Command): Command {
  return command
    .option('--registry <location>', 'the registry: file:PATH (a plain path is a file) or s3://bucket/key (default: $PRISM_AMI_REGISTRY, registry in the config, else ./ami-registry.json)')
    .option('--lock-timeout <seconds>', 'how long to wait for another process holding a file registry\'s lock (default 30)');
}

/** `--publish-ssm [prefix]` (default prefix /prism/ami; or publishSsm in the config) and `--no-publish-ssm`. */
export function addPublishSsmOption(command: Command): Command {
  return command
    .option('--publish-ssm [prefix]', 'also write each changed current image to SSM Parameter Store as <prefix>/<template>/<arch> in its region (default prefix /prism/ami)')
    .option('--no-publish-ssm', 'do not publish to SSM, even when publishSsm is set in the config');
}

export interface RegistryFlags {
  registry?: string;
  lockTimeout?: string;
  publishSsm?: boolean | string;
}

/** The registry the flags and config select, as options for registry actions. */
export function registryFlags(flags: RegistryFlags, config: LoadedConfig): { registry?: string; config: LoadedConfig['values']; lockTimeoutMs?: number } {
  return {
    config: config.values,
    ...(flags.registry !== undefined ? { registry: flags.registry } : {}),
    ...(flags.lockTimeout !== undefined ? { lockTimeoutMs: secondsFlag('--lock-timeout', flags.lockTimeout) * 1000 } : {}),
  };
}

/** The SSM prefix to publish under, or undefined when publication is off. */
export function publishSsmFlag(flags: RegistryFlags, config: LoadedConfig): boolean | string | undefined {
  // Declared before --no-publish-ssm, the option is undefined unless one of the two is given.
  if (typeof flags.publishSsm === 'string' && !flags.publishSsm.startsWith('/')) {
    throw new PrismError('USAGE', `--publish-ssm took "${flags.publishSsm}" as its prefix`, {
      hint: 'a prefix starts with /; put --publish-ssm after the other arguments, or write --publish-ssm=/prism/ami',
    });
  }
  const value = flags.publishSsm ?? config.values.publishSsm;
  // Checked before any work is done, so a bad prefix changes nothing.
  if (typeof value === 'string') checkSsmPrefix(value);
  return value;
}

export function secondsFlag(name: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || value.trim() === '') {
    throw new PrismError('USAGE', `${name} "${value}" is not a number of seconds`, { hint: `e.g. ${name} 30` });
  }
  return seconds;
}

/** `--region`, falling back to `region` in the config. */
export function regionFlag(flag: string | undefined, config: LoadedConfig): string | undefined {
  return flag ?? config.values.region;
}

/** A flag the verb cannot do without: a USAGE error (exit 2) when missing. */
export function requiredFlag<T>(value: T | undefined, flag: string, hint: string): T {
  if (value === undefined || value === '') throw new PrismError('USAGE', `${flag} is required`, { hint });
  return value;
}

/** The region and architecture a registry verb acts on; both are required. */
export function requiredSlot(flags: { region?: string; architecture?: string; arch?: string }, config: LoadedConfig): { region: string; architecture: Architecture } {
  return {
    region: requiredFlag(regionFlag(flags.region, config), '--region', 'e.g. --region us-east-1 (or region in the config)'),
    architecture: requiredFlag(architectureFlag(flags), '--architecture', 'x86_64 or arm64'),
  };
}

/** `x86_64,arm64` → architectures, each checked; undefined when the flag is absent. */
export function architectureList(text: string | undefined, flag = '--architectures'): Architecture[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((a) => a.trim()).filter(Boolean);
  const bad = names.filter((a) => a !== 'x86_64' && a !== 'arm64');
  if (bad.length > 0 || names.length === 0) {
    throw new PrismError('USAGE', `${flag} "${text}": ${bad.length > 0 ? `not an architecture: ${bad.join(', ')}` : 'empty'}`, { hint: `${flag} x86_64,arm64` });
  }
  return [...new Set(names)] as Architecture[];
}
