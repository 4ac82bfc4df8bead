import type { Architecture } from '../core/types.js';
import { lineageOf } from '../registry/lineage.js';
import { current, history, isUpToDate } from '../registry/queries.js';
import type { HistoryEntry, RegistryDocument } from '../registry/model.js';
import { templateFingerprint } from '../template/fingerprint.js';
import type { Template } from '../template/model.js';
import type { BuildPlan, Estimate, PlanItem, PlanReason, Strategy } from './model.js';
import type { PriceTable } from './prices.js';

export interface PlanInput {
  /** The templates asked for (resolved); their parents are planned too. */
  templates: readonly Template[];
  registry: RegistryDocument;
  /** Base image each root template would start from now: key `slug/arch/region`. */
  baseImages: ReadonlyMap<string, string>;
  /** Regions to use instead of each template's own. */
  regions?: readonly string[];
  /** Regions for templates that name none. */
  defaultRegions: readonly string[];
  architectures?: readonly Architecture[];
  strategy: Strategy;
  /** Build here instead of each template's first region (copy strategy). */
  buildRegion?: string;
  /** Templates to rebuild whatever their state ('all' for every one). */
  force?: ReadonlySet<string> | 'all';
  /** Keep only what a scheduled security rebuild does: images whose base changed, and their children. */
  onlyOutdated?: boolean;
  prices: PriceTable;
  /** Expected build time, for instance-hours (minutes). */
  buildMinutes: number;
  /** Expected time of the fresh-boot re-test's machine (minutes). */
  retestMinutes?: number;
  /** false: builds skip the fresh-boot re-test (--no-retest). */
  retest?: boolean;
  defaultInstanceTypes: Readonly<Record<Architecture, string>>;
  now: Date;
}

export function baseImageKey(template: string, architecture: Architecture, region: string): string {
  return `${template}/${architecture}/${region}`;
}

/**
 * The plan: per template and architecture, build (and why), copy to which regions, or skip.
 * Pure and deterministic: templates, registry, resolved base images and clock in; plan out.
 * Parents come before their children, and a child is rebuilt when its parent is.
 */
export function planBuilds(input: PlanInput): BuildPlan {
  const templates = withParents(input.templates);
  const requested = new Set(input.templates.map((t) => t.slug));
  const items = new Map<string, PlanItem>();
  for (const template of templates) {
    const architectures = template.architectures.filter((a) => !input.architectures || input.architectures.includes(a));
    for (const architecture of architectures) {
      const item = planItem(template, architecture, input, items, requested.has(template.slug));
      items.set(item.key, item);
    }
  }
  let list = [...items.values()];
  if (input.onlyOutdated) {
    const outdated = new Set<string>();
    for (const item of list) {
      const parentOutdated = item.parent !== undefined && outdated.has(item.parent);
      if (item.reasons.some((r) => r.code === 'base-changed') || (parentOutdated && item.action === 'build')) outdated.add(item.key);
    }
    list = list.filter((i) => outdated.has(i.key));
  }
  const totals = sumEstimates(list.map((i) => i.estimate));
  const perRegionItems = list.filter((i) => i.action !== 'skip').map((i) => perRegionEstimate(i, input));
  return {
    strategy: input.strategy,
    createdAt: input.now.toISOString(),
    items: list,
    totals: {
      builds: list.reduce((n, i) => n + (i.action === 'build' ? i.buildRegions.length : 0), 0),
      copies: list.reduce((n, i) => n + (i.action === 'skip' ? 0 : i.copyTo.length), 0),
      skips: list.filter((i) => i.action === 'skip').length,
      estimate: totals,
    },
    perRegion: {
      builds: perRegionItems.reduce((n, p) => n + p.builds, 0),
      estimate: sumEstimates(perRegionItems.map((p) => p.estimate)),
    },
  };
}

/** Every template with its parents, parents first, otherwise in slug order. */
function withParents(templates: readonly Template[]): Template[] {
  const ordered: Template[] = [];
  const seen = new Set<string>();
  const visit = (t: Template) => {
    if (seen.has(t.slug)) return;
    if (t.parent) visit(t.parent);
    seen.add(t.slug);
    ordered.push(t);
  };
  [...templates].sort((a, b) => a.slug.localeCompare(b.slug)).forEach(visit);
  return ordered;
}

