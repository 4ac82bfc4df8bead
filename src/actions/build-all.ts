import { join } from 'node:path';
import { runCopies } from '../engine/pipeline.js';
import type { RunTracker } from '../engine/run-tracker.js';
import { mapLimit, Semaphore } from '../core/concurrency.js';
import { errorMessage } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { newBuildId } from '../core/ids.js';
import { defaultLogDir, runsDir } from '../core/paths.js';
import type { Architecture } from '../core/types.js';
import type { BuildPlan, PlanItem } from '../plan/model.js';
import type { AwsClients } from '../core/aws-clients.js';
import { createProvider } from '../providers/create-provider.js';
import type { Provider } from '../providers/provider.js';
import { current } from '../registry/queries.js';
import type { RegistryDocument } from '../registry/model.js';
import type { Template } from '../template/model.js';
import { build } from './build.js';
import { makePlan, type PlanOptions } from './plan.js';
import { openRecorder } from './registry-recorder.js';

export interface BuildAllOptions extends PlanOptions {
  /** Builds at once (default 4). */
  concurrency?: number;
  /** Copies at once into each region (default 8). */
  copyConcurrency?: number;
  /** Stop everything at the first failure. */
  failFast?: boolean;
  version?: string;
  publishSsm?: boolean | string;
  subnet?: string;
  instanceProfile?: string;
  logDir?: string;
  emit: EventSink;
  tracker?: RunTracker;
  /** Called with the plan before anything runs. */
  onPlan?: (plan: BuildPlan) => void;
  awsClients?: AwsClients;
}

export type TargetResult = 'built' | 'copied' | 'up to date' | 'failed' | 'blocked' | 'cancelled';

export interface TargetRow {
  template: string;
  architecture: Architecture;
  region: string;
  result: TargetResult;
  imageId?: string;
  durationMs: number;
  error?: string;
}

export interface BuildAllResult {
  plan: BuildPlan;
  rows: TargetRow[];
  /** succeeded: every target done; partial: some failed; failed: nothing that had to be made was. */
  status: 'succeeded' | 'partial' | 'failed' | 'cancelled';
}

/**
 * `prism ami build-all`: executes the plan. Parents before children; builds (within
 * `concurrency`) in one region then copies (within `copyConcurrency` per region); a failure stops
 * only what depends on it, unless `failFast`. Every image lands in the registry as it completes.
 */
