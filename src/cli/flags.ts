import { Option, type Command } from 'commander';
import type { SettingsFlags } from '../config/settings.js';
import { PrismError } from '../core/errors.js';
import { isArchitecture, isRegionName, type Architecture, type ProviderName } from '../core/types.js';

/**
 * Every flag that more than one verb takes, declared once so it means the same everywhere, and
 * every parser of a flag's value. A bad value is a USAGE error (exit 2) naming the flag.
 */

export function addConfigOption(command: Command): Command {
  return command.option('--config <file>', 'config file (default: ./prism-ami.config.yaml, or $PRISM_AMI_CONFIG)');
}

export function addTemplatesDirOption(command: Command): Command {
  return command.option('--templates-dir <dir>', 'folder of template files (default: ./templates, or templatesDir in the config)');
}

export function addJsonOption(command: Command, what = 'print JSON on stdout instead of text'): Command {
  return command.option('--json', what);
}

export function addProviderOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--provider <name>',
      'where to build: aws, or local (debootstrap + systemd-nspawn, needs root); default aws or provider in the config',
    ).choices(['aws', 'local']),
  );
}

/** `--architecture` with the seed's `--arch` alias. */
export function addArchitectureOption(command: Command, description = 'x86_64 or arm64'): Command {
  command.addOption(new Option('--architecture <arch>', description).choices(['x86_64', 'arm64']));
  command.addOption(new Option('--arch <arch>', 'alias of --architecture').choices(['x86_64', 'arm64']).hideHelp());
  return command;
}

export function addRegionOption(command: Command, description = 'region (default: region in the config)'): Command {
  return command.option('--region <region>', description);
}

/** `--registry` and `--lock-timeout`: which registry, and how long to wait for its lock. */
export function addRegistryOption(command: Command): Command {
  return command
    .option(
      '--registry <location>',
      'the registry: file:PATH (a plain path is a file) or s3://bucket/key (default: $PRISM_AMI_REGISTRY, registry in the config, else ./ami-registry.json)',
    )
    .option('--lock-timeout <seconds>', "how long to wait for another process holding a file registry's lock (default 30)");
}

/** `--publish-ssm [prefix]` (default prefix /prism/ami; or publishSsm in the config) and `--no-publish-ssm`. */
export function addPublishSsmOption(command: Command): Command {
  return command
    .option(
      '--publish-ssm [prefix]',
      'also write each changed current image to SSM Parameter Store as <prefix>/<template>/<arch> in its region (default prefix /prism/ami)',
    )
    .option('--no-publish-ssm', 'do not publish to SSM, even when publishSsm is set in the config');
}

/** The options of the verbs that boot a machine (build, validate): where, and what it runs as. */
export function addMachineOptions(command: Command, machine: 'build' | 'validation', architecture = 'x86_64 or arm64'): Command {
  addProviderOption(command);
  addArchitectureOption(command, architecture);
  addRegionOption(command, machine === 'build' ? 'region to build in (aws)' : 'region of the image (aws)');
  return command
    .option('--log-dir <dir>', 'folder for build logs')
    .option('--instance-profile <name>', `instance profile of the ${machine} instance; its role needs SSM access (aws)`)
    .option('--subnet <id>', `subnet for the ${machine} instance (aws; default: a default subnet of the default VPC)`);
}

/** The closing options of the verbs that run builds: events as JSON, the registry, templates, config. */
/** `--no-cache`: every setup step runs, and nothing is stored in the step cache (local). */
export function addStepCacheOption(command: Command): Command {
  return command.option('--no-cache', 'run every setup step, neither reading nor writing the step cache (local)');
}

/** `--no-retest`: the image counts as validated by the tests in the build machine alone. */
export function addRetestOption(command: Command): Command {
  return command.option('--no-retest', 'skip the fresh-boot re-test (a machine booted from the new image runs the tests again)');
}

export function addRunOutputOptions(command: Command): Command {
  addJsonOption(command, 'print one JSON event per line on stdout');
  addRegistryOption(command);
  return addConfigOption(addTemplatesDirOption(command));
}

/** The flags the shared options above produce, as commander gives them. */
export interface CommonFlags {
  config?: string;
  templatesDir?: string;
  json?: boolean;
  provider?: string;
  architecture?: string;
  arch?: string;
  region?: string;
  registry?: string;
  lockTimeout?: string;
  publishSsm?: boolean | string;
  logDir?: string;
  copyTo?: string;
  subnet?: string;
  instanceProfile?: string;
  buildRegion?: string;
  concurrency?: string;
  copyConcurrency?: string;
}

