import { join } from 'node:path';
import { runBuild, type BuildRunSettings, type RunOutcome } from '../engine/pipeline.js';
import type { RunTracker } from '../engine/run-tracker.js';
import type { EventSink, Target } from '../core/events.js';
import { newBuildId } from '../core/ids.js';
import { defaultLogDir, runsDir } from '../core/paths.js';
import type { ExistingImage } from '../providers/provider.js';
import { resolveTarget, type TargetOptions } from './target.js';


export interface BuildOptions extends TargetOptions {
  version?: string;
  /** Build even when an image with the same fingerprint exists. */
  force?: boolean;
  keepOnFailure?: boolean;
  logDir?: string;
  emit: EventSink;
  signal: AbortSignal;
  tracker?: RunTracker;
  /** AWS: regions to copy the image to once it is built. */
  copyTo?: readonly string[];
  copyConcurrency?: number;
  /** Called when the image (and each copy) is finished: the registry records it. */
  onImage?: BuildRunSettings['onImage'];
  onCopy?: BuildRunSettings['onCopy'];
  /** Shared per-region copy limits (build-all). */
  copySlots?: BuildRunSettings['copySlots'];
}

export type BuildResult =
  | { status: 'skipped'; target: Target; fingerprint: string; existing: ExistingImage }
  | ({ status: RunOutcome['status']; target: Target; fingerprint: string } & RunOutcome);

/**
 * `prism ami build`: one template, one architecture, one region. Skips when a validated image
 * with the same fingerprint exists (unless forced).
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const { template, architecture, provider, fingerprint } = await resolveTarget(options);
  const target: Target = { template: template.slug, architecture, region: provider.region };

  if (!options.force) {
    const existing = await provider.findImage(template.slug, architecture, fingerprint);
    if (existing) {
      options.emit({
        type: 'run-end',
        kind: 'build',
        target,
        status: 'skipped',
        durationMs: 0,
        image: { id: existing.id, name: existing.name, region: existing.region, ...(existing.sizeBytes !== undefined ? { sizeBytes: existing.sizeBytes } : {}) },
      });
      return { status: 'skipped', target, fingerprint, existing };
    }
  }

  const copyTo = (options.copyTo ?? options.config?.copyTo ?? []).filter((r) => r !== provider.region);
  const buildId = newBuildId();
  const logDir = options.logDir ?? options.config?.logDir ?? defaultLogDir();
  const outcome = await runBuild({
    provider,
    template,
    architecture,
    version: options.version ?? template.version ?? 'dev',
    buildId,
    fingerprint,
    emit: options.emit,
    signal: options.signal,
    logFile: join(logDir, `${template.slug}-${architecture}-${buildId}.log`),
    journalDir: runsDir(),
    keepOnFailure: options.keepOnFailure ?? false,
    ...(options.tracker ? { tracker: options.tracker } : {}),
    ...(copyTo.length > 0 ? { copyTo, copyConcurrency: options.copyConcurrency ?? options.config?.copyConcurrency ?? 8 } : {}),
    ...(options.onImage ? { onImage: options.onImage } : {}),
    ...(options.onCopy ? { onCopy: options.onCopy } : {}),
    ...(options.copySlots ? { copySlots: options.copySlots } : {}),
  });
  return { ...outcome, target, fingerprint };
}

