import { Option, type Command } from 'commander';
import type { PlanOptions } from '../../actions/plan.js';
import { settingsInput, type CliContext } from '../context.js';
import {
  addConfigOption,
  addJsonOption,
  addProviderOption,
  addRegistryOption,
  addRetestOption,
  addTemplatesDirOption,
  architectureList,
  regionList,
  splitList,
  type CommonFlags,
} from '../flags.js';
import { printResult } from '../output.js';
import { formatDiagnostics } from '../../render/diagnostics.js';

export interface PlanFlags extends CommonFlags {
  allowLintErrors?: boolean;
  templates?: string;
  regions?: string;
  architectures?: string;
  strategy?: string;
  force?: boolean | string;
  onlyOutdated?: boolean;
  baseCheck: boolean;
  retest: boolean;
}

/** The options plan and build-all share. */
export function addPlanOptions(command: Command): Command {
  command
    .argument('[templates...]', 'templates to plan (default: every template in the folder)')
    .option('--templates <slugs>', 'templates, comma-separated (as in the seed: --templates r-research,python-research)')
    .option('--regions <regions>', "regions instead of each template's own, comma-separated")
    .option('--architectures <archs>', "architectures instead of each template's own, comma-separated")
    .option('--build-region <region>', "region to build in (default: each template's first region)")
    .addOption(
      new Option('--strategy <strategy>', 'copy: build once per architecture and copy; per-region: build in every region')
        .choices(['copy', 'per-region'])
        .default('copy'),
    )
    .option('--force [slugs]', 'rebuild even what is up to date (all, or these comma-separated templates)')
    .option('--only-outdated', 'only what a scheduled security rebuild should do: images whose base image changed, and their children')
    .option('--no-base-check', 'do not look up base images (no AWS calls; a new base image then goes unnoticed)')
    .option('--allow-lint-errors', 'plan (and build) templates with lint errors too; they are printed as warnings');
  addRetestOption(command);
  addProviderOption(command);
  addTemplatesDirOption(command);
  addRegistryOption(command);
  addConfigOption(command);
  return command;
}

export async function planOptions(slugs: string[], flags: PlanFlags, ctx: CliContext): Promise<Omit<PlanOptions, 'signal'>> {
  const regions = flags.regions !== undefined ? regionList('--regions', flags.regions) : undefined;
  const architectures = flags.architectures !== undefined ? architectureList('--architectures', flags.architectures) : undefined;
  const force = flags.force === true ? true : typeof flags.force === 'string' ? splitList(flags.force) : false;
  return {
    ...(await settingsInput(ctx, flags)),
    templates: [...slugs, ...(flags.templates ? splitList(flags.templates) : [])],
    strategy: (flags.strategy ?? 'copy') as 'copy' | 'per-region',
    force,
    onlyOutdated: flags.onlyOutdated ?? false,
    checkBases: flags.baseCheck,
    ...(flags.retest === false ? { retest: false } : {}),
    allowLintErrors: flags.allowLintErrors ?? false,
    onLintErrors: (errors) => {
      ctx.io.err(
        `⚠️  ${errors.length} lint error${errors.length === 1 ? '' : 's'}, going on because of --allow-lint-errors:\n${formatDiagnostics(errors, ctx.io.color)}`,
      );
    },
    ...(regions ? { regions } : {}),
    ...(architectures ? { architectures } : {}),
  };
}

export function registerPlan(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('plan')
    .description('show what build-all would do per template and architecture (build, copy or skip, and why), and what it would cost');
  addPlanOptions(command);
  addJsonOption(command, 'print the plan as JSON (with a `matrix` for GitHub Actions)');
  command.action(async (slugs: string[], flags: PlanFlags) => {
    const [{ makePlan }, { formatPlan }] = await Promise.all([import('../../actions/plan.js'), import('../../render/plan-table.js')]);
    const { plan } = await makePlan({ ...(await planOptions(slugs, flags, ctx)), signal: new AbortController().signal });
    const include = plan.items.filter((i) => i.action !== 'skip').map((i) => ({ template: i.template, architecture: i.architecture }));
    await printResult(ctx, flags.json, { ...plan, matrix: { include } }, () => formatPlan(plan, ctx.io.color));
  });
}
