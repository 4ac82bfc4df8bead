import { describe, expect, it } from 'vitest';
import { isPrismError } from '../core/errors.js';
import type { TestResult } from '../core/events.js';
import type { ExecResult } from '../providers/provider.js';
import type { ValidationTest } from '../template/model.js';
import { templateFromYaml } from '../../test/support/templates.js';
import { abortableSleep } from '../core/sleep.js';
import { judgeTest, runTests, type RunCommand } from './validation.js';

/** A test as the template parser makes it (defaults: exit 0, 60 s, no retries, 5 s delay). */
function vt(fields: Partial<ValidationTest> = {}): ValidationTest {
  return {
    name: 'check',
    command: 'true',
    exitCode: 0,
    timeoutSeconds: 60,
    retries: 0,
    retryDelaySeconds: 5,
    origin: 'demo',
    sourcePath: ['validation_tests', 0],
    ...fields,
  };
}

function res(fields: Partial<ExecResult> = {}): ExecResult {
  return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...fields };
}

const equals = (value: string) => vt({ output: { kind: 'equals', value } });
const contains = (value: string) => vt({ output: { kind: 'contains', value } });
const regex = (value: string) => vt({ output: { kind: 'regex', value } });

describe('judgeTest', () => {
  it('passes an exit-status-only test on exit 0 and fails it on any other status', () => {
    expect(judgeTest(vt(), res({ exitCode: 0 }))).toEqual({ passed: true });
    const failed = judgeTest(vt(), res({ exitCode: 1 }));
    expect(failed.passed).toBe(false);
    expect(failed.reason).toBe('exited with 1, expected 0');
  });

  it('takes the expected exit status from the template, 0 when unset', () => {
    const template = templateFromYaml(
      [
        'name: demo',
        'base_ami: {source: debian-12}',
        'setup_script: echo hi',
        'validation_tests:',
        '  - name: default',
        '    command: echo ok',
        '    expected_contains: ok',
        '  - name: not found',
        '    command: curl -f http://localhost/missing',
        '    expected_exit_code: 22',
      ].join('\n'),
    );
    const [byDefault, explicit] = template.tests as [ValidationTest, ValidationTest];
    expect(byDefault.exitCode).toBe(0);
    expect(judgeTest(byDefault, res({ exitCode: 0, stdout: 'ok\n' })).passed).toBe(true);
    expect(judgeTest(byDefault, res({ exitCode: 22, stdout: 'ok\n' })).passed).toBe(false);
    expect(judgeTest(explicit, res({ exitCode: 22 })).passed).toBe(true);
    expect(judgeTest(explicit, res({ exitCode: 0 }))).toEqual({ passed: false, reason: 'exited with 0, expected 22' });
  });

  it('requires the exit status even when the output check matches', () => {
    for (const test of [equals('active'), contains('act'), regex('^act')]) {
      const verdict = judgeTest(test, res({ exitCode: 3, stdout: 'active\n' }));
      expect(verdict.passed, test.output?.kind).toBe(false);
      expect(verdict.reason).toBe('exited with 3, expected 0');
    }
    const nonZero = vt({ exitCode: 3, output: { kind: 'contains', value: 'inactive' } });
    expect(judgeTest(nonZero, res({ exitCode: 3, stdout: 'inactive\n' })).passed).toBe(true);
    expect(judgeTest(nonZero, res({ exitCode: 0, stdout: 'inactive\n' })).passed).toBe(false);
  });

  it('names a kill by signal (exit status null) as such', () => {
    expect(judgeTest(vt(), res({ exitCode: null })).reason).toBe('exited with a signal, expected 0');
  });

  describe('expected (equals)', () => {
    it('ignores trailing whitespace on both sides', () => {
      expect(judgeTest(equals('active'), res({ stdout: 'active\n' })).passed).toBe(true);
      expect(judgeTest(equals('active\n\n'), res({ stdout: 'active' })).passed).toBe(true);
      expect(judgeTest(equals('active  \t'), res({ stdout: 'active \n \n' })).passed).toBe(true);
      expect(judgeTest(equals('a\nb\n'), res({ stdout: 'a\nb' })).passed).toBe(true);
    });

    it('treats leading whitespace and inner newlines as significant', () => {
      expect(judgeTest(equals('active'), res({ stdout: ' active\n' })).passed).toBe(false);
      expect(judgeTest(equals('active'), res({ stdout: '\nactive\n' })).passed).toBe(false);
      expect(judgeTest(equals('a\nb'), res({ stdout: 'a b' })).passed).toBe(false);
      expect(judgeTest(equals('a\nb'), res({ stdout: 'a\n\nb' })).passed).toBe(false);
      expect(judgeTest(equals('a b'), res({ stdout: 'a  b' })).passed).toBe(false);
    });

    it('is not a substring or a case-insensitive match', () => {
      expect(judgeTest(equals('active'), res({ stdout: 'inactive\n' })).passed).toBe(false);
      expect(judgeTest(equals('active'), res({ stdout: 'Active\n' })).passed).toBe(false);
      expect(judgeTest(equals('active'), res({ stdout: 'active\nmore\n' })).passed).toBe(false);
    });

    it('checks stdout only, not stderr', () => {
      expect(judgeTest(equals('active'), res({ stdout: '', stderr: 'active\n' })).passed).toBe(false);
      expect(judgeTest(equals('active'), res({ stdout: 'active\n', stderr: 'warning: noise\n' })).passed).toBe(true);
    });

    it('says what was expected and what came', () => {
      expect(judgeTest(equals('active'), res({ stdout: 'failed\n' })).reason).toBe('expected "active", got "failed"');
    });
  });

  describe('expected_contains', () => {
    it('passes when stdout contains the text anywhere, across lines too', () => {
      expect(judgeTest(contains('Hello'), res({ stdout: '<h1>Hello from prism</h1>\n' })).passed).toBe(true);
      expect(judgeTest(contains('a\nb'), res({ stdout: 'xa\nby' })).passed).toBe(true);
      expect(judgeTest(contains('  indented'), res({ stdout: 'x  indented' })).passed).toBe(true);
    });

    it('fails when it does not (case matters, stderr does not count)', () => {
      const verdict = judgeTest(contains('Hello'), res({ stdout: 'hello\n', stderr: 'Hello' }));
      expect(verdict).toEqual({ passed: false, reason: 'output does not contain "Hello"' });
    });
  });

  describe('expected_regex', () => {
    it('is multiline: ^ and $ match at each line', () => {
      const stdout = 'banner line\nnginx version: nginx/1.22.1\ntrailer\n';
      expect(judgeTest(regex('^nginx version: nginx/1\\.[0-9]+'), res({ stdout })).passed).toBe(true);
      expect(judgeTest(regex('^banner line$'), res({ stdout })).passed).toBe(true);
      expect(judgeTest(regex('^nginx/1'), res({ stdout })).passed).toBe(false);
    });

    it('uses JavaScript syntax (\\d, lookahead, named groups) and is case-sensitive', () => {
      expect(judgeTest(regex('^v(?<major>\\d+)\\.\\d+'), res({ stdout: 'v12.4\n' })).passed).toBe(true);
      expect(judgeTest(regex('^foo(?!bar)'), res({ stdout: 'foobar\n' })).passed).toBe(false);
      expect(judgeTest(regex('^foo(?!bar)'), res({ stdout: 'foobaz\n' })).passed).toBe(true);
      expect(judgeTest(regex('^ACTIVE$'), res({ stdout: 'active\n' })).passed).toBe(false);
      // POSIX classes are not JavaScript: [[:digit:]] is a character class of ':', 'd', … followed by ']'.
      expect(judgeTest(regex('^[[:digit:]]+$'), res({ stdout: '123\n' })).passed).toBe(false);
    });

    it('says which pattern did not match', () => {
      expect(judgeTest(regex('^ok$'), res({ stdout: 'nope\n' })).reason).toBe('output does not match /^ok$/');
    });
  });

  it('fails a timed-out command naming the timeout, whatever its output', () => {
    const test = vt({ timeoutSeconds: 7, output: { kind: 'contains', value: 'ok' } });
    expect(judgeTest(test, res({ exitCode: null, stdout: 'ok\n', timedOut: true }))).toEqual({
      passed: false,
      reason: 'timed out after 7s',
    });
    expect(judgeTest(vt({ timeoutSeconds: 7 }), res({ exitCode: 0, timedOut: true })).passed).toBe(false);
  });

  it('gives reasons of one line, truncated when long', () => {
    const long = 'x'.repeat(500);
    const cases: [ValidationTest, ExecResult][] = [
      [equals(`line one\n${long}`), res({ stdout: `first\nsecond\n${long}\n` })],
      [contains(`needle\n${long}`), res({ stdout: 'hay\nstack\n' })],
      [regex(`^(${long})+\\n?$`), res({ stdout: 'hay\nstack\n' })],
    ];
    for (const [test, result] of cases) {
      const verdict = judgeTest(test, result);
      expect(verdict.passed).toBe(false);
      expect(verdict.reason, test.output?.kind).not.toMatch(/[\r\n]/);
      expect(verdict.reason!.length, test.output?.kind).toBeLessThanOrEqual(200);
    }
    // Newlines and tabs show as JSON escapes, each once.
    expect(judgeTest(equals('a\nb\tc'), res({ stdout: 'a\nc\n' })).reason).toBe('expected "a\\nb\\tc", got "a\\nc"');
    expect(judgeTest(equals('x'.repeat(100)), res({ stdout: 'y' })).reason).toBe(`expected "${'x'.repeat(80)}…", got "y"`);
    expect(judgeTest(regex('^a\nb$'), res({ stdout: 'c' })).reason).toBe('output does not match /^a\\nb$/');
  });
});

