import { rm } from 'node:fs/promises';
import { resourceKey, type Resource } from '../core/resources.js';
import { readJournals } from '../engine/journal.js';
import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { errorMessage } from '../core/errors.js';
import { createProvider } from '../providers/create-provider.js';
import type { Provider } from '../providers/provider.js';

export interface SweepOptions extends SettingsInput {
  /** Only what is older than this many milliseconds. */
  olderThanMs?: number;
  dryRun?: boolean;
  /** Also remove build machines kept by --keep-on-failure. */
  includeKept?: boolean;
  signal: AbortSignal;
  providerInstance?: Provider;
  journalDir?: string;
}

export interface SweepItem {
  resource: Resource;
  source: 'journal' | 'scan';
  buildId?: string;
  status: 'would-remove' | 'removed' | 'failed' | 'kept';
  error?: string;
}

export interface SweepReport {
  items: SweepItem[];
  /** Runs still in progress, left alone. */
  activeRuns: string[];
}

/** Removal order: machines before the mounts and folders under them, images last. */
const ORDER = ['instance', 'container', 'process', 'mount', 'security-group', 'directory', 'image', 'snapshot'];

/**
 * `prism ami sweep`: removes what runs that crashed or were killed left behind, found from their
 * journals and by provider-specific discovery (tags in the cloud, folders and processes locally).
 */
export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const settings = resolveSettings(options);
  const provider = options.providerInstance ?? (await createProvider(settings.provider, { settings }));
  const dir = options.journalDir ?? settings.runsDir;
  // Journaled runs whose process is gone are dead for sure; resources found by scanning may
  // belong to a build still running on another machine, so they must also be old enough.
  const olderThan = new Date(Date.now() - (options.olderThanMs ?? 0));
  const scanOlderThan = new Date(Date.now() - (options.olderThanMs ?? provider.leftoverMinAgeMs));
  const runs = (await readJournals(dir)).filter((r) => r.provider === provider.name);
  const activeRuns = runs.filter((r) => r.active).map((r) => r.buildId);
  const candidates = new Map<string, SweepItem>();
  const journalsDone: string[] = [];
  for (const run of runs) {
    if (run.active || new Date(run.started) > olderThan) continue;
    for (const resource of run.leftovers)
      candidates.set(resourceKey(resource), { resource, source: 'journal', buildId: run.buildId, status: 'would-remove' });
    for (const resource of run.kept) {
      candidates.set(resourceKey(resource), {
        resource,
        source: 'journal',
        buildId: run.buildId,
        status: options.includeKept ? 'would-remove' : 'kept',
      });
    }
    if (run.kept.length === 0 || options.includeKept) journalsDone.push(run.file);
  }
  const keptKeys = new Set([...candidates.values()].filter((c) => c.status === 'kept').map((c) => resourceKey(c.resource)));
  const keptBuilds = new Set([...candidates.values()].filter((c) => c.status === 'kept').map((c) => c.buildId!));
  for (const resource of await provider.findLeftovers({
    activeBuilds: new Set([...activeRuns, ...keptBuilds]),
    olderThan: scanOlderThan,
    signal: options.signal,
  })) {
    const key = resourceKey(resource);
    if (!candidates.has(key) && !keptKeys.has(key)) candidates.set(key, { resource, source: 'scan', status: 'would-remove' });
  }

  const items = [...candidates.values()].sort((a, b) => rank(a.resource) - rank(b.resource));
  if (!options.dryRun) {
    for (const item of items) {
      if (item.status !== 'would-remove') continue;
      try {
        await provider.removeResource(item.resource);
        item.status = 'removed';
      } catch (error) {
        item.status = 'failed';
        item.error = errorMessage(error);
      }
    }
    if (items.every((i) => i.status !== 'failed')) for (const file of journalsDone) await rm(file, { force: true });
  }
  return { items, activeRuns };
}

function rank(resource: Resource): number {
  const index = ORDER.indexOf(resource.kind);
  return index === -1 ? ORDER.length : index;
}
