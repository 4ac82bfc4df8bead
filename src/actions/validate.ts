import { resolveSettings, type Settings } from '../config/settings.js';
import { isoSeconds, systemClock } from '../core/clock.js';
import { PrismError } from '../core/errors.js';
import type { EventSink, Target } from '../core/events.js';
import { hostArchitecture, type Architecture } from '../core/types.js';
import { newBuildId } from '../core/ids.js';
import { runValidation, type RunOutcome } from '../engine/pipeline.js';
import type { RunTracker } from '../engine/run-tracker.js';
import type { Provider } from '../providers/provider.js';
import { changeRegistry } from '../registry/change.js';
import { setValidated } from '../registry/operations.js';
import { current, findImage } from '../registry/queries.js';
import { failValidation } from '../registry/retire.js';
import { templateFingerprint } from '../template/fingerprint.js';
import type { Template } from '../template/model.js';
import { logFileFor } from './build.js';
import { withPublisher, withRegistry } from './registry-session.js';
import { resolveTarget, resolveTemplate, type TargetOptions } from './target.js';

export interface ValidateOptions extends TargetOptions {
  /** The image to validate; default: the registry's current image, else the newest one. */
  image?: string;
  emit: EventSink;
  signal: AbortSignal;
  tracker?: RunTracker;
  /** Leave the registry alone (tests of the engine). */
  noRegistry?: boolean;
}

/** What the registry made of a validation. */
export interface ValidationRecord {
  /** validated: it passed; failed-validation: it failed and is out of service; unknown: the registry does not hold the image. */
  status: 'validated' | 'failed-validation' | 'unknown';
  /** For a failed current image: the image that is current in its place (if any). */
  replacedBy?: string;
  wasCurrent?: boolean;
}

export type ValidateResult = RunOutcome & { target: Target; imageId: string; registry?: ValidationRecord };

export interface ValidateReport {
  results: ValidateResult[];
  /** The worst of the results. */
  status: 'succeeded' | 'failed' | 'cancelled';
}

/**
 * `prism ami validate`: boots a fresh machine from a finished image (not the build machine),
 * runs the template's tests again, removes the machine, and records the verdict with the image
 * and in the registry. A failed image is taken out of service: `failed-validation`, and where it
 * was current the previous valid image is current again (SSM publication follows). Without
 * --architecture every architecture of the template is validated (locally: this machine's).
 */
export async function validate(options: ValidateOptions): Promise<ValidateReport> {
  const settings = resolveSettings(options);
  const template = await resolveTemplate(options.template, settings);
  const results: ValidateResult[] = [];
  let provider = options.providerInstance;
  for (const architecture of architecturesToValidate(template, options, settings)) {
    if (options.signal.aborted) break;
    // One provider (region, clients) serves every architecture.
    const target = await resolveTarget({ ...options, template, architecture, ...(provider ? { providerInstance: provider } : {}) });
    provider = target.provider;
    results.push(await validateOne(settings, template, architecture, target.provider, options));
  }
  const status =
    results.some((r) => r.status === 'cancelled') || options.signal.aborted
      ? 'cancelled'
      : results.every((r) => r.status === 'succeeded')
        ? 'succeeded'
        : 'failed';
  return { results, status };
}

function architecturesToValidate(template: Template, options: ValidateOptions, settings: Settings): Architecture[] {
  if (options.architecture) return [options.architecture];
  if (settings.provider === 'local') {
    const host = hostArchitecture();
    if (host && template.architectures.includes(host)) return [host];
  }
  if (options.image && template.architectures.length > 1) {
    throw new PrismError(
      'USAGE',
      `--architecture is required with --image: ${template.slug} builds ${template.architectures.join(' and ')}`,
      {
        hint: 'name the architecture of the image, e.g. --architecture x86_64',
      },
    );
  }
  return [...template.architectures];
}

async function validateOne(
  settings: Settings,
  template: Template,
  architecture: Architecture,
  provider: Provider,
  options: ValidateOptions,
): Promise<ValidateResult> {
  const target: Target = { template: template.slug, architecture, region: provider.region };
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
    fingerprint: templateFingerprint(template, architecture),
    imageId,
    emit: options.emit,
    signal: options.signal,
    logFile: logFileFor(settings, template.slug, architecture, buildId, 'validate'),
    journalDir: settings.runsDir,
    ...(options.tracker ? { tracker: options.tracker } : {}),
  });
  // The verdict is recorded whether the tests passed or not; a cancelled run says nothing.
  if (outcome.status === 'cancelled' || outcome.tests.length === 0) return { ...outcome, target, imageId };
  const at = new Date();
  const passed = outcome.tests.every((t) => t.status === 'passed');
  await provider.recordValidation(imageId, outcome.tests, at);
  if (options.noRegistry) return { ...outcome, target, imageId };
  const registry = await recordVerdict(settings, template.slug, imageId, passed, at);
  const notice = verdictNotice(imageId, target, registry);
  if (notice) options.emit({ type: 'notice', target, level: passed ? 'info' : 'warning', message: notice });
  return { ...outcome, target, imageId, registry };
}

async function recordVerdict(settings: Settings, template: string, imageId: string, passed: boolean, at: Date): Promise<ValidationRecord> {
  return withRegistry(settings, (store) =>
    withPublisher(settings, async (publisher) => {
      const outcome = await changeRegistry(
        store,
        (doc) => {
          if (findImage(doc, imageId, template).length === 0) return { document: doc, changed: false, result: undefined };
          if (passed)
            return {
              ...setValidated(doc, { template, amiId: imageId, validated: true, at: isoSeconds(at) }, systemClock),
              result: undefined,
            };
          return failValidation(doc, { template, amiId: imageId }, systemClock);
        },
        { ...(publisher ? { publisher } : {}) },
      );
      if (outcome.result === undefined) return { status: findImage(outcome.after, imageId, template).length > 0 ? 'validated' : 'unknown' };
      const slot = outcome.result[0];
      return {
        status: 'failed-validation',
        wasCurrent: slot?.wasCurrent ?? false,
        ...(slot?.replacedBy ? { replacedBy: slot.replacedBy } : {}),
      };
    }),
  );
}

function verdictNotice(imageId: string, target: Target, record: ValidationRecord): string | undefined {
  const where = `${target.template} ${target.architecture} in ${target.region}`;
  if (record.status === 'unknown') return `${imageId} is not in the registry; the verdict is only on the image`;
  if (record.status === 'validated') return undefined;
  if (!record.wasCurrent) return `${imageId} failed validation: marked failed-validation in the registry (it was not current)`;
  return record.replacedBy
    ? `${imageId} failed validation and is out of service: ${where} is now ${record.replacedBy} again`
    : `${imageId} failed validation and is out of service: ${where} has no current image now`;
}
