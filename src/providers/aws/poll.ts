import { PrismError, throwIfAborted } from '../../core/errors.js';
import { abortableSleep } from '../../core/sleep.js';

export interface PollOptions {
  /** Wall-clock limit in ms: waits end by time, never by a count of attempts. */
  timeoutMs: number;
  signal: AbortSignal;
  /** What is being waited for, for the timeout error. */
  what: string;
  hint?: string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Calls `check` until it returns a value (not undefined), backing off exponentially with full
 * jitter between tries, until the deadline. Errors from `check` end the wait.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const sleep = options.sleep ?? abortableSleep;
  const deadline = Date.now() + options.timeoutMs;
  let delay = options.initialDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 15_000;
  for (;;) {
    throwIfAborted(options.signal);
    const value = await check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new PrismError('TIMEOUT', `timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${options.what}`, {
        ...(options.hint ? { hint: options.hint } : {}),
      });
    }
    const jittered = delay / 2 + Math.random() * (delay / 2);
    await sleep(Math.min(jittered, left), options.signal).catch((error: unknown) => {
      throwIfAborted(options.signal);
      throw error;
    });
    delay = Math.min(delay * 2, maxDelay);
  }
}
