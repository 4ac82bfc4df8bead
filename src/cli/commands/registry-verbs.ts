import { Option, type Command } from 'commander';
import type { ImportReport } from '../../actions/import-legacy.js';
import type { PublishSsmReport } from '../../actions/publish-ssm.js';
import type { RevokeReport } from '../../actions/revoke.js';
import type { RollbackReport } from '../../actions/rollback.js';
import type { UpdateRegistryReport } from '../../actions/update-registry.js';
import type { UpdateTemplatesReport } from '../../actions/update-templates.js';
import { SSM_LAYOUTS, type SsmLayout } from '../../config/settings.js';
import { PrismError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { CliContext } from '../context.js';
import { requiredFlag } from '../flags.js';
import { registerRegistryVerb } from '../registry-verb.js';

/** The verbs that read or change the registry, each declared through the one harness. */
export function registerRegistryVerbs(ami: Command, ctx: CliContext): void {
  registerRegistryVerb<string, { ami?: string; version?: string }, UpdateRegistryReport>(ami, ctx, {
    name: 'update-registry',
    description:
      "record an existing image in the registry (the newest one with the template's build tags, or --ami); it becomes the current image",
    arg: ['<template>', 'slug'],
    slot: 'required',
    options: (c) =>
      c
        .option(
          '--ami <id>',
          'record this image (default: the newest available image tagged prism:template=<template>, prism:architecture=<arch>)',
        )
        .option('--version <version>', "version to record when the image has no prism:version tag (default: the template's)"),
    publish: true,
    run: async (template, flags, input) => {
      const { updateRegistry } = await import('../../actions/update-registry.js');
      return updateRegistry({
        ...input,
        template,
        region: input.slot.region!,
        architecture: input.slot.architecture!,
        ...(flags.ami ? { amiId: flags.ami } : {}),
        ...(flags.version ? { version: flags.version } : {}),
      });
    },
    human: async (r) => (await reports()).formatUpdateRegistry(r),
  });

  registerRegistryVerb<string, { fallback?: string }, { ami_id: string; source: string; warning?: string }>(ami, ctx, {
    name: 'resolve',
    description:
      'print the current AMI ID of a template, region and architecture, and nothing else (for scripts); exit 2 when there is none',
    arg: ['<template>', 'slug'],
    slot: 'required',
    options: (c) =>
      c.option(
        '--fallback <file>',
        'a hard-coded AMI map (JSON or Go, as import-legacy reads) used when the registry is unavailable or has no entry, with a warning on stderr',
      ),
    json: 'print {"ami_id", "source"} as JSON',
    run: async (template, flags, input) => {
      const { resolveImage } = await import('../../actions/resolve.js');
      const resolved = await resolveImage({
        ...input,
        template,
        region: input.slot.region!,
        architecture: input.slot.architecture!,
        ...(flags.fallback ? { fallback: flags.fallback } : {}),
      });
      if (resolved.warning) ctx.io.err(`warning: ${resolved.warning}\n`);
      return { ami_id: resolved.amiId, source: resolved.source };
    },
    human: (r) => `${r.ami_id}\n`,
  });

  registerRegistryVerb<string, { to?: string }, RollbackReport>(ami, ctx, {
    name: 'rollback',
    description: 'make the previous validated, non-revoked image current again (or the one named with --to)',
    arg: ['<template>', 'slug'],
    slot: 'required',
    options: (c) => c.option('--to <ami>', 'the image to make current (any recorded image that is not revoked or deleted)'),
    publish: true,
    run: async (template, flags, input) => {
      const { rollbackImage } = await import('../../actions/rollback.js');
      return rollbackImage({
        ...input,
        template,
        region: input.slot.region!,
        architecture: input.slot.architecture!,
        ...(flags.to ? { to: flags.to } : {}),
      });
    },
    human: async (r) => (await reports()).formatRollback(r),
  });

  registerRegistryVerb<string, { ami?: string; reason?: string; onlyThisRegion?: boolean }, RevokeReport>(ami, ctx, {
    name: 'revoke',
    description:
      'revoke an image and every region copy of the same build: never resolved again, skipped by rollback; where one was current, the previous valid image becomes current',
    arg: ['<template>', 'slug'],
    options: (c) =>
      c
        .option('--ami <id>', 'the image to revoke (or any region copy of it)')
        .option('--reason <text>', 'why (kept in the registry history)')
        .option('--only-this-region', 'revoke only this image, not the copies of its build in other regions'),
    publish: true,
    run: async (template, flags, input) => {
      const { revokeImage } = await import('../../actions/revoke.js');
      const amiId = requiredFlag(flags.ami, '--ami', 'name the image: --ami ami-0123456789abcdef0');
      return revokeImage({
        ...input,
        template,
        amiId,
        onlyThisRegion: flags.onlyThisRegion ?? false,
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
    },
    human: async (r) => (await reports()).formatRevoke(r),
  });

  registerRegistryVerb<
    string[],
    { check?: boolean; prune?: boolean; format?: 'go' | 'ts' | 'json'; out?: string; goPackage?: string; key?: 'slug' | 'name' },
    UpdateTemplatesReport
  >(ami, ctx, {
    name: 'update-templates',
    description:
      "write each template's current images from the registry into its amis: block (only that block changes), or the whole map as code with --format",
    arg: [
      '[templates...]',
      'slugs or paths (default: every template in the templates folder; with --format, every template in the registry)',
    ],
    options: (c) =>
      c
        .option('--check', 'write nothing; exit 1 when a template (or the --out file) is out of date (for CI)')
        .option(
          '--prune',
          'empty the amis: block of templates the registry has no images of (refused without it: a wrong registry would lose the IDs)',
        )
        .addOption(
          new Option(
            '--format <format>',
            "write the map as code instead: go (the seed's map[string]map[string]string per template), ts or json",
          ).choices(['go', 'ts', 'json']),
        )
        .option('--out <file>', 'where --format writes (default: stdout)')
        .option('--go-package <name>', 'package name of --format go (default amis)')
        .addOption(
          new Option(
            '--key <key>',
            "what keys the --format map: slug, or name (the template's name: what Prism's TemplateResolver looks AMIs up by)",
          ).choices(['slug', 'name']),
        ),
    json: 'print the report as JSON',
    run: async (templates, flags, input) => {
      if (flags.out && !flags.format)
        throw new PrismError('USAGE', '--out needs --format', { hint: 'e.g. --format go --out internal/amis/amis_gen.go' });
      if (flags.key && !flags.format)
        throw new PrismError('USAGE', '--key needs --format', { hint: 'e.g. --format go --key name --out pkg/templates/amis_gen.go' });
      const { updateTemplates } = await import('../../actions/update-templates.js');
      const report = await updateTemplates({
        ...input,
        templates,
        check: flags.check ?? false,
        prune: flags.prune ?? false,
        ...(flags.format ? { format: flags.format } : {}),
        ...(flags.out ? { out: flags.out } : {}),
        ...(flags.goPackage ? { goPackage: flags.goPackage } : {}),
        ...(flags.key ? { key: flags.key } : {}),
      });
      if (flags.check && report.outOfDate > 0 && !flags.json) {
        const { out, err } = (await reports()).formatUpdateTemplates(report, true);
        ctx.io.out(out);
        ctx.io.err(err);
        throw new PrismError(
          'OUT_OF_DATE',
          `${report.outOfDate} ${report.generated ? 'generated file is' : report.outOfDate === 1 ? 'template is' : 'templates are'} out of date with the registry`,
          {
            hint: `run prism ami update-templates${report.generated ? ` --format ${report.generated.format} --out ${report.generated.file}` : ''} and commit the result`,
          },
        );
      }
      return report;
    },
    human: async (r, _ctx, flags) => (await reports()).formatUpdateTemplates(r, flags.check ?? false),
    exitCode: (r, flags) => (flags.check && r.outOfDate > 0 ? ExitCode.failure : ExitCode.ok),
  });

  registerRegistryVerb<
    string,
    { template?: string; validated?: boolean; replace?: boolean; allowUnknownTemplates?: boolean },
    ImportReport
  >(ami, ctx, {
    name: 'import-legacy',
    description: 'import hard-coded AMI IDs (JSON, or the Go map literal of the old launcher) into the registry as version "legacy"',
    arg: [
      '<file>',
      'JSON {template: {region: {arch: ami}}} or {region: {arch: ami}} (with --template), or Go source with map[string]map[string]string literals',
    ],
    options: (c) =>
      c
        .option(
          '--template <slug>',
          'the template of a file that maps regions directly; or the one template to take from a file of several',
        )
        .option('--validated', 'record the images as validated (default: not validated)')
        .option('--replace', 'make the imported images current even where the registry already has a current image')
        .option('--allow-unknown-templates', 'import templates that are neither in the templates folder nor in the registry'),
    publish: true,
    run: async (file, flags, input) => {
      const { importLegacy } = await import('../../actions/import-legacy.js');
      return importLegacy({
        ...input,
        file,
        validated: flags.validated ?? false,
        replace: flags.replace ?? false,
        allowUnknownTemplates: flags.allowUnknownTemplates ?? false,
        ...(flags.template ? { template: flags.template } : {}),
      });
    },
    human: async (r) => (await reports()).formatImport(r),
  });

  registerRegistryVerb<string[], { prefix?: string; layout?: SsmLayout; prismPrefix?: string }, PublishSsmReport>(ami, ctx, {
    name: 'publish-ssm',
    description:
      "make the SSM parameters <prefix>/<template>/<arch> (or, with --layout prism, the ones Prism's launcher reads) show the registry's current images (repairs a failed publication; adds no versions where they match)",
    arg: ['[templates...]', 'slugs (default: every template in the registry)'],
    options: (c) =>
      c
        .option('--prefix <prefix>', 'parameter prefix (default: publishSsm in the config, else /prism/ami)')
        .addOption(
          new Option(
            '--layout <layout>',
            "prism-ami: <prefix>/<template>/<arch> = AMI ID; prism: Prism's <prism-prefix>/<template>/<region>/<arch> = JSON reference; both (default: ssm.layout in the config, else prism-ami)",
          ).choices([...SSM_LAYOUTS]),
        )
        .option('--prism-prefix <prefix>', "prefix of Prism's layout (default: ssm.prismPrefix in the config, else /cloudworkstation/amis)")
        .option('--region <region>', 'only this region'),
    run: async (templates, flags, input) => {
      const { publishSsm } = await import('../../actions/publish-ssm.js');
      const fromConfig = typeof input.config?.publishSsm === 'string' ? input.config.publishSsm : true;
      const { region, ...rest } = input;
      return publishSsm({
        ...rest,
        templates,
        publishSsm: flags.prefix ?? fromConfig,
        ...(flags.layout ? { ssmLayout: flags.layout } : {}),
        ...(flags.prismPrefix ? { prismSsmPrefix: flags.prismPrefix } : {}),
        ...(region ? { region } : {}),
      });
    },
    human: async (r) => (await reports()).formatPublished(r.published) || 'Nothing to publish: the registry has no images.\n',
  });
}

const reports = () => import('../../render/registry-report.js');