/** A scripted command runner: results in order per test name, every call recorded. */
function scripted(outcomes: Record<string, ExecResult[]>): RunCommand & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (test: ValidationTest, attempt: number) => {
    calls.push(`${test.name}#${attempt}`);
    const list = outcomes[test.name] ?? [];
    return list[Math.min(attempt - 1, list.length - 1)] ?? res();
  }) as RunCommand & { calls: string[] };
  run.calls = calls;
  return run;
}

/** An injected sleep that records its delays and returns at once. */
function recordingSleep() {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { delays, sleep };
}

describe('runTests', () => {
  it('runs every test even after one fails, and reports each in order', async () => {
    const tests = [vt({ name: 'one' }), vt({ name: 'two' }), vt({ name: 'three', output: { kind: 'equals', value: 'yes' } })];
    const run = scripted({ one: [res()], two: [res({ exitCode: 2, stderr: 'boom\n' })], three: [res({ stdout: 'yes\n' })] });
    const reported: TestResult[] = [];
    const results = await runTests(tests, run, {
      signal: new AbortController().signal,
      onResult: (r) => reported.push(r),
      sleep: recordingSleep().sleep,
    });
    expect(run.calls).toEqual(['one#1', 'two#1', 'three#1']);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['one', 'passed'],
      ['two', 'failed'],
      ['three', 'passed'],
    ]);
    expect(reported).toEqual(results);
    expect(results[1]).toMatchObject({ attempts: 1, exitCode: 2, reason: 'exited with 2, expected 0', excerpt: 'boom' });
    expect(results[0].reason).toBeUndefined();
  });

  it('tries a failing test retries + 1 times with retry_delay_seconds between tries', async () => {
    const { delays, sleep } = recordingSleep();
    const run = scripted({ flaky: [res({ exitCode: 1, stdout: 'still starting\n' })] });
    const [result] = await runTests([vt({ name: 'flaky', retries: 3, retryDelaySeconds: 2 })], run, {
      signal: new AbortController().signal,
      sleep,
    });
    expect(run.calls).toEqual(['flaky#1', 'flaky#2', 'flaky#3', 'flaky#4']);
    expect(delays).toEqual([2000, 2000, 2000]);
    expect(result).toMatchObject({ status: 'failed', attempts: 4, exitCode: 1, excerpt: 'still starting' });
  });

  it('does not retry or sleep without retries, nor after a pass', async () => {
    const { delays, sleep } = recordingSleep();
    const run = scripted({ once: [res({ exitCode: 1 })], fine: [res()] });
    const results = await runTests([vt({ name: 'once' }), vt({ name: 'fine', retries: 5, retryDelaySeconds: 9 })], run, {
      signal: new AbortController().signal,
      sleep,
    });
    expect(run.calls).toEqual(['once#1', 'fine#1']);
    expect(delays).toEqual([]);
    expect(results.map((r) => r.attempts)).toEqual([1, 1]);
  });

  it('stops retrying once a try passes, and reports the passing try', async () => {
    const { delays, sleep } = recordingSleep();
    const run = scripted({
      service: [
        res({ stdout: 'activating\n', exitCode: 3 }),
        res({ stdout: 'activating\n', exitCode: 3 }),
        res({ stdout: 'active\n' }),
        res({ stdout: 'never asked\n' }),
      ],
    });
    const [result] = await runTests(
      [vt({ name: 'service', retries: 5, retryDelaySeconds: 1, output: { kind: 'equals', value: 'active' } })],
      run,
      {
        signal: new AbortController().signal,
        sleep,
      },
    );
    expect(run.calls).toEqual(['service#1', 'service#2', 'service#3']);
    expect(delays).toEqual([1000, 1000]);
    expect(result).toMatchObject({ status: 'passed', attempts: 3, exitCode: 0, excerpt: 'active' });
    expect(result.reason).toBeUndefined();
  });

  it('a zero retry delay still goes through the injected sleep with 0 ms', async () => {
    const { delays, sleep } = recordingSleep();
    const run = scripted({ t: [res({ exitCode: 1 }), res()] });
    await runTests([vt({ name: 't', retries: 1, retryDelaySeconds: 0 })], run, { signal: new AbortController().signal, sleep });
    expect(delays).toEqual([0]);
  });

  it('measures each test with the injected clock, over all its tries', async () => {
    let now = 1000;
    const run = (async (test: ValidationTest) => {
      now += test.name === 'slow' ? 250 : 10;
      return res({ exitCode: test.name === 'slow' ? 1 : 0 });
    }) as RunCommand;
    const sleep = async (ms: number) => {
      now += ms;
    };
    const results = await runTests([vt({ name: 'slow', retries: 1, retryDelaySeconds: 1 }), vt({ name: 'fast' })], run, {
      signal: new AbortController().signal,
      sleep,
      now: () => now,
    });
    expect(results.map((r) => r.durationMs)).toEqual([250 + 1000 + 250, 10]);
  });

  it('keeps the end of long output as the excerpt, stdout then stderr', async () => {
    const stdout = `${'a'.repeat(1000)}\nLAST-OUT\n`;
    const run = scripted({ big: [res({ exitCode: 1, stdout, stderr: 'ERR-TAIL\n' })], small: [res({ stdout: 'out\n', stderr: 'err\n' })] });
    const [big, small] = await runTests([vt({ name: 'big' }), vt({ name: 'small' })], run, { signal: new AbortController().signal });
    expect(big.excerpt.startsWith('…')).toBe(true);
    expect(big.excerpt.endsWith('LAST-OUT\nERR-TAIL')).toBe(true);
    expect(big.excerpt.length).toBeLessThanOrEqual(401);
    expect(small.excerpt).toBe('out\nerr');
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const run = scripted({});
    const error = await runTests([vt()], run, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isPrismError(error, 'CANCELLED')).toBe(true);
    expect(run.calls).toEqual([]);
  });

  it('stops with CANCELLED when aborted while a command runs, without running the rest', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const reported: string[] = [];
    const run: RunCommand = async (test) => {
      calls.push(test.name);
      controller.abort();
      return res({ exitCode: 1 });
    };
    const error = await runTests([vt({ name: 'a', retries: 3 }), vt({ name: 'b' })], run, {
      signal: controller.signal,
      sleep: recordingSleep().sleep,
      onResult: (r) => reported.push(r.name),
    }).catch((e: unknown) => e);
    expect(isPrismError(error, 'CANCELLED')).toBe(true);
    expect(calls).toEqual(['a']);
    expect(reported).toEqual([]);
  });

  it('stops with CANCELLED when aborted during the delay between tries', async () => {
    const controller = new AbortController();
    const run = scripted({ flaky: [res({ exitCode: 1 })] });
    const sleep = async () => {
      controller.abort();
    };
    const error = await runTests([vt({ name: 'flaky', retries: 5 })], run, { signal: controller.signal, sleep }).catch((e: unknown) => e);
    expect(isPrismError(error, 'CANCELLED')).toBe(true);
    expect(run.calls).toEqual(['flaky#1']);
  });

  it('with the real sleep, an abort ends a long retry delay at once with CANCELLED', async () => {
    const controller = new AbortController();
    const run = scripted({ flaky: [res({ exitCode: 1 })] });
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    const error = await runTests([vt({ name: 'flaky', retries: 1, retryDelaySeconds: 600 })], run, { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isPrismError(error, 'CANCELLED')).toBe(true);
    expect(run.calls).toEqual(['flaky#1']);
  });
});

describe('abortableSleep', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await abortableSleep(20, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('rejects at once when already aborted, and when aborted while waiting', async () => {
    const done = new AbortController();
    done.abort(new Error('first'));
    await expect(abortableSleep(60_000, done.signal)).rejects.toThrow('first');
    const later = new AbortController();
    const started = Date.now();
    setTimeout(() => later.abort(new Error('second')), 10);
    await expect(abortableSleep(60_000, later.signal)).rejects.toThrow('second');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
