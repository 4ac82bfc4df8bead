import { errorMessage, isAbortError, throwIfAborted } from '../core/errors.js';
import type { EventSink, Target } from '../core/events.js';

/** Runs named steps, emitting step-start/step-end with durations, and the log lines for them. */
export class StepRunner {
  /** The step running now, for progress messages from providers. */
  current = '';

  constructor(
    private readonly target: Target,
    private readonly emit: EventSink,
    private readonly log: (line: string) => void,
    private readonly signal: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {}

  async step<T>(id: string, title: string, run: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> {
    throwIfAborted(this.signal);
    const started = this.now();
    this.current = id;
    this.emit({ type: 'step-start', target: this.target, step: id, title });
    this.log(`step ${id}: ${title}`);
    try {
      const value = await run();
      const text = detail?.(value);
      const durationMs = this.now() - started;
      this.emit({ type: 'step-end', target: this.target, step: id, title, status: 'ok', durationMs, ...(text ? { detail: text } : {}) });
      this.log(`step ${id}: ok${text ? ` (${text})` : ''} in ${durationMs} ms`);
      return value;
    } catch (error) {
      const cancelled = isAbortError(error) || this.signal.aborted;
      const durationMs = this.now() - started;
      this.emit({
        type: 'step-end',
        target: this.target,
        step: id,
        title,
        status: cancelled ? 'cancelled' : 'failed',
        durationMs,
        error: errorMessage(error),
      });
      this.log(`step ${id}: ${cancelled ? 'cancelled' : 'failed'}: ${errorMessage(error)}`);
      throw error;
    }
  }

  /** A step that did not need to run (its result is already there): a step-end, status skipped. */
  skip(id: string, title: string, detail: string): void {
    this.emit({ type: 'step-end', target: this.target, step: id, title, status: 'skipped', durationMs: 0, detail });
    this.log(`step ${id}: skipped (${detail})`);
  }

  progress(step: string, message: string, origin: 'script' | 'tool' = 'tool'): void {
    this.emit({ type: 'step-progress', target: this.target, step, message, origin });
  }
}
