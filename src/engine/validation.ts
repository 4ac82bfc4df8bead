import type { TestResult } from '../core/events.js';
import { throwIfAborted } from '../core/errors.js';
import type { ValidationTest } from '../template/model.js';
import type { ExecResult } from '../providers/provider.js';
import { abortableSleep } from '../core/sleep.js';

const EXCERPT_CHARS = 400;

/**
 * Whether a command's result meets a test's expectation (docs/templates.md#validation):
 * - the exit status must equal expected_exit_code (default 0);
 * - expected: stdout equals the value once trailing whitespace is trimmed from both;
 * - expected_contains: stdout contains the value;
 * - expected_regex: the pattern matches stdout (JavaScript syntax, multiline: ^ and $ match at
 *   each line).
 */
export function judgeTest(test: ValidationTest, result: ExecResult): { passed: boolean; reason?: string } {
  if (result.timedOut) return { passed: false, reason: `timed out after ${test.timeoutSeconds}s` };
  if (result.exitCode !== test.exitCode) {
    return { passed: false, reason: `exited with ${result.exitCode ?? 'a signal'}, expected ${test.exitCode}` };
  }
  const out = result.stdout;
  switch (test.output?.kind) {
    case undefined:
      return { passed: true };
    case 'equals': {
      const actual = out.trimEnd();
      const expected = test.output.value.trimEnd();
      return actual === expected ? { passed: true } : { passed: false, reason: `expected ${quote(expected)}, got ${quote(actual)}` };
    }
    case 'contains':
      return out.includes(test.output.value)
        ? { passed: true }
        : { passed: false, reason: `output does not contain ${quote(test.output.value)}` };
    case 'regex':
      return new RegExp(test.output.value, 'm').test(out)
        ? { passed: true }
        : { passed: false, reason: `output does not match /${clip(test.output.value).replace(/\r/g, '\\r').replace(/\n/g, '\\n')}/` };
  }
}

/** One line: JSON escapes newlines and control characters. */
function quote(text: string): string {
  return JSON.stringify(clip(text));
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

export function excerpt(result: ExecResult): string {
  const text = [result.stdout.trimEnd(), result.stderr.trimEnd()].filter(Boolean).join('\n');
  return text.length > EXCERPT_CHARS ? `…${text.slice(-EXCERPT_CHARS)}` : text;
}

export type RunCommand = (test: ValidationTest, attempt: number) => Promise<ExecResult>;

export interface RunTestsOptions {
  signal: AbortSignal;
  onResult?: (result: TestResult) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * Runs every test, even after one fails; a failing test is tried again `retries` times with
 * `retry_delay_seconds` between tries (services still starting).
 */
export async function runTests(tests: readonly ValidationTest[], run: RunCommand, options: RunTestsOptions): Promise<TestResult[]> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const results: TestResult[] = [];
  for (const test of tests) {
    const started = now();
    let attempt = 0;
    let last: ExecResult | undefined;
    let verdict: { passed: boolean; reason?: string } = { passed: false, reason: 'not run' };
    while (attempt <= test.retries) {
      throwIfAborted(options.signal);
      if (attempt > 0) {
        // An abort during the delay is the CANCELLED error, whatever reason the signal carries.
        await sleep(test.retryDelaySeconds * 1000, options.signal).catch((error: unknown) => {
          throwIfAborted(options.signal);
          throw error;
        });
        throwIfAborted(options.signal);
      }
      attempt++;
      last = await run(test, attempt);
      throwIfAborted(options.signal);
      verdict = judgeTest(test, last);
      if (verdict.passed) break;
    }
    const result: TestResult = {
      name: test.name,
      status: verdict.passed ? 'passed' : 'failed',
      attempts: attempt,
      durationMs: now() - started,
      exitCode: last?.exitCode ?? null,
      excerpt: last ? excerpt(last) : '',
      ...(verdict.reason && !verdict.passed ? { reason: verdict.reason } : {}),
    };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