/** The settings a command line gives (config/settings applies the rest). */
export function settingsFlags(flags: CommonFlags): SettingsFlags {
  const out: SettingsFlags = {};
  if (flags.templatesDir !== undefined) out.templatesDir = flags.templatesDir;
  if (flags.provider !== undefined) out.provider = flags.provider as ProviderName;
  if (flags.registry !== undefined) out.registry = flags.registry;
  if (flags.lockTimeout !== undefined) out.lockTimeoutMs = secondsFlag('--lock-timeout', flags.lockTimeout) * 1000;
  if (flags.publishSsm !== undefined) out.publishSsm = publishSsmFlag(flags.publishSsm);
  if (flags.region !== undefined) out.region = regionFlag('--region', flags.region);
  if (flags.buildRegion !== undefined) out.buildRegion = regionFlag('--build-region', flags.buildRegion);
  if (flags.logDir !== undefined) out.logDir = flags.logDir;
  if (flags.copyTo !== undefined) out.copyTo = regionList('--copy-to', flags.copyTo);
  if (flags.subnet !== undefined) out.subnet = flags.subnet;
  if (flags.instanceProfile !== undefined) out.instanceProfile = flags.instanceProfile;
  if (flags.concurrency !== undefined) out.concurrency = countFlag('--concurrency', flags.concurrency, { min: 1, max: 64 });
  if (flags.copyConcurrency !== undefined)
    out.copyConcurrency = countFlag('--copy-concurrency', flags.copyConcurrency, { min: 1, max: 64 });
  return out;
}

function publishSsmFlag(value: boolean | string): boolean | string {
  // Declared before --no-publish-ssm, the option is undefined unless one of the two is given.
  if (typeof value === 'string' && !value.startsWith('/')) {
    throw new PrismError('USAGE', `--publish-ssm took "${value}" as its prefix`, {
      hint: 'a prefix starts with /; put --publish-ssm after the other arguments, or write --publish-ssm=/prism/ami',
    });
  }
  return value;
}

export function architectureFlag(flags: { architecture?: string; arch?: string }): Architecture | undefined {
  return (flags.architecture ?? flags.arch) as Architecture | undefined;
}

/** A whole number within bounds, e.g. `--concurrency 4`. */
export function countFlag(name: string, value: string, range: { min: number; max: number }): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < range.min || n > range.max) {
    throw new PrismError('USAGE', `${name} "${value}" is not a whole number from ${range.min} to ${range.max}`, {
      hint: `e.g. ${name} ${Math.max(range.min, Math.min(4, range.max))}`,
    });
  }
  return n;
}

export function secondsFlag(name: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || value.trim() === '') {
    throw new PrismError('USAGE', `${name} "${value}" is not a number of seconds`, { hint: `e.g. ${name} 30` });
  }
  return seconds;
}

/** `30m`, `6h`, `2d` → milliseconds. */
export function ageFlag(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new PrismError('USAGE', `${name} "${text}" is not an age`, { hint: 'use a number and a unit: 30m, 6h, 2d' });
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** A region name (or `local`, the local provider's region). */
export function regionFlag(name: string, value: string): string {
  if (!isRegionName(value) && value !== 'local')
    throw new PrismError('USAGE', `${name} "${value}" is not a region name`, {
      hint: 'regions look like us-east-1 (not an availability zone like us-east-1a)',
    });
  return value;
}

/** `us-east-2,us-west-1` → regions, each checked. */
export function regionList(name: string, text: string): string[] {
  const regions = splitList(text);
  const bad = regions.filter((r) => !isRegionName(r));
  if (bad.length > 0 || regions.length === 0) {
    throw new PrismError('USAGE', `${name} "${text}": ${bad.length > 0 ? `not a region name: ${bad.join(', ')}` : 'empty'}`, {
      hint: 'regions look like us-east-1, separated by commas',
    });
  }
  return [...new Set(regions)];
}

/** `x86_64,arm64` → architectures, each checked. */
export function architectureList(name: string, text: string): Architecture[] {
  const names = splitList(text);
  const bad = names.filter((a) => !isArchitecture(a));
  if (bad.length > 0 || names.length === 0) {
    throw new PrismError('USAGE', `${name} "${text}": ${bad.length > 0 ? `not an architecture: ${bad.join(', ')}` : 'empty'}`, {
      hint: `${name} x86_64,arm64`,
    });
  }
  return [...new Set(names)] as Architecture[];
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A flag the verb cannot do without: a USAGE error (exit 2) when missing. */
export function requiredFlag<T>(value: T | undefined, flag: string, hint: string): T {
  if (value === undefined || value === '') throw new PrismError('USAGE', `${flag} is required`, { hint });
  return value;
}
