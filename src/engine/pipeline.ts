import { systemClock } from '../core/clock.js';
import { errorMessage, PrismError } from '../core/errors.js';
import type { TestResult } from '../core/events.js';
import { buildTags, imageName, imageTags } from '../providers/image-tags.js';
import type { BaseImage, CreatedImage, ImageRecord, Machine } from '../providers/provider.js';
import { copyToRegions, type CopyOptions } from './copies.js';
import { retestOnFreshBoot } from './fresh-boot.js';
import { runWithCleanup, type RunOutcome, type RunSettings } from './run.js';
import { generalizeMachine } from './generalize.js';
import { settleMachine } from './settle.js';
import { runSetupSteps } from './setup-steps.js';
import { setupStepKeys } from './step-keys.js';

export type { RunOutcome, RunSettings } from './run.js';

export interface BuildRunSettings extends RunSettings, Partial<Omit<CopyOptions, 'provider'>> {
  /** Called once the image is made and tagged: the registry records it here. */
  onImage?: (image: CreatedImage, record: ImageRecord) => Promise<void>;
  /** false: no fresh-boot re-test (--no-retest); otherwise the template decides (default on). */
  retest?: boolean;
  /** false: the provider's step cache is neither read nor written (--no-cache). */
  stepCache?: boolean;
}

/**
 * One build: find base → launch → wait ready → setup steps (and reboots) → validation tests →
 * create image → fresh-boot re-test → record → copies. Whatever happens, everything it created is
 * removed again (in reverse order), except the finished image and, with keepOnFailure after a
 * failed setup or test, the machine it failed on.
 */
export async function runBuild(settings: BuildRunSettings): Promise<RunOutcome> {
  return runWithCleanup(settings, 'build', async (run) => {
    const { provider, template, architecture } = settings;
    const spec = { buildId: settings.buildId, template, architecture, tags: buildTags(template, settings.buildId, architecture) };
    const base = await run.step(
      'find-base',
      'Finding base image',
      () => provider.resolveBase(template, architecture, run.ctx),
      (b: BaseImage) => `${b.id} (${b.name})`,
    );
    const cacheKeys =
      settings.stepCache !== false && provider.saveSetupStep ? setupStepKeys(base.id, architecture, template.setup) : undefined;
    const machine = await run.step(
      'launch',
      `Launching build ${provider.machineNoun}`,
      () => provider.launch(base, cacheKeys ? { ...spec, setupKeys: cacheKeys } : spec, run.ctx),
      (m: Machine) => m.label,
    );
    run.machine = machine;
    await run.step('wait-ready', `Waiting for ${provider.machineNoun} ready`, () => provider.waitReady(machine, run.ctx));

    run.inspectable = true;
    await settleMachine(run, machine);
    await runSetupSteps(run, machine, cacheKeys);
    const tests = await run.step(
      'validate',
      'Running validation tests',
      () => run.runTests(machine),
      (results: TestResult[]) => (results.length === 0 ? 'no tests' : `${results.length}/${results.length}`),
    );
    run.inspectable = false;

    const record: ImageRecord = {
      template,
      version: settings.version,
      fingerprint: settings.fingerprint,
      architecture,
      buildId: settings.buildId,
      base,
      created: (settings.clock ?? systemClock).now(),
      tests,
      validatedOn: 'build-machine',
    };
    const name = imageName(template.slug, record.version, architecture, record.created);
    await generalizeMachine(run, machine);
    const image = await run.step(
      'create-image',
      'Creating image',
      () =>
        provider.createImage(
          machine,
          {
            name,
            description: `${template.name} ${record.version} (${architecture}), built by prism-ami from ${template.slug}`,
            tags: imageTags(record, 'building'),
          },
          run.ctx,
        ),
      (i: CreatedImage) => i.id,
    );
    run.image = image;
    if (settings.retest !== false && template.build.retestOnFreshBoot !== false) {
      // The build machine has done its part: stop paying for it while the new image boots.
      await provider.release(machine, run.ctx);
      record.tests = await retestOnFreshBoot(run, image, { ...spec, tags: buildTags(template, settings.buildId, architecture, 'retest') });
      record.validatedOn = 'fresh-boot';
    }
    await run.step('record', 'Recording image', async () => {
      await provider.recordImage(image, record, run.ctx);
      // The image is finished and tagged: from here on nothing removes it.
      await run.commitImage();
      try {
        await settings.onImage?.(image, record);
      } catch (error) {
        throw new PrismError('PARTIAL', `image ${image.id} was built, but recording it in the registry failed: ${errorMessage(error)}`, {
          hint: `record it once the registry is reachable: prism ami update-registry ${template.slug} --region ${image.region} --architecture ${architecture} --ami ${image.id}`,
          cause: error,
        });
      }
    });
    if (settings.copyTo && settings.copyTo.length > 0) await copyToRegions(run, { ...settings, copyTo: settings.copyTo }, image, record);
    return record.tests;
  });
}

export interface CopyRunSettings extends RunSettings, Omit<CopyOptions, 'provider'> {
  /** The finished image to copy, and what is known about it. */
  source: CreatedImage;
  record: ImageRecord;
}

/** Copies an existing up-to-date image to more regions (build-all when only copies are missing). */
export async function runCopies(settings: CopyRunSettings): Promise<RunOutcome> {
  return runWithCleanup(settings, 'copy', async (run) => {
    run.image = settings.source;
    await copyToRegions(run, settings, settings.source, settings.record);
    return [];
  });
}

/** `validate`: a fresh machine from a finished image, the template's tests, then removal. */
export async function runValidation(settings: RunSettings & { imageId: string }): Promise<RunOutcome> {
  return runWithCleanup(settings, 'validate', async (run) => {
    const { provider, template, architecture } = settings;
    const spec = {
      buildId: settings.buildId,
      template,
      architecture,
      tags: buildTags(template, settings.buildId, architecture, 'validate'),
    };
    const machine = await run.step(
      'launch',
      `Launching ${provider.machineNoun} from ${settings.imageId}`,
      () => provider.launchImage(settings.imageId, spec, run.ctx),
      (m: Machine) => m.label,
    );
    run.machine = machine;
    await run.step('wait-ready', `Waiting for ${provider.machineNoun} ready`, () => provider.waitReady(machine, run.ctx));
    return run.step(
      'validate',
      'Running validation tests',
      () => run.runTests(machine),
      (r: TestResult[]) => `${r.length}/${r.length}`,
    );
  });
}