function planItem(
  template: Template,
  architecture: Architecture,
  input: PlanInput,
  done: ReadonlyMap<string, PlanItem>,
  requested: boolean,
): PlanItem {
  const key = `${template.slug}/${architecture}`;
  const fingerprint = templateFingerprint(template, architecture);
  const regions = [...(input.regions ?? (template.regions.length > 0 ? template.regions : input.defaultRegions))];
  const buildRegion = input.buildRegion && regions.includes(input.buildRegion) ? input.buildRegion : regions[0];
  const parent = template.parent ? done.get(`${template.parent.slug}/${architecture}`) : undefined;
  const instanceType = template.build.instanceType[architecture] ?? input.defaultInstanceTypes[architecture];

  const slots = regions.map((region) => ({ region, entry: current(input.registry, { template: template.slug, region, architecture }) }));
  const upToDate = (e: HistoryEntry | undefined) => isUpToDate(e, fingerprint);
  const reasons: PlanReason[] = [];

  // Why a build is needed, strongest first.
  const forced = input.force === 'all' || input.force?.has(template.slug);
  if (forced) reasons.push({ code: 'forced', detail: 'rebuild asked for (--force)' });
  // A parent built only where it is missing (per-region) is not a new parent image: the child's
  // own missing regions say where it is needed.
  const parentRebuilt = parent?.action === 'build' && parent.reasons.some((r) => r.code !== 'missing-regions');
  if (parentRebuilt) reasons.push({ code: 'parent-rebuilt', detail: `${template.parent!.slug} is rebuilt` });
  const baseRegions = input.strategy === 'per-region' ? regions : [buildRegion];
  if (!template.parent) {
    for (const region of baseRegions) {
      const entry = slots.find((s) => s.region === region)?.entry;
      // A region copy's base is that of the image it was copied from, in that image's region
      // (base AMIs have other IDs in other regions).
      const origin = entry && upToDate(entry) ? rootSource(input.registry, template.slug, architecture, entry, region) : undefined;
      const now = origin && input.baseImages.get(baseImageKey(template.slug, architecture, origin.region));
      const detail = `base image in ${origin?.region}: ${origin?.source} → ${now}`;
      if (origin?.source && now && now !== origin.source && !reasons.some((r) => r.detail === detail))
        reasons.push({ code: 'base-changed', detail });
    }
  }
  const any = slots.filter((s) => s.entry);
  const retired = slots.some((s) => history(input.registry, { template: template.slug, region: s.region, architecture }).length > 0);
  if (any.length === 0)
    reasons.push({
      code: 'new',
      detail: retired ? 'no current image (the last one was revoked, deleted or failed validation)' : 'no image yet',
    });
  else if (!slots.some((s) => upToDate(s.entry))) {
    const stale = any.find((s) => s.entry!.fingerprint !== fingerprint);
    if (stale)
      reasons.push({
        code: 'changed',
        detail: `${template.parent ? 'template or its parent' : 'template'} changed since ${stale.entry!.version}`,
      });
    else reasons.push({ code: 'not-validated', detail: 'the current image is not validated' });
  }

  // A revoked build is never copied again, also not from another region's copy of it.
  if (reasons.length === 0 && input.strategy !== 'per-region') {
    const revoked = slots
      .filter((s) => upToDate(s.entry))
      .flatMap((s) => lineageOf(input.registry, template.slug, s.entry!.ami_id))
      .find((m) => m.entry.status === 'revoked');
    if (revoked)
      reasons.push({
        code: 'revoked',
        detail: `${revoked.amiId} of the same build was revoked in ${revoked.region}; its copies are not reused`,
      });
  }

  // The disk of an image: the template's, else its largest recorded image, else the parent's.
  const volumeGb = template.build.volumeSizeGb ?? Math.max(parent?.volumeGb ?? 8, ...any.map((s) => Number(s.entry!.size_gb ?? 0)));
  const base = {
    key,
    template: template.slug,
    architecture,
    fingerprint,
    regions,
    instanceType,
    volumeGb,
    requested,
    retest: input.retest !== false && template.build.retestOnFreshBoot !== false,
    ...(parent ? { parent: parent.key } : {}),
  };
  const baseImage = template.parent ? undefined : input.baseImages.get(baseImageKey(template.slug, architecture, buildRegion));
  const withBase = baseImage ? { baseImage } : {};

  if (reasons.length > 0) {
    const buildRegions = input.strategy === 'per-region' ? regions : [buildRegion];
    const copyTo = input.strategy === 'per-region' ? [] : regions.filter((r) => r !== buildRegion);
    return {
      ...base,
      ...withBase,
      action: 'build',
      reasons,
      buildRegions,
      copyTo,
      estimate: estimate(buildRegions.length, copyTo.length, regions.length, instanceType, volumeGb, input, base.retest),
    };
  }
  const missing = slots.filter((s) => !upToDate(s.entry)).map((s) => s.region);
  if (missing.length === 0) {
    return {
      ...base,
      ...withBase,
      action: 'skip',
      reasons: [
        {
          code: 'up-to-date',
          detail: `validated image with this fingerprint in ${regions.length === 1 ? regions[0] : `all ${regions.length} regions`}`,
        },
      ],
      buildRegions: [],
      copyTo: [],
      estimate: estimate(0, 0, regions.length, instanceType, volumeGb, input, base.retest),
    };
  }
  const reason: PlanReason = {
    code: 'missing-regions',
    detail: `up to date in ${slots
      .filter((s) => upToDate(s.entry))
      .map((s) => s.region)
      .join(', ')}; missing in ${missing.join(', ')}`,
  };
  if (input.strategy === 'per-region') {
    return {
      ...base,
      ...withBase,
      action: 'build',
      reasons: [reason],
      buildRegions: missing,
      copyTo: [],
      estimate: estimate(missing.length, 0, regions.length, instanceType, volumeGb, input, base.retest),
    };
  }
  const source = slots.find((s) => s.region === buildRegion && upToDate(s.entry)) ?? slots.find((s) => upToDate(s.entry))!;
  return {
    ...base,
    ...withBase,
    action: 'copy',
    reasons: [reason],
    buildRegions: [],
    copyTo: missing,
    sourceImage: { region: source.region, imageId: source.entry!.ami_id },
    estimate: estimate(0, missing.length, regions.length, instanceType, volumeGb, input, base.retest),
  };
}

