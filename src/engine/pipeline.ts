import { compactTimestamp, systemClock, type Clock } from '../core/clock.js';
import { mapLimit, type Semaphore } from '../core/concurrency.js';
import { errorMessage, isAbortError, isPrismError, PrismError } from '../core/errors.js';
import type { BuildEvent, EventSink, Target, TestResult } from '../core/events.js';
import type { Architecture } from '../core/types.js';
import type { Template } from '../template/model.js';
import type { BaseImage, CreatedImage, ImageRecord, Machine, Provider, ProviderContext } from '../providers/provider.js';
import { BuildLog } from './build-log.js';
import { CleanupStack } from './cleanup-stack.js';
import type { Resource } from '../core/resources.js';
import { Journal } from './journal.js';
import type { RunTracker } from './run-tracker.js';
import { StepRunner } from './step-runner.js';
import { runTests } from './validation.js';

export interface RunSettings {
  provider: Provider;
  template: Template;
  architecture: Architecture;
  version: string;
  buildId: string;
  fingerprint: string;
  emit: EventSink;
  /** Aborted on Ctrl-C: steps stop, cleanups run. */
  signal: AbortSignal;
  logFile: string;
  /** Folder of run journals; without it nothing is journaled (tests of the engine alone). */
  journalDir?: string;
  clock?: Clock;
  /** Lets the CLI list what is still to be cleaned up if it must exit at once. */
  tracker?: RunTracker;
}

export interface BuildSettings extends RunSettings {
  /** Keep the build machine when setup or a test fails, to inspect it. */
  keepOnFailure?: boolean;
  /** Called once the image is made and tagged: the registry records it here. */
  onImage?: (image: CreatedImage, record: ImageRecord) => Promise<void>;
  /** Regions to copy the finished image to, all at once (within copyConcurrency). */
  copyTo?: readonly string[];
  copyConcurrency?: number;
  /** Called as each copy completes: the registry records it. */
  onCopy?: (copy: CreatedImage, record: ImageRecord) => Promise<void>;
  /** Shared limits on copies per target region (build-all). */
  copySlots?: (region: string) => Semaphore | undefined;
}

export interface RunOutcome {
  /** partial: the image was made, but some region copies failed. */
  status: 'succeeded' | 'failed' | 'cancelled' | 'partial';
  image?: CreatedImage;
  copies: CreatedImage[];
  tests: TestResult[];
  error?: PrismError;
  /** Resources cleanup could not remove. */
  leftovers: Resource[];
  /** Resources kept on purpose (--keep-on-failure). */
  kept: Resource[];
  durationMs: number;
  logFile: string;
}

/** Image names: `<slug>-<version>-<arch>-<UTC timestamp>`, within EC2's 128 characters. */
export function imageName(slug: string, version: string, architecture: Architecture, at: Date): string {
  const safeVersion = version.replace(/[^A-Za-z0-9().\-/_]/g, '-');
  return `${slug}-${safeVersion}-${architecture}-${compactTimestamp(at)}`.slice(0, 128);
}

/** Tags every resource of a build carries. */
export function buildTags(template: Template, buildId: string, architecture: Architecture): Record<string, string> {
  return {
    'prism:managed': 'true',
    'prism:build-id': buildId,
    'prism:template': template.slug,
    'prism:architecture': architecture,
    Name: `prism-build-${template.slug}-${architecture}`,
  };
}

/**
 * One build: find base → launch → wait ready → setup steps → validation tests → create image →
 * record. Whatever happens, everything it created is removed again (in reverse order), except
 * the finished image and, with keepOnFailure after a failed setup or test, the build machine.
 */
