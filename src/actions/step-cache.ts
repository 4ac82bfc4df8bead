import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { StepCache, type StepCacheEntry } from '../providers/local/step-cache.js';

export interface StepCacheReport {
  dir: string;
  maxBytes: number;
  entries: StepCacheEntry[];
  totalBytes: number;
}

export interface StepCachePruneOptions extends SettingsInput {
  /** Remove everything. */
  all?: boolean;
  /** Remove entries no build has started from for this long. */
  olderThanMs?: number;
}

export interface StepCachePruneReport extends StepCacheReport {
  removed: StepCacheEntry[];
}

/** `prism ami cache list`: what the local step cache holds, the most recently used first. */
export async function listStepCache(input: SettingsInput): Promise<StepCacheReport> {
  const cache = open(input);
  return report(cache, await cache.list());
}

/** `prism ami cache prune`: removes entries (all, unused for a while, or over the size bound). */
export async function pruneStepCache(options: StepCachePruneOptions): Promise<StepCachePruneReport> {
  const cache = open(options);
  const removed = await cache.prune({
    ...(options.all ? { all: true } : {}),
    ...(options.olderThanMs !== undefined ? { olderThan: new Date(Date.now() - options.olderThanMs) } : {}),
    maxBytes: cache.maxBytes,
  });
  return { ...report(cache, await cache.list()), removed };
}

function open(input: SettingsInput): StepCache {
  const { local } = resolveSettings(input);
  return new StepCache(local.stepCacheDir, local.stepCacheMaxBytes);
}

function report(cache: StepCache, entries: StepCacheEntry[]): StepCacheReport {
  return { dir: cache.dir, maxBytes: cache.maxBytes, entries, totalBytes: entries.reduce((n, e) => n + e.sizeBytes, 0) };
}
