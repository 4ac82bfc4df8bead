import { join } from 'node:path';
import type { Settings } from '../config/settings.js';
import type { EventSink, Target } from '../core/events.js';
import { newBuildId } from '../core/ids.js';
import { runBuild, type BuildRunSettings, type RunOutcome } from '../engine/pipeline.js';
import type { RunTracker } from '../engine/run-tracker.js';
import type { ExistingImage } from '../providers/provider.js';
import { upToDateImage } from '../registry/queries.js';
import { allowedLintMessage, checkLint } from './lint-gate.js';
import { openRecorder } from './registry-recorder.js';
import { withRegistry } from './registry-session.js';
import { resolveTarget, type ResolvedTarget, type TargetOptions } from './target.js';

export interface BuildOptions extends TargetOptions {
  version?: string;
  /** Build even when an image with the same fingerprint exists. */
  force?: boolean;
  keepOnFailure?: boolean;
  /** false: skip the fresh-boot re-test (--no-retest); default true (unless the template opts out). */
  retest?: boolean;
  /** false: --no-cache (every setup step runs; the step cache is neither read nor written). */
  stepCache?: boolean;
  emit: EventSink;
  signal: AbortSignal;
  tracker?: RunTracker;
  /** Record the image (and its copies) in the registry as they complete (default true). */
  record?: boolean;
  /** Build even when the template has lint errors (each is reported as a warning notice). */
  allowLintErrors?: boolean;
}

export type BuildResult =
  | { status: 'skipped'; target: Target; fingerprint: string; existing: ExistingImage }
  | ({ status: RunOutcome['status']; target: Target; fingerprint: string } & RunOutcome);

/**
 * `prism ami build`: one template, one architecture, one region (and its --copy-to copies),
 * recorded in the registry. Skips when a validated image with the same fingerprint exists
 * (unless forced).
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const resolved = await resolveTarget(options);
  const { settings, template, architecture, provider, fingerprint } = resolved;
  const target: Target = { template: template.slug, architecture, region: provider.region };
  await checkLint([template], settings, {
    allow: options.allowLintErrors ?? false,
    onAllowed: (errors) => options.emit({ type: 'notice', target, level: 'warning', message: allowedLintMessage(errors) }),
  });
  if (!options.force) {
    const existing = await upToDate(resolved, options.record !== false, (message) =>
      options.emit({ type: 'notice', target, level: 'warning', message }),
    );
    if (existing) {
      options.emit({
        type: 'run-end',
        kind: 'build',
        target,
        status: 'skipped',
        durationMs: 0,
        image: {
          id: existing.id,
          name: existing.name,
          region: existing.region,
          ...(existing.sizeBytes !== undefined ? { sizeBytes: existing.sizeBytes } : {}),
        },
      });
      return { status: 'skipped', target, fingerprint, existing };
    }
  }
  const recorder = options.record === false ? undefined : await openRecorder(settings, options.awsClients);
  try {
    const copyTo = settings.copyTo.filter((r) => r !== provider.region);
    const outcome = await runBuild(
      buildRunSettings(resolved, {
        emit: options.emit,
        signal: options.signal,
        ...(options.tracker ? { tracker: options.tracker } : {}),
        ...(options.version ? { version: options.version } : {}),
        keepOnFailure: options.keepOnFailure ?? false,
        retest: options.retest !== false,
        stepCache: options.stepCache !== false,
        ...(copyTo.length > 0 ? { copyTo, copyConcurrency: settings.copyConcurrency } : {}),
        ...(recorder ? recorder.hooks() : {}),
      }),
    );
    return { ...outcome, target, fingerprint };
  } finally {
    recorder?.close();
  }
}

/**
 * The image that makes a build unnecessary: the registry's current image for the slot when it is
 * up to date (registry/queries: the same rule plan and build-all use) and still exists. Without a
 * registry (library calls with `record: false`), a validated image tagged with the fingerprint.
 */
async function upToDate(target: ResolvedTarget, useRegistry: boolean, warn: (message: string) => void): Promise<ExistingImage | undefined> {
  const { settings, template, architecture, provider, fingerprint } = target;
  if (!useRegistry) return provider.findImage(template.slug, architecture, fingerprint);
  const doc = await withRegistry(settings, (store) => store.read());
  const entry = upToDateImage(doc, { template: template.slug, region: provider.region, architecture }, fingerprint);
  if (!entry) return undefined;
  const image = await provider.describeImage(entry.ami_id);
  if (!image) warn(`the registry's current image ${entry.ami_id} no longer exists in ${provider.region}; building a new one`);
  return image;
}

/** The engine's settings for a build of a resolved target: its id, log file, journal and version. */
export function buildRunSettings(
  target: Pick<ResolvedTarget, 'settings' | 'template' | 'architecture' | 'provider' | 'fingerprint'>,
  extra: Omit<BuildRunSettings, 'provider' | 'template' | 'architecture' | 'version' | 'buildId' | 'fingerprint' | 'logFile'> & {
    version?: string;
    logSuffix?: string;
  },
): BuildRunSettings {
  const { logSuffix, version, ...rest } = extra;
  const buildId = newBuildId();
  return {
    ...rest,
    provider: target.provider,
    template: target.template,
    architecture: target.architecture,
    version: version ?? target.template.version ?? 'dev',
    buildId,
    fingerprint: target.fingerprint,
    logFile: logFileFor(target.settings, target.template.slug, target.architecture, buildId, logSuffix),
    journalDir: target.settings.runsDir,
  };
}

export function logFileFor(settings: Settings, slug: string, architecture: string, buildId: string, suffix?: string): string {
  return join(settings.logDir, `${slug}-${architecture}-${buildId}${suffix ? `-${suffix}` : ''}.log`);
}