export async function runBuild(settings: BuildSettings): Promise<RunOutcome> {
  return runWithCleanup(settings, 'build', async (run) => {
    const { provider, template, architecture } = settings;
    const spec = { buildId: settings.buildId, template, architecture, tags: buildTags(template, settings.buildId, architecture) };
    const base = await run.step('find-base', 'Finding base image', () => provider.resolveBase(template, architecture, run.ctx), (b: BaseImage) => `${b.id} (${b.name})`);
    const machine = await run.step('launch', `Launching build ${provider.machineNoun}`, () => provider.launch(base, spec, run.ctx), (m: Machine) => m.label);
    run.machine = machine;
    await run.step('wait-ready', `Waiting for ${provider.machineNoun} ready`, () => provider.waitReady(machine, run.ctx));

    run.inspectable = true;
    for (const [index, step] of template.setup.entries()) {
      const id = `setup-${index + 1}`;
      const title = template.setup.length === 1 ? 'Executing setup script' : `Setup ${index + 1}/${template.setup.length}: ${step.name}`;
      await run.step(id, title, async () => {
        const result = await provider.exec(
          machine,
          { kind: 'script', name: step.name, script: step.script, timeoutSeconds: step.timeoutSeconds, onOutput: run.outputListener(id) },
          run.ctx,
        );
        run.flushOutput(id);
        if (result.timedOut) {
          throw new PrismError('TIMEOUT', `setup step "${step.name}" timed out after ${step.timeoutSeconds}s`, {
            hint: `raise timeout_seconds for the step, or see what it waited for in ${settings.logFile}`,
          });
        }
        if (result.exitCode !== 0) {
          const tail = lastLines(`${result.stdout}\n${result.stderr}`, 8);
          throw new PrismError('BUILD_FAILED', `setup step "${step.name}" failed with exit code ${result.exitCode}${tail ? `:\n${tail}` : ''}`, {
            hint: `the full output is in ${settings.logFile}`,
          });
        }
      });
    }

    const tests = await run.step('validate', 'Running validation tests', () => run.runTests(machine), (results: TestResult[]) =>
      results.length === 0 ? 'no tests' : `${results.length}/${results.length}`,
    );
    run.inspectable = false;

    const created = settings.clock?.now() ?? systemClock.now();
    const version = settings.version;
    const image = await run.step(
      'create-image',
      'Creating image',
      () =>
        provider.createImage(
          machine,
          {
            name: imageName(template.slug, version, architecture, created),
            description: `${template.name} ${version} (${architecture}), built by prism-ami from ${template.slug}`,
            tags: {
              ...template.tags,
              'prism:managed': 'true',
              'prism:template': template.slug,
              'prism:version': version,
              'prism:fingerprint': settings.fingerprint,
              'prism:source-image': base.id,
              'prism:build-id': settings.buildId,
              'prism:architecture': architecture,
              'prism:validated': 'true',
              'prism:created-by': 'prism-ami',
              Name: imageName(template.slug, version, architecture, created),
            },
          },
          run.ctx,
        ),
      (i: CreatedImage) => i.id,
    );
    run.image = image;
    const record: ImageRecord = { template, version, fingerprint: settings.fingerprint, architecture, buildId: settings.buildId, base, created, tests };
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
    if (settings.copyTo && settings.copyTo.length > 0) await copyToRegions(run, settings, image, record);
    return tests;
  });
}

/**
 * Copies the image to every region at once (bounded). Each copy is kept and recorded as soon as
 * it completes; a failed copy is removed and the others go on. Any failure makes the run partial.
 */
