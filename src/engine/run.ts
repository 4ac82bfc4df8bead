import { errorMessage, isAbortError, isPrismError, PrismError } from '../core/errors.js';
import type { BuildEvent, EventSink, Target, TestResult } from '../core/events.js';
import type { Resource } from '../core/resources.js';
import type { Architecture } from '../core/types.js';
import type { Clock } from '../core/clock.js';
import type { CreatedImage, Machine, Provider, ProviderContext } from '../providers/provider.js';
import type { Template } from '../template/model.js';
import { BuildLog } from './build-log.js';
import { CleanupStack } from './cleanup-stack.js';
import { Journal } from './journal.js';
import type { RunTracker } from './run-tracker.js';
import { StepRunner } from './step-runner.js';
import { runTests } from './validation.js';

/** What every run (build, validation, copy) is given. */
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
  /** Keep the build machine when setup or a test fails, to inspect it (builds). */
  keepOnFailure?: boolean;
  /** The region events name (a copy run names the region it copies to); default the provider's. */
  targetRegion?: string;
}

export type RunKind = 'build' | 'validate' | 'copy';

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

/** One run's state: events, log, cleanup stack, cancellation. Steps go through `step`. */
export class Run {
  machine: Machine | undefined;
  image: CreatedImage | undefined;
  /** The image is finished and recorded: it outlives the run whatever happens next. */
  imageCommitted = false;
  copies: CreatedImage[] = [];
  /** Failures now leave the machine with --keep-on-failure. */
  inspectable = false;
  tests: TestResult[] = [];
  readonly ctx: ProviderContext;
  private readonly steps: StepRunner;

  constructor(
    readonly kind: RunKind,
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

  skipStep(id: string, title: string, detail: string): void {
    this.steps.skip(id, title, detail);
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
    if (marker) this.steps.progress(step, marker[1].trim(), 'script');
  }

  /** The last line of output may have no newline: it still counts. */
  flushOutput(step: string): void {
    for (const stream of ['stdout', 'stderr']) {
      const rest = this.log.flush(`${step} ${stream}`);
      if (rest !== undefined) this.outputLine(step, rest);
    }
  }

  /** Runs the template's tests on a machine; any failure is a VALIDATION_FAILED error. */
  async runTests(machine: Machine, step = 'validate'): Promise<TestResult[]> {
    const { provider, template } = this.settings;
    this.tests = await runTests(
      template.tests,
      (test, attempt) => {
        const id = `test ${JSON.stringify(test.name)}#${attempt}`;
        this.log.line(`test ${JSON.stringify(test.name)} attempt ${attempt}: ${test.command}`);
        return provider
          .exec(
            machine,
            {
              kind: 'command',
              name: test.name,
              command: test.command,
              timeoutSeconds: test.timeoutSeconds,
              onOutput: (c, s) => void this.log.output(`${id} ${s}`, c),
            },
            this.ctx,
          )
          .finally(() => {
            this.log.flush(`${id} stdout`);
            this.log.flush(`${id} stderr`);
          });
      },
      {
        signal: this.signal,
        onResult: (result) => {
          this.log.line(`test ${JSON.stringify(result.name)}: ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
          this.settings.emit({ type: 'test-result', target: this.target, step, result });
        },
      },
    );
    const failed = this.tests.filter((t) => t.status === 'failed');
    if (failed.length > 0) {
      throw new PrismError(
        'VALIDATION_FAILED',
        `${failed.length} of ${this.tests.length} validation tests failed: ${failed.map((t) => t.name).join(', ')}`,
        {
          hint: `${this.kind === 'build' ? 'no image was made; ' : ''}the output of each test is in ${this.settings.logFile}`,
        },
      );
    }
    return this.tests;
  }

  /** The image is finished: from here on a failure no longer removes it. */
  async commitImage(): Promise<void> {
    await this.cleanups.commitProducts();
    this.imageCommitted = true;
  }
}

/**
 * Runs `body` as one run of `kind`: run-start, a preflight step, the body, then every cleanup
 * (newest first) whatever happened, the journal's end, run-end with the outcome.
 */
export async function runWithCleanup(settings: RunSettings, kind: RunKind, body: (run: Run) => Promise<TestResult[]>): Promise<RunOutcome> {
  const started = Date.now();
  const target: Target = {
    template: settings.template.slug,
    architecture: settings.architecture,
    region: settings.targetRegion ?? settings.provider.region,
  };
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
  const run = new Run(kind, { ...settings, emit }, target, log, cleanups, signal);

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
  let tests: TestResult[];
  try {
    await run.step('preflight', 'Checking prerequisites', () =>
      settings.provider.preflight(settings.architecture, run.ctx, { machine: kind !== 'copy' }),
    );
    tests = await body(run);
  } catch (caught) {
    error = classify(caught, settings.signal, deadline, timeoutMinutes);
    tests = run.tests;
  }

  const keepMachine = Boolean(error && settings.keepOnFailure && run.inspectable && error.code !== 'CANCELLED');
  const unwound = await cleanups.unwind({ keepMachine });
  untrack?.();
  const hints: string[] = [];
  if (unwound.kept.length > 0 && run.machine) hints.push(run.machine.accessHint);
  if (unwound.failed.length > 0 || unwound.kept.length > 0) {
    hints.push(`prism ami sweep --provider ${settings.provider.name} removes what is left (build ${settings.buildId})`);
  }
  const status: RunOutcome['status'] = !error
    ? 'succeeded'
    : error.code === 'CANCELLED'
      ? 'cancelled'
      : error.code === 'PARTIAL'
        ? 'partial'
        : 'failed';
  const leftovers = unwound.failed.map((f) => f.resource);
  await journal?.end(status, leftovers.length + unwound.kept.length);

  const outcome: RunOutcome = {
    status,
    // A run cancelled after its image was finished (during the copies) still made it.
    ...(run.image && (status === 'succeeded' || status === 'partial' || run.imageCommitted) ? { image: run.image } : {}),
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
    ...(outcome.image ? { image: imageInfo(outcome.image) } : {}),
    ...(run.copies.length > 0 ? { copies: run.copies.map((c) => ({ id: c.id, name: c.name, region: c.region })) } : {}),
    tests,
    ...(error ? { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } } : {}),
    ...(leftovers.length + unwound.kept.length > 0 ? { leftovers: [...unwound.kept, ...leftovers].map((r) => r.label) } : {}),
    ...(hints.length > 0 ? { hints } : {}),
  });
  await log.close();
  return outcome;
}

export function imageInfo(image: CreatedImage): { id: string; name: string; region: string; sizeBytes?: number } {
  return { id: image.id, name: image.name, region: image.region, ...(image.sizeBytes !== undefined ? { sizeBytes: image.sizeBytes } : {}) };
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