/**
 * The base image an image was built from and the region it was built in: its own source and
 * region, or for a region copy (whose source is another image of the same template) that
 * image's, followed back to the build.
 */
function rootSource(
  doc: RegistryDocument,
  template: string,
  architecture: Architecture,
  entry: HistoryEntry,
  region: string,
): { source?: string; region: string } {
  let source = entry.source_ami;
  let where = region;
  for (let hops = 0; source && hops < 5; hops++) {
    const copyOf = Object.keys(doc.templates[template]?.history ?? doc.templates[template]?.amis ?? {})
      .map((r) => ({ region: r, entry: history(doc, { template, region: r, architecture }).find((h) => h.ami_id === source) }))
      .find((x) => x.entry);
    if (!copyOf) break;
    source = copyOf.entry!.source_ami;
    where = copyOf.region;
  }
  return { ...(source ? { source } : {}), region: where };
}

function estimate(
  builds: number,
  copies: number,
  regions: number,
  instanceType: string,
  volumeGb: number,
  input: PlanInput,
  retest: boolean,
): Estimate {
  const retestInstanceHours = retest ? (builds * (input.retestMinutes ?? 0)) / 60 : 0;
  const instanceHours = (builds * input.buildMinutes) / 60 + retestInstanceHours;
  const price = input.prices.instance[instanceType] ?? 0;
  const copyGb = copies * volumeGb;
  const storageGbMonth = builds + copies > 0 ? regions * volumeGb : 0;
  return {
    instanceHours,
    retestInstanceHours,
    buildUsd: instanceHours * price,
    copyGb,
    copyUsd: copyGb * input.prices.copyPerGb,
    storageGbMonth,
    storageUsdPerMonth: storageGbMonth * input.prices.snapshotPerGbMonth,
  };
}

function perRegionEstimate(item: PlanItem, input: PlanInput): { builds: number; estimate: Estimate } {
  // What --strategy per-region would build: every region of a rebuilt image, only the missing
  // regions of one that is up to date elsewhere.
  const builds =
    item.action === 'copy' ? item.copyTo.length : input.strategy === 'per-region' ? item.buildRegions.length : item.regions.length;
  return { builds, estimate: estimate(builds, 0, item.regions.length, item.instanceType, item.volumeGb, input, item.retest) };
}

export function sumEstimates(list: readonly Estimate[]): Estimate {
  const zero: Estimate = {
    instanceHours: 0,
    retestInstanceHours: 0,
    buildUsd: 0,
    copyGb: 0,
    copyUsd: 0,
    storageGbMonth: 0,
    storageUsdPerMonth: 0,
  };
  return list.reduce(
    (a, b) => ({
      instanceHours: a.instanceHours + b.instanceHours,
      retestInstanceHours: a.retestInstanceHours + b.retestInstanceHours,
      buildUsd: a.buildUsd + b.buildUsd,
      copyGb: a.copyGb + b.copyGb,
      copyUsd: a.copyUsd + b.copyUsd,
      storageGbMonth: a.storageGbMonth + b.storageGbMonth,
      storageUsdPerMonth: a.storageUsdPerMonth + b.storageUsdPerMonth,
    }),
    zero,
  );
}