export async function buildAll(options: BuildAllOptions): Promise<BuildAllResult> {
  const { plan, templates, registry } = await makePlan(options);
  options.onPlan?.(plan);
  const bySlug = new Map<string, Template>();
  const collect = (t: Template): void => {
    bySlug.set(t.slug, t);
    if (t.parent) collect(t.parent);
  };
  templates.forEach(collect);

  const recorder = await openRecorder({
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.publishSsm !== undefined ? { publishSsm: options.publishSsm } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.awsClients ? { awsClients: options.awsClients } : {}),
  });
  const { AwsClients } = options.provider === 'aws' ? await import('../core/aws-clients.js') : { AwsClients: undefined };
  const clients = options.awsClients ?? (AwsClients ? new AwsClients() : undefined);
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const builds = new Semaphore(options.concurrency ?? options.config?.concurrency ?? 4);
  const copyLimits = new Map<string, Semaphore>();
  const copySlots = (region: string) => {
    let limit = copyLimits.get(region);
    if (!limit) copyLimits.set(region, (limit = new Semaphore(options.copyConcurrency ?? options.config?.copyConcurrency ?? 8)));
    return limit;
  };
  const providers = new Map<string, Promise<Provider>>();
  const providerFor = (region: string) => {
    let p = providers.get(region);
    if (!p) {
      p = createProvider(options.provider, {
        config: options.config ?? {},
        region,
        ...(options.subnet ? { subnet: options.subnet } : {}),
        ...(options.instanceProfile ? { instanceProfile: options.instanceProfile } : {}),
        ...(clients ? { awsClients: clients } : {}),
      });
      providers.set(region, p);
    }
    return p;
  };

  const rows: TargetRow[] = [];
  const outcome = new Map<string, Promise<boolean>>();
  const run = async (item: PlanItem): Promise<boolean> => {
    const started = Date.now();
    const row = (region: string, result: TargetResult, extra: Partial<TargetRow> = {}) =>
      rows.push({ template: item.template, architecture: item.architecture, region, result, durationMs: Date.now() - started, ...extra });
    if (item.parent && !(await outcome.get(item.parent))) {
      for (const region of item.regions) row(region, 'blocked', { error: `${item.parent.split('/')[0]} failed` });
      return false;
    }
    if (item.action === 'skip') {
      for (const region of item.regions) row(region, 'up to date', { ...currentId(registry, item, region) });
      return true;
    }
    if (signal.aborted) {
      for (const region of item.regions) row(region, 'cancelled');
      return false;
    }
    let ok: boolean;
    try {
      ok = item.action === 'copy' ? await copyOnly(item, row) : await buildItem(item, row);
    } catch (error) {
      // Runs report their own failures; this is what escaped them (e.g. a provider that could not be made).
      for (const region of item.regions) if (!rows.some((r) => r.template === item.template && r.architecture === item.architecture && r.region === region)) row(region, 'failed', { error: errorMessage(error) });
      ok = false;
    }
    if (!ok && options.failFast) stop.abort();
    return ok;
  };

  const buildItem = async (item: PlanItem, row: (region: string, result: TargetResult, extra?: Partial<TargetRow>) => void): Promise<boolean> => {
    const template = bySlug.get(item.template)!;
    upToDateRows(item, row);
    const results = await mapLimit(item.buildRegions, item.buildRegions.length, (region) =>
      builds.run(async () => {
        if (signal.aborted) {
          // Stopped (--fail-fast, Ctrl-C) before it started: its copies are not made either.
          for (const r of [region, ...item.copyTo]) row(r, 'cancelled');
          return false;
        }
        const hooks = recorder.hooks();
        const result = await build({
          template: template.file,
          provider: options.provider,
          architecture: item.architecture,
          region,
          force: true,
          ...(options.config ? { config: options.config } : {}),
          providerInstance: await providerFor(region),
          copyTo: item.copyTo,
          copySlots,
          emit: options.emit,
          signal,
          ...(options.tracker ? { tracker: options.tracker } : {}),
          ...(options.version ? { version: options.version } : {}),
          ...(options.logDir ? { logDir: options.logDir } : {}),
          onImage: hooks.onImage,
          onCopy: hooks.onCopy,
        });
        if (result.status === 'skipped') {
          row(region, 'up to date', { imageId: result.existing.id });
          return true;
        }
        const error = result.error ? errorMessage(result.error) : undefined;
        if (result.image) row(region, 'built', { imageId: result.image.id });
        else row(region, result.status === 'cancelled' ? 'cancelled' : 'failed', error ? { error } : {});
        for (const target of item.copyTo) {
          const copy = result.copies.find((c) => c.region === target);
          if (copy) row(target, 'copied', { imageId: copy.id });
          else row(target, result.status === 'cancelled' ? 'cancelled' : result.image ? 'failed' : 'blocked', error ? { error } : {});
        }
        return result.status === 'succeeded';
      }),
    );
    return results.every((r) => r.status === 'fulfilled' && r.value);
  };

  const copyOnly = async (item: PlanItem, row: (region: string, result: TargetResult, extra?: Partial<TargetRow>) => void): Promise<boolean> => {
    const template = bySlug.get(item.template)!;
    const source = item.sourceImage!;
    const entry = current(registry, { template: item.template, region: source.region, architecture: item.architecture })!;
    const buildId = newBuildId();
    const hooks = recorder.hooks();
    const logDir = options.logDir ?? options.config?.logDir ?? defaultLogDir();
    const result = await runCopies({
      provider: await providerFor(source.region),
      template,
      architecture: item.architecture,
      version: entry.version,
      buildId,
      fingerprint: item.fingerprint,
      emit: options.emit,
      signal,
      logFile: join(logDir, `${item.template}-${item.architecture}-${buildId}-copy.log`),
      journalDir: runsDir(),
      ...(options.tracker ? { tracker: options.tracker } : {}),
      source: { id: source.imageId, name: entry.ami_id, region: source.region },
      record: { template, version: entry.version, fingerprint: item.fingerprint, architecture: item.architecture, buildId, base: { id: source.imageId, name: source.imageId }, created: new Date(entry.created), tests: [] },
      copyTo: item.copyTo,
      copySlots,
      onCopy: hooks.onCopy,
    });
    upToDateRows(item, row);
    for (const target of item.copyTo) {
      const copy = result.copies.find((c) => c.region === target);
      if (copy) row(target, 'copied', { imageId: copy.id });
      else row(target, result.status === 'cancelled' ? 'cancelled' : 'failed', result.error ? { error: errorMessage(result.error) } : {});
    }
    return result.status === 'succeeded';
  };

  /** Rows for the regions of an item that already hold its up-to-date image. */
  const upToDateRows = (item: PlanItem, row: (region: string, result: TargetResult, extra?: Partial<TargetRow>) => void): void => {
    for (const region of item.regions.filter((r) => !item.buildRegions.includes(r) && !item.copyTo.includes(r))) row(region, 'up to date', currentId(registry, item, region));
  };

  try {
    for (const item of plan.items) outcome.set(item.key, run(item));
    await Promise.all(outcome.values());
  } finally {
    recorder.close();
    if (!options.awsClients) clients?.destroy();
  }
  return { plan, rows: sortRows(rows, plan), status: overall(rows, options.signal.aborted) };
}

function currentId(registry: RegistryDocument, item: PlanItem, region: string): { imageId?: string } {
  const entry = current(registry, { template: item.template, region, architecture: item.architecture });
  return entry ? { imageId: entry.ami_id } : {};
}

function overall(rows: readonly TargetRow[], interrupted: boolean): BuildAllResult['status'] {
  if (interrupted) return 'cancelled';
  const work = rows.filter((r) => r.result !== 'up to date');
  const good = work.filter((r) => r.result === 'built' || r.result === 'copied');
  if (good.length === work.length) return 'succeeded';
  return good.length === 0 ? 'failed' : 'partial';
}

function sortRows(rows: TargetRow[], plan: BuildPlan): TargetRow[] {
  const order = new Map(plan.items.map((item, i) => [item.key, i]));
  return [...rows].sort(
    (a, b) =>
      (order.get(`${a.template}/${a.architecture}`) ?? 0) - (order.get(`${b.template}/${b.architecture}`) ?? 0) || a.region.localeCompare(b.region),
  );
}

