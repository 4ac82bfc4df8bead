import { resolveSettings, type Settings, type SettingsInput } from '../config/settings.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { mapLimit } from '../core/concurrency.js';
import { PrismError } from '../core/errors.js';
import { hostArchitecture, type Architecture } from '../core/types.js';
import { baseImageKey, planBuilds } from '../plan/planner.js';
import type { BuildPlan, Strategy } from '../plan/model.js';
import { priceTable } from '../plan/prices.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { RegistryDocument } from '../registry/model.js';
import { describeBase, type Template } from '../template/model.js';
import { TemplateLibrary } from '../template/library.js';
import { DEFAULT_INSTANCE_TYPES } from '../providers/aws/instance-types.js';
import { checkLint } from './lint-gate.js';
import { withRegistry } from './registry-session.js';

export interface PlanOptions extends SettingsInput {
  /** Slugs; empty means every template in the folder. */
  templates?: readonly string[];
  /** Regions instead of each template's own. */
  regions?: readonly string[];
  /** Architectures instead of each template's own. */
  architectures?: readonly Architecture[];
  strategy?: Strategy;
  /** true: rebuild everything; a list: rebuild these templates. */
  force?: boolean | readonly string[];
  onlyOutdated?: boolean;
  /** false: builds skip the fresh-boot re-test (--no-retest); default true. */
  retest?: boolean;
  /** Look up each base image now, to notice a new one (default true; needs AWS access). */
  checkBases?: boolean;
  signal: AbortSignal;
  awsClients?: AwsClients;
  now?: Date;
  /** Plan (and build) even templates with lint errors, after passing them to `onLintErrors`. */
  allowLintErrors?: boolean;
  onLintErrors?: (errors: Diagnostic[]) => void;
}

export interface PlanResult {
  settings: Settings;
  plan: BuildPlan;
  templates: Template[];
  registry: RegistryDocument;
}

/** `prism ami plan`: what build-all would do, and why. Reads the registry and, for AWS, each base image. */
export async function makePlan(options: PlanOptions): Promise<PlanResult> {
  const settings = resolveSettings(options);
  const library = new TemplateLibrary(settings.templatesDir);
  const slugs =
    options.templates && options.templates.length > 0 ? [...new Set(options.templates)] : (await library.list()).map((t) => t.slug);
  if (slugs.length === 0)
    throw new PrismError('TEMPLATE_NOT_FOUND', `no templates in ${library.displayDir()}`, { hint: 'pass --templates-dir' });
  // Templates prism-ami cannot build (ami-based Prism templates) are left out, as lint says; only
  // when nothing else is left is that an error (a changed ami-based template must not fail CI).
  const resolved = await Promise.all(slugs.map((slug) => library.resolve(slug)));
  const templates = resolved.filter((t) => !t.notBuilt);
  if (templates.length === 0) {
    const why = resolved.map((t) => `${t.slug}: ${t.notBuilt!.message}`).join('; ');
    throw new PrismError('TEMPLATE_INVALID', `nothing to build: ${why}`, {
      hint: resolved[0]?.notBuilt?.fix ?? 'prism ami lint says why for each',
    });
  }
  await checkLint(withParents(templates), settings, {
    allow: options.allowLintErrors ?? false,
    ...(options.onLintErrors ? { onAllowed: options.onLintErrors } : {}),
  });
  const registry = await withRegistry(settings, (store) => store.read());
  const local = settings.provider === 'local';
  const regions = local ? ['local'] : options.regions;
  const architectures = options.architectures ?? (local ? [hostArchitecture() ?? 'x86_64'] : undefined);
  const strategy = local ? 'copy' : (options.strategy ?? 'copy');
  const defaultRegions = settings.defaultRegions;
  const baseImages =
    !local && options.checkBases !== false
      ? await resolveBases(templates, {
          ...options,
          strategy,
          defaultRegions,
          ...(regions ? { regions } : {}),
          ...(architectures ? { architectures } : {}),
        })
      : new Map<string, string>();
  const plan = planBuilds({
    templates,
    registry,
    baseImages,
    defaultRegions,
    strategy,
    ...(regions ? { regions } : {}),
    ...(architectures ? { architectures } : {}),
    ...(settings.buildRegion ? { buildRegion: settings.buildRegion } : {}),
    force: options.force === true ? 'all' : new Set(options.force === false || options.force === undefined ? [] : options.force),
    onlyOutdated: options.onlyOutdated ?? false,
    prices: priceTable(settings.prices),
    buildMinutes: settings.buildMinutesEstimate,
    retestMinutes: settings.retestMinutesEstimate,
    ...(options.retest === false ? { retest: false } : {}),
    defaultInstanceTypes: DEFAULT_INSTANCE_TYPES,
    now: options.now ?? new Date(),
  });
  return { settings, plan, templates, registry };
}

/**
 * The base image each root template would start from now, in the regions where it would be
 * built: looked up once per distinct base, architecture and region.
 */
async function resolveBases(
  templates: readonly Template[],
  options: PlanOptions & { strategy: Strategy; defaultRegions: readonly string[] },
): Promise<Map<string, string>> {
  const [{ resolveBaseImage }, { AwsClients }] = await Promise.all([
    import('../providers/aws/base-images.js'),
    import('../core/aws-clients.js'),
  ]);
  const clients = options.awsClients ?? new AwsClients();
  const roots = new Map<string, Template>();
  const visit = (t: Template): void => {
    if (t.parent) visit(t.parent);
    else roots.set(t.slug, t);
  };
  templates.forEach(visit);
  const lookups: { key: string; base: Template['base']; arch: Architecture; region: string; lookup: string }[] = [];
  for (const t of roots.values()) {
    const regions = options.regions ?? (t.regions.length > 0 ? t.regions : options.defaultRegions);
    // Every target region: a region copy's base is compared with the base of the region the
    // image was built in, which need not be today's build region.
    const where = regions;
    for (const arch of t.architectures.filter((a) => !options.architectures || options.architectures.includes(a))) {
      for (const region of where)
        lookups.push({
          key: baseImageKey(t.slug, arch, region),
          base: t.base,
          arch,
          region,
          lookup: `${describeBase(t.base)}/${arch}/${region}`,
        });
    }
  }
  const distinct = [...new Map(lookups.map((l) => [l.lookup, l])).values()];
  const found = new Map<string, string>();
  // Each lookup listens on a signal of its own: a dozen SDK calls on one signal would pass Node's
  // limit of 10 abort listeners (MaxListenersExceededWarning), though they are removed again.
  const results = await mapLimit(distinct, 8, async (l) =>
    found.set(l.lookup, (await resolveBaseImage(clients, l.region, l.base, l.arch, AbortSignal.any([options.signal]))).imageId),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (!options.awsClients) clients.destroy();
  if (failure && failure.status === 'rejected') throw failure.reason;
  return new Map(lookups.map((l) => [l.key, found.get(l.lookup)!]));
}

/** The templates and every parent they are built on. */
function withParents(templates: readonly Template[]): Template[] {
  const all = new Map<string, Template>();
  const visit = (t: Template): void => {
    all.set(t.slug, t);
    if (t.parent) visit(t.parent);
  };
  templates.forEach(visit);
  return [...all.values()];
}
