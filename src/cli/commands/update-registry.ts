import type { Command } from 'commander';
import {
  addArchitectureOption,
  addConfigOption,
  addJsonOption,
  addPublishSsmOption,
  addRegistryOption,
  addTemplatesDirOption,
  publishSsmFlag,
  registryFlags,
  templatesDir,
  requiredSlot,
  type CliContext,
  type RegistryFlags,
} from '../context.js';

interface UpdateRegistryFlags extends RegistryFlags {
  region?: string;
  architecture?: string;
  arch?: string;
  ami?: string;
  version?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

export function registerUpdateRegistry(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('update-registry')
    .description('record an existing image in the registry (the newest one with the template\'s build tags, or --ami); it becomes the current image')
    .argument('<template>', 'slug')
    .option('--region <region>', 'the image\'s region (default: region in the config)');
  addArchitectureOption(command);
  command
    .option('--ami <id>', 'record this image (default: the newest available image tagged prism:template=<template>, prism:architecture=<arch>)')
    .option('--version <version>', 'version to record when the image has no prism:version tag (default: the template\'s)');
  addPublishSsmOption(command);
  addRegistryOption(command);
  addJsonOption(command);
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (template: string, flags: UpdateRegistryFlags) => {
    const [{ updateRegistry }, { formatUpdateRegistry }] = await Promise.all([import('../../actions/update-registry.js'), import('../../render/registry-report.js')]);
    const config = await ctx.config(flags);
    const report = await updateRegistry({
      ...registryFlags(flags, config),
      template,
      ...requiredSlot(flags, config),
      templatesDir: templatesDir(flags.templatesDir, config),
      publishSsm: publishSsmFlag(flags, config),
      ...(flags.ami ? { amiId: flags.ami } : {}),
      ...(flags.version ? { version: flags.version } : {}),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatUpdateRegistry(report));
  });
}