async function copyToRegions(run: Run, settings: Pick<BuildSettings, 'provider' | 'copyTo' | 'copyConcurrency' | 'onCopy' | 'copySlots'>, image: CreatedImage, record: ImageRecord): Promise<void> {
  const provider = settings.provider;
  const copy = provider.copyImage?.bind(provider);
  if (!copy) throw new PrismError('USAGE', `the ${provider.name} provider cannot copy images to other regions`, { hint: 'leave out --copy-to' });
  const regions = [...new Set(settings.copyTo)].filter((r) => r !== image.region);
  const slot = settings.copySlots ?? (() => undefined);
  const results = await mapLimit(regions, settings.copyConcurrency ?? 8, (region) => {
    const work = () =>
      run.step(`copy-${region}`, `Copying image to ${region}`, async () => {
        const made = await copy(image, region, record, run.ctx);
        await made.commit();
        run.copies.push(made.image);
        await settings.onCopy?.(made.image, record);
        return made.image;
      }, (c: CreatedImage) => c.id);
    // Copies into one region are limited across every build of a build-all run.
    const limiter = slot(region);
    return limiter ? limiter.run(work) : work();
  });
  if (run.signal.aborted) throw new PrismError('CANCELLED', 'Cancelled');
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${regions[i]}: ${errorMessage(r.reason)}`] : []));
  if (failed.length > 0) {
    throw new PrismError('PARTIAL', `image ${image.id} was built in ${image.region}, but ${failed.length} of ${regions.length} copies failed: ${failed.join('; ')}`, {
      hint: 'run the build again to retry the copies (the image is reused: same fingerprint)',
    });
  }
}

export interface CopySettings extends RunSettings {
  /** The finished image to copy, and what is known about it. */
  source: CreatedImage;
  record: ImageRecord;
  copyTo: readonly string[];
  copyConcurrency?: number;
  onCopy?: BuildSettings['onCopy'];
  copySlots?: BuildSettings['copySlots'];
}

/** Copies an existing up-to-date image to more regions (build-all when only copies are missing). */
export async function runCopies(settings: CopySettings): Promise<RunOutcome> {
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
    const spec = { buildId: settings.buildId, template, architecture, tags: buildTags(template, settings.buildId, architecture) };
    const machine = await run.step('launch', `Launching ${provider.machineNoun} from ${settings.imageId}`, () => provider.launchImage(settings.imageId, spec, run.ctx), (m: Machine) => m.label);
    run.machine = machine;
    await run.step('wait-ready', `Waiting for ${provider.machineNoun} ready`, () => provider.waitReady(machine, run.ctx));
    const tests = await run.step('validate', 'Running validation tests', () => run.runTests(machine), (r: TestResult[]) => `${r.length}/${r.length}`);
    return tests;
  });
}

/** Shared by build and validate: events, log, journal, cancellation, cleanup, outcome. */
class Run {
  machine: Machine | undefined;
  image: CreatedImage | undefined;
  copies: CreatedImage[] = [];
  /** Failures now leave the machine with --keep-on-failure. */
  inspectable = false;
  tests: TestResult[] = [];
  readonly ctx: ProviderContext;
  private readonly steps: StepRunner;

  constructor(
    readonly settings: RunSettings,
    readonly target: Target,
    readonly log: BuildLog,
    readonly cleanups: CleanupStack,
    readonly signal: AbortSignal,
  ) {
    const emit = settings.emit;
    this.ctx = {
      signal,
      logFile: settings.logFile,
      cleanups,
      log: (line) => log.line(line),
      progress: (message) => this.steps.progress(this.steps.current, message),
      emit,
    };
    this.steps = new StepRunner(target, emit, (l) => log.line(l), signal);
  }

  step<T>(id: string, title: string, fn: () => Promise<T>, detail?: (v: T) => string | undefined): Promise<T> {
    return this.steps.step(id, title, fn, detail);
  }

  /** Output lines go to the log; `==> text` lines are progress shown under the step. */
  outputListener(step: string) {
    return (chunk: string, stream: 'stdout' | 'stderr') => {
      for (const line of this.log.output(`${step} ${stream}`, chunk)) this.outputLine(step, line);
    };
  }

  private outputLine(step: string, line: string): void {
    this.settings.emit({ type: 'step-output', target: this.target, step, line });
    const marker = /^\s*(?:==>|📦|🔧)\s*(.+)$/u.exec(line);
    if (marker) this.steps.progress(step, marker[1]!.trim(), 'script');
  }

  /** The last line of output may have no newline: it still counts. */
  flushOutput(step: string): void {
    for (const stream of ['stdout', 'stderr']) {
      const rest = this.log.flush(`${step} ${stream}`);
      if (rest !== undefined) this.outputLine(step, rest);
    }
  }

  async runTests(machine: Machine): Promise<TestResult[]> {
    const { provider, template } = this.settings;
    this.tests = await runTests(
      template.tests,
      (test, attempt) => {
        const id = `test ${JSON.stringify(test.name)}#${attempt}`;
        this.log.line(`test ${JSON.stringify(test.name)} attempt ${attempt}: ${test.command}`);
        return provider
          .exec(machine, { kind: 'command', name: test.name, command: test.command, timeoutSeconds: test.timeoutSeconds, onOutput: (c, s) => void this.log.output(`${id} ${s}`, c) }, this.ctx)
          .finally(() => {
            this.log.flush(`${id} stdout`);
            this.log.flush(`${id} stderr`);
          });
      },
      {
        signal: this.signal,
        onResult: (result) => {
          this.log.line(`test ${JSON.stringify(result.name)}: ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
          this.settings.emit({ type: 'test-result', target: this.target, result });
        },
      },
    );
    const failed = this.tests.filter((t) => t.status === 'failed');
    if (failed.length > 0) {
      throw new PrismError('VALIDATION_FAILED', `${failed.length} of ${this.tests.length} validation tests failed: ${failed.map((t) => t.name).join(', ')}`, {
        hint: `no image was made; the output of each test is in ${this.settings.logFile}`,
      });
    }
    return this.tests;
  }

  /** The image is finished: from here on a failure no longer removes it. */
  commitImage(): Promise<void> {
    return this.cleanups.commitProducts();
  }
}

async function runWithCleanup(
  settings: BuildSettings | RunSettings,
  kind: 'build' | 'validate' | 'copy',
  body: (run: Run) => Promise<TestResult[]>,
): Promise<RunOutcome> {
  const started = Date.now();
  const target: Target = { template: settings.template.slug, architecture: settings.architecture, region: settings.provider.region };
  const log = new BuildLog(settings.logFile);
  const emit: EventSink = (event: BuildEvent) => {
    settings.emit(event);
    if (event.type !== 'step-output') log.line(`event ${JSON.stringify(event)}`);
  };
  const journal = settings.journalDir
    ? await Journal.open(settings.journalDir, {
        buildId: settings.buildId,
        provider: settings.provider.name,
        description: `${kind} ${target.template} ${target.architecture} in ${target.region}`,
      })
    : undefined;
  const cleanups = new CleanupStack({
    ...(journal ? { journal } : {}),
    onEvent: (resource, status, error) => emit({ type: 'cleanup', target, resource: resource.label, status, ...(error ? { error } : {}) }),
  });
  const untrack = settings.tracker?.add(cleanups, settings.provider.name);
  const timeoutMinutes = settings.template.build.timeoutMinutes ?? 120;
  const deadline = AbortSignal.timeout(timeoutMinutes * 60_000);
  const signal = AbortSignal.any([settings.signal, deadline]);
  const run = new Run({ ...settings, emit }, target, log, cleanups, signal);

  emit({
    type: 'run-start',
    kind,
    buildId: settings.buildId,
    target,
    provider: settings.provider.name,
    version: settings.version,
    fingerprint: settings.fingerprint,
    logFile: settings.logFile,
  });

  let error: PrismError | undefined;
  let tests: TestResult[] = [];
  try {
    await run.step('preflight', 'Checking prerequisites', () => settings.provider.preflight(settings.architecture, run.ctx, { machine: kind !== 'copy' }));
    tests = await body(run);
  } catch (caught) {
    error = classify(caught, settings.signal, deadline, timeoutMinutes);
    tests = run.tests;
  }

  const keepMachine = Boolean(error && (settings as BuildSettings).keepOnFailure && run.inspectable && error.code !== 'CANCELLED');
  const unwound = await cleanups.unwind({ keepMachine });
  untrack?.();
  const hints: string[] = [];
  if (unwound.kept.length > 0 && run.machine) hints.push(run.machine.accessHint);
  if (unwound.failed.length > 0 || unwound.kept.length > 0) {
    hints.push(`prism ami sweep --provider ${settings.provider.name} removes what is left (build ${settings.buildId})`);
  }
  const status: RunOutcome['status'] = !error ? 'succeeded' : error.code === 'CANCELLED' ? 'cancelled' : error.code === 'PARTIAL' ? 'partial' : 'failed';
  const leftovers = unwound.failed.map((f) => f.resource);
  await journal?.end(status, leftovers.length + unwound.kept.length);

  const outcome: RunOutcome = {
    status,
    ...(run.image && (status === 'succeeded' || status === 'partial') ? { image: run.image } : {}),
    copies: run.copies,
    tests,
    ...(error ? { error } : {}),
    leftovers,
    kept: unwound.kept,
    durationMs: Date.now() - started,
    logFile: settings.logFile,
  };
  emit({
    type: 'run-end',
    kind,
    target,
    status,
    durationMs: outcome.durationMs,
    ...(outcome.image ? { image: { id: outcome.image.id, name: outcome.image.name, region: outcome.image.region, ...(outcome.image.sizeBytes !== undefined ? { sizeBytes: outcome.image.sizeBytes } : {}) } } : {}),
    ...(run.copies.length > 0 ? { copies: run.copies.map((c) => ({ id: c.id, name: c.name, region: c.region })) } : {}),
    tests,
    ...(error ? { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } } : {}),
    ...(leftovers.length + unwound.kept.length > 0 ? { leftovers: [...unwound.kept, ...leftovers].map((r) => r.label) } : {}),
    ...(hints.length > 0 ? { hints } : {}),
  });
  await log.close();
  return outcome;
}

function classify(error: unknown, userSignal: AbortSignal, deadline: AbortSignal, timeoutMinutes: number): PrismError {
  if (userSignal.aborted) return new PrismError('CANCELLED', 'Cancelled', { cause: error });
  if (deadline.aborted) {
    return new PrismError('TIMEOUT', `the build took longer than its ${timeoutMinutes} minute limit`, {
      hint: 'raise build.timeout_minutes in the template',
      cause: error,
    });
  }
  if (isPrismError(error)) return error;
  if (isAbortError(error)) return new PrismError('CANCELLED', 'Cancelled', { cause: error });
  return new PrismError('BUILD_FAILED', errorMessage(error), { cause: error });
}

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-count)
    .map((l) => `    ${l}`)
    .join('\n');
}
