import type { Settings } from '../config/settings.js';
import type { EventSink } from '../core/events.js';
import { newBuildId } from '../core/ids.js';
import { runBuild, runCopies, type RunOutcome } from '../engine/pipeline.js';
import type { RunTracker } from '../engine/run-tracker.js';
import { runGraph } from '../engine/scheduler.js';
import type { BuildPlan, PlanItem } from '../plan/model.js';
import { imageName } from '../providers/image-tags.js';
import { createProvider } from '../providers/create-provider.js';
import type { ImageRecord, Provider } from '../providers/provider.js';
import type { RegistryDocument } from '../registry/model.js';
import { current } from '../registry/queries.js';
import type { Template } from '../template/model.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { buildRunSettings, logFileFor } from './build.js';
import { graphRows, overallStatus, planGraph, type GraphWork, type MadeImage, type NodeValue, type TargetRow } from './build-all-graph.js';
import { makePlan, type PlanOptions } from './plan.js';
import { openRecorder, type RegistryRecorder } from './registry-recorder.js';

export type { TargetResult, TargetRow } from './build-all-graph.js';

export interface BuildAllOptions extends PlanOptions {
  /** Stop everything at the first failure. */
  failFast?: boolean;
  version?: string;
  /** false: --no-cache (every setup step runs; the step cache is neither read nor written). */
  stepCache?: boolean;
  emit: EventSink;
  tracker?: RunTracker;
  /** Called with the plan before anything runs. */
  onPlan?: (plan: BuildPlan) => void;
  /** The provider of a region (default: the settings' provider there); tests pass an in-memory cloud. */
  providerFor?: (region: string) => Promise<Provider>;
}

export interface BuildAllResult {
  plan: BuildPlan;
  rows: TargetRow[];
  /** succeeded: every target done; partial: some failed; failed: nothing that had to be made was. */
  status: 'succeeded' | 'partial' | 'failed' | 'cancelled';
}

/**
 * `prism ami build-all`: makes the plan and hands it to the scheduler as a work graph. Builds
 * (within `concurrency`) and copies (within `copyConcurrency` per target region), parents
 * before children; a failure stops only what depends on it, unless `failFast`. Every image
 * lands in the registry as it completes.
 */
export async function buildAll(options: BuildAllOptions): Promise<BuildAllResult> {
  const { settings, plan, templates, registry } = await makePlan(options);
  options.onPlan?.(plan);
  const bySlug = new Map<string, Template>();
  const collect = (t: Template): void => {
    bySlug.set(t.slug, t);
    if (t.parent) collect(t.parent);
  };
  templates.forEach(collect);

  const clients =
    options.awsClients ??
    (settings.provider === 'aws' && !options.providerFor ? new (await import('../core/aws-clients.js')).AwsClients() : undefined);
  const recorder = await openRecorder(settings, clients);
  const providers = new Map<string, Promise<Provider>>();
  const providerFor = (region: string): Promise<Provider> => {
    let p = providers.get(region);
    if (!p)
      providers.set(
        region,
        (p =
          options.providerFor?.(region) ??
          createProvider(settings.provider, { settings, region, ...(clients ? { awsClients: clients } : {}) })),
      );
    return p;
  };
  const durations = new Map<string, number>();
  const work = graphWork({ settings, options, bySlug, registry, recorder, providerFor, durations });
  try {
    const { nodes, info } = planGraph(plan, work);
    const graph = await runGraph(nodes, {
      limit: (pool) => (pool === 'build' ? settings.concurrency : settings.copyConcurrency),
      failFast: options.failFast ?? false,
      signal: options.signal,
    });
    const rows = graphRows(
      plan,
      graph,
      info,
      (item, region) => current(registry, { template: item.template, region, architecture: item.architecture })?.ami_id,
      durations,
    );
    return { plan, rows, status: overallStatus(rows, options.signal.aborted) };
  } finally {
    recorder.close();
    if (!options.awsClients) clients?.destroy();
  }
}

interface WorkContext {
  settings: Settings;
  options: BuildAllOptions;
  bySlug: Map<string, Template>;
  registry: RegistryDocument;
  recorder: RegistryRecorder;
  providerFor: (region: string) => Promise<Provider>;
  durations: Map<string, number>;
}

/** The two kinds of work: a build of an item in a region, a copy of its image to a region. */
function graphWork(c: WorkContext): GraphWork {
  const timed = async <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      c.durations.set(id, Date.now() - started);
    }
  };
  const common = (signal: AbortSignal) => ({ emit: c.options.emit, signal, ...(c.options.tracker ? { tracker: c.options.tracker } : {}) });
  return {
    build: (item, region, signal) =>
      timed(`build:${item.key}@${region}`, async () => {
        const template = c.bySlug.get(item.template)!;
        const provider = await c.providerFor(region);
        let record: ImageRecord | undefined;
        const outcome = await runBuild(
          buildRunSettings(
            { settings: c.settings, template, architecture: item.architecture, provider, fingerprint: item.fingerprint },
            {
              ...common(signal),
              ...(c.options.version ? { version: c.options.version } : {}),
              retest: item.retest,
              stepCache: c.options.stepCache !== false,
              onImage: async (image, r) => {
                record = r;
                await c.recorder.recordImage(image, r);
              },
            },
          ),
        );
        const value: NodeValue = { outcome, ...(outcome.image && record ? { made: { image: outcome.image, record } } : {}) };
        return { state: nodeState(outcome.status), value };
      }),
    copy: (item, source, region, signal) =>
      timed(`copy:${item.key}@${region}`, async () => {
        const made = source === 'existing' ? await existingImage(c, item) : source;
        const provider = await c.providerFor(made.image.region);
        const buildId = newBuildId();
        const outcome = await runCopies({
          ...common(signal),
          provider,
          template: made.record.template,
          architecture: item.architecture,
          version: made.record.version,
          buildId,
          fingerprint: item.fingerprint,
          logFile: logFileFor(c.settings, item.template, item.architecture, buildId, `copy-${region}`),
          journalDir: c.settings.runsDir,
          targetRegion: region,
          source: made.image,
          record: made.record,
          copyTo: [region],
          onCopy: (copy, r) => c.recorder.recordCopy(copy, r, made.image.id),
        });
        const copy = outcome.copies[0];
        return { state: nodeState(outcome.status), value: { outcome, ...(copy ? { made: { image: copy, record: made.record } } : {}) } };
      }),
  };
}

/** A copy-only item's source: the registry's current image in the region the plan names, named as it was built. */
async function existingImage(c: WorkContext, item: PlanItem): Promise<MadeImage> {
  const source = item.sourceImage!;
  const template = c.bySlug.get(item.template)!;
  const entry = current(c.registry, { template: item.template, region: source.region, architecture: item.architecture })!;
  const created = new Date(entry.created);
  const described = await (await c.providerFor(source.region)).describeImage(source.imageId);
  const record: ImageRecord = {
    template,
    version: entry.version,
    fingerprint: entry.fingerprint ?? templateFingerprint(template, item.architecture),
    architecture: item.architecture,
    buildId: entry.build_id ?? newBuildId(),
    base: { id: entry.source_ami ?? source.imageId, name: entry.source_ami ?? source.imageId },
    created,
    tests: [],
  };
  const name = described?.name ?? imageName(item.template, entry.version, item.architecture, created);
  return { image: { id: source.imageId, name, region: source.region }, record };
}

function nodeState(status: RunOutcome['status']): 'succeeded' | 'failed' | 'cancelled' {
  return status === 'succeeded' ? 'succeeded' : status === 'cancelled' ? 'cancelled' : 'failed';
}
