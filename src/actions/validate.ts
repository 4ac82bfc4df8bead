import { isoSeconds, systemClock } from '../core/clock.js';
import { PrismError } from '../core/errors.js';
import type { EventSink, Target } from '../core/events.js';
import { newBuildId } from '../core/ids.js';
import { runValidation, type RunOutcome } from '../engine/pipeline.js';
import type { RunTracker } from '../engine/run-tracker.js';
import { setValidated } from '../registry/operations.js';
import { current, findImage } from '../registry/queries.js';
import { logFileFor } from './build.js';
import { withRegistry } from './registry-session.js';
import { resolveTarget, type TargetOptions } from './target.js';

export interface ValidateOptions extends TargetOptions {
  /** The image to validate; default: the registry's current image, else the newest one. */
  image?: string;
  emit: EventSink;
  signal: AbortSignal;
  tracker?: RunTracker;
  /** Leave the registry alone (tests of the engine). */
  noRegistry?: boolean;
}

export type ValidateResult = RunOutcome & { target: Target; imageId: string };

/**
 * `prism ami validate`: boots a fresh machine from a finished image (not the build machine),
 * runs the template's tests again, removes the machine, and records the result with the image.
 */
export async function validate(options: ValidateOptions): Promise<ValidateResult> {
  const { settings, template, architecture, provider, fingerprint } = await resolveTarget(options);
  const fromRegistry =
    options.image || options.noRegistry
      ? undefined
      : await withRegistry(
          settings,
          async (store) => current(await store.read(), { template: template.slug, region: provider.region, architecture })?.ami_id,
        );
  const imageId = options.image ?? fromRegistry ?? (await provider.latestImage(template.slug, architecture))?.id;
  if (!imageId) {
    throw new PrismError('NOT_FOUND', `${template.slug} has no ${architecture} image in ${provider.region} to validate`, {
      hint: `build one first: prism ami build ${template.slug} --provider ${provider.name} --architecture ${architecture}`,
    });
  }
  const buildId = newBuildId();
  const outcome = await runValidation({
    provider,
    template,
    architecture,
    version: template.version ?? 'dev',
    buildId,
    fingerprint,
    imageId,
    emit: options.emit,
    signal: options.signal,
    logFile: logFileFor(settings, template.slug, architecture, buildId, 'validate'),
    journalDir: settings.runsDir,
    ...(options.tracker ? { tracker: options.tracker } : {}),
  });
  // The verdict is recorded whether the tests passed or not; a cancelled run says nothing.
  if (outcome.status !== 'cancelled' && outcome.tests.length > 0) {
    const at = new Date();
    await provider.recordValidation(imageId, outcome.tests, at);
    if (!options.noRegistry) {
      const passed = outcome.tests.every((t) => t.status === 'passed');
      await withRegistry(settings, (store) =>
        store.update((doc) =>
          findImage(doc, imageId, template.slug).length > 0
            ? setValidated(doc, { template: template.slug, amiId: imageId, validated: passed, at: isoSeconds(at) }, systemClock)
            : { document: doc, changed: false, result: [] },
        ),
      );
    }
  }
  return { ...outcome, target: { template: template.slug, architecture, region: provider.region }, imageId };
}
