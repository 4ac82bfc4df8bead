import { Option, type Command } from 'commander';
import { PrismError } from '../../core/errors.js';
import { isArchitecture, type Architecture } from '../../core/types.js';
import type { PlanOptions } from '../../actions/plan.js';
import {
  addConfigOption,
  addJsonOption,
  addProviderOption,
  addRegistryOption,
  addTemplatesDirOption,
  providerName,
  registryFlags,
  templatesDir,
  type CliContext,
  type RegistryFlags,
} from '../context.js';
import { regionList } from './build.js';

export interface PlanFlags extends RegistryFlags {
  templates?: string;
  regions?: string;
  architectures?: string;
  buildRegion?: string;
  strategy?: string;
  force?: boolean | string;
  onlyOutdated?: boolean;
  baseCheck: boolean;
  provider?: string;
  json?: boolean;
  templatesDir?: string;
  config?: string;
}

/** The options plan and build-all share. */
export function addPlanOptions(command: Command): Command {
  command
    .argument('[templates...]', 'templates to plan (default: every template in the folder)')
    .option('--templates <slugs>', 'templates, comma-separated (as in the seed: --templates r-research,python-research)')
    .option('--regions <regions>', 'regions instead of each template\'s own, comma-separated')
    .option('--architectures <archs>', 'architectures instead of each template\'s own, comma-separated')
    .option('--build-region <region>', 'region to build in (default: each template\'s first region)')
    .addOption(new Option('--strategy <strategy>', 'copy: build once per architecture and copy; per-region: build in every region').choices(['copy', 'per-region']).default('copy'))
    .option('--force [slugs]', 'rebuild even what is up to date (all, or these comma-separated templates)')
    .option('--no-base-check', 'do not look up base images (no AWS calls; a new base image then goes unnoticed)');
  addProviderOption(command);
  addTemplatesDirOption(command);
  addRegistryOption(command);
  addConfigOption(command);
  return command;
}

export async function planOptions(slugs: string[], flags: PlanFlags, ctx: CliContext): Promise<Omit<PlanOptions, 'signal'>> {
  const config = await ctx.config(flags);
  const templates = [...slugs, ...(flags.templates?.split(',').map((t) => t.trim()).filter(Boolean) ?? [])];
  const regions = await regionList(flags.regions);
  const architectures = flags.architectures?.split(',').map((a) => a.trim());
  if (architectures?.some((a) => !isArchitecture(a))) throw new PrismError('USAGE', `--architectures "${flags.architectures}": use x86_64 and/or arm64`);
  const force = flags.force === true ? true : typeof flags.force === 'string' ? flags.force.split(',').map((t) => t.trim()) : false;
  return {
    templates,
    templatesDir: templatesDir(flags.templatesDir, config),
    provider: providerName(flags.provider, config),
    ...registryFlags(flags, config),
    strategy: (flags.strategy ?? 'copy') as 'copy' | 'per-region',
    force,
    onlyOutdated: flags.onlyOutdated ?? false,
    checkBases: flags.baseCheck,
    ...(regions ? { regions } : {}),
    ...(architectures ? { architectures: architectures as Architecture[] } : {}),
    ...((flags.buildRegion ?? config.values.buildRegion) ? { buildRegion: (flags.buildRegion ?? config.values.buildRegion)! } : {}),
  };
}

export function registerPlan(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('plan')
    .description('show what build-all would do per template and architecture (build, copy or skip, and why), and what it would cost')
    .option('--only-outdated', 'only what a scheduled security rebuild should do: images whose base image changed, and their children');
  addPlanOptions(command);
  addJsonOption(command, 'print the plan as JSON (with a `matrix` for GitHub Actions)');
  command.action(async (slugs: string[], flags: PlanFlags) => {
    const [{ makePlan }, { formatPlan }] = await Promise.all([import('../../actions/plan.js'), import('../../render/plan-table.js')]);
    const options = await planOptions(slugs, flags, ctx);
    const { plan } = await makePlan({ ...options, signal: new AbortController().signal });
    if (flags.json) {
      const include = plan.items.filter((i) => i.action !== 'skip').map((i) => ({ template: i.template, architecture: i.architecture }));
      ctx.io.out(`${JSON.stringify({ ...plan, matrix: { include } }, null, 2)}\n`);
    } else {
      ctx.io.out(formatPlan(plan, ctx.io.color));
    }
  });
}
