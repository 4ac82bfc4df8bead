import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCloud } from '../../test/support/memory-cloud.js';
import { tempDir } from '../../test/support/temp.js';
import { templateFromYaml } from '../../test/support/templates.js';
import { runBuild } from '../engine/pipeline.js';
import type { BuildEvent, Target, TestResult } from '../core/events.js';
import { formatBytes } from './format.js';
import { memoryIo } from './io.js';
import { createRenderer, pickMode, type RenderMode } from './run-renderer.js';
import { stripAnsi } from './style.js';

const T: Target = { template: 'hello-web', architecture: 'x86_64', region: 'local' };
const LOG = '/var/lib/prism-ami/logs/hello-web-x86_64-build-1.log';

const runStart = (kind: 'build' | 'validate' = 'build'): BuildEvent => ({
  type: 'run-start',
  kind,
  buildId: 'build-1',
  target: T,
  provider: 'local',
  version: '1.0.0',
  fingerprint: 'sha256:abc',
  logFile: LOG,
});
const start = (step: string, title: string): BuildEvent => ({ type: 'step-start', target: T, step, title });
const ok = (step: string, title: string, durationMs: number, detail?: string): BuildEvent => ({
  type: 'step-end',
  target: T,
  step,
  title,
  status: 'ok',
  durationMs,
  ...(detail ? { detail } : {}),
});
const failedEnd = (step: string, title: string, durationMs: number, error: string): BuildEvent => ({
  type: 'step-end',
  target: T,
  step,
  title,
  status: 'failed',
  durationMs,
  error,
});
const passed = (name: string, attempts = 1): TestResult => ({
  name,
  status: 'passed',
  attempts,
  durationMs: 5,
  exitCode: 0,
  excerpt: 'ok',
});
const failedTest = (name: string, reason: string, excerpt: string): TestResult => ({
  name,
  status: 'failed',
  attempts: 1,
  durationMs: 5,
  exitCode: 0,
  reason,
  excerpt,
});
const testResult = (result: TestResult, step = 'validate'): BuildEvent => ({ type: 'test-result', target: T, step, result });

/** A successful local build of hello-web, as the engine emits it. */
function successEvents(): BuildEvent[] {
  const tests = [passed('nginx is active', 3), passed('Page is served')];
  return [
    runStart(),
    start('preflight', 'Checking prerequisites'),
    ok('preflight', 'Checking prerequisites', 30),
    start('find-base', 'Finding base image'),
    ok('find-base', 'Finding base image', 12, 'lbase-1 (debian-12 bookworm)'),
    start('launch', 'Launching build container'),
    ok('launch', 'Launching build container', 800, 'prism-1a2b (1 layer)'),
    start('wait-ready', 'Waiting for container ready'),
    ok('wait-ready', 'Waiting for container ready', 2100),
    start('setup-1', 'Executing setup script'),
    { type: 'step-output', target: T, step: 'setup-1', line: '==> installing nginx' },
    { type: 'step-progress', target: T, step: 'setup-1', message: 'installing nginx', origin: 'script' },
    { type: 'step-output', target: T, step: 'setup-1', line: 'Unpacking nginx (1.22.1-9) ...' },
    ok('setup-1', 'Executing setup script', 65_000),
    start('validate', 'Running validation tests'),
    testResult(tests[0]),
    testResult(tests[1]),
    ok('validate', 'Running validation tests', 100, '2/2'),
    start('create-image', 'Creating image'),
    ok('create-image', 'Creating image', 1500, 'limg-070696aae107'),
    start('retest-launch', 'Launching a fresh container from limg-070696aae107'),
    ok('retest-launch', 'Launching a fresh container from limg-070696aae107', 300, 'prism-1a2b (2 layers)'),
    start('retest-wait-ready', 'Waiting for container ready'),
    ok('retest-wait-ready', 'Waiting for container ready', 400),
    start('retest', 'Re-running validation tests on a fresh boot'),
    testResult(tests[0], 'retest'),
    testResult(tests[1], 'retest'),
    ok('retest', 'Re-running validation tests on a fresh boot', 100, '2/2'),
    start('record', 'Recording image'),
    ok('record', 'Recording image', 5),
    { type: 'cleanup', target: T, resource: 'container prism-1a2b', status: 'removed' },
    {
      type: 'run-end',
      kind: 'build',
      target: T,
      status: 'succeeded',
      durationMs: 72_400,
      image: { id: 'limg-070696aae107', name: 'hello-web-1.0.0-x86_64-20261126T111011Z', region: 'local', sizeBytes: 111_124_480 },
      tests,
    },
  ];
}

/** A build whose second test failed. */
function failureEvents(): BuildEvent[] {
  const tests = [
    passed('nginx is active'),
    failedTest('Page is served', 'output does not contain "Hello"', 'line one\n<h1>Welcome to nginx!</h1>'),
  ];
  const message = '1 of 2 validation tests failed: Page is served';
  return [
    runStart(),
    start('setup-1', 'Executing setup script'),
    ok('setup-1', 'Executing setup script', 1000),
    start('validate', 'Running validation tests'),
    testResult(tests[0]),
    testResult(tests[1]),
    failedEnd('validate', 'Running validation tests', 200, message),
    { type: 'cleanup', target: T, resource: 'container prism-1a2b', status: 'removed' },
    { type: 'cleanup', target: T, resource: 'work folder /w', status: 'failed', error: 'busy' },
    {
      type: 'run-end',
      kind: 'build',
      target: T,
      status: 'failed',
      durationMs: 3000,
      tests,
      error: { code: 'VALIDATION_FAILED', message, hint: `no image was made; the output of each test is in ${LOG}` },
    },
  ];
}

function render(mode: RenderMode, events: BuildEvent[], io = memoryIo({ isTTY: mode === 'human', color: mode === 'human' })) {
  const renderer = createRenderer(mode, io);
  for (const event of events) renderer.sink(event);
  renderer.close();
  return io;
}

/** What a terminal shows after `text`: \r returns to the line start, ESC[2K clears the line. */
function screen(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  // eslint-disable-next-line no-control-regex -- the live view's erase-line sequence
  for (const token of text.split(/(\r|\n|\u001b\[2K)/)) {
    if (token === '\n') {
      lines.push(current);
      current = '';
    } else if (token === '\u001b[2K') current = '';
    else if (token === '\r') {
      // Every \r in the renderer is followed by a line clear.
    } else current += token;
  }
  if (current) lines.push(current);
  return lines;
}

// eslint-disable-next-line no-control-regex -- ESC starts every ANSI sequence
const ANSI = /\u001b\[/;

afterEach(() => {
  vi.useRealTimers();
});

describe('pickMode', () => {
  it('is json when asked, human on a terminal, plain otherwise', () => {
    expect(pickMode(memoryIo({ isTTY: true }), true)).toBe('json');
    expect(pickMode(memoryIo({ isTTY: true }), false)).toBe('human');
    expect(pickMode(memoryIo({ isTTY: false }), false)).toBe('plain');
  });
});

describe('plain renderer', () => {
  it('prints the seed-style lines of a successful build', () => {
    const io = render('plain', successEvents());
    expect(io.stdout.split('\n')).toEqual([
      '🏗️  Building image for template: hello-web',
      '   Architecture: x86_64',
      '   Region: local',
      '   Version: 1.0.0',
      '   Provider: local   Build: build-1',
      `   Log: ${LOG}`,
      '',
      '⏳ Checking prerequisites...',
      '✅ Prerequisites checked (0.0s)',
      '⏳ Finding base image...',
      '✅ Base image: lbase-1 (debian-12 bookworm) (0.0s)',
      '⏳ Launching build container...',
      '✅ Container launched: prism-1a2b (1 layer) (0.8s)',
      '⏳ Waiting for container ready...',
      '✅ Container ready (2.1s)',
      '',
      '⏳ Executing setup script...',
      '   📦 installing nginx',
      '✅ Setup complete (1m 5s)',
      '',
      '⏳ Running validation tests...',
      '   ✅ nginx is active (3 tries)',
      '   ✅ Page is served',
      '✅ All tests passed: 2/2 (0.1s)',
      '',
      '⏳ Creating image...',
      '✅ Image created: limg-070696aae107 (1.5s)',
      '',
      '⏳ Launching a fresh container from limg-070696aae107...',
      '✅ Fresh container launched: prism-1a2b (2 layers) (0.3s)',
      '⏳ Waiting for container ready...',
      '✅ Container ready (0.4s)',
      '',
      '⏳ Re-running validation tests on a fresh boot...',
      '   ✅ nginx is active (3 tries)',
      '   ✅ Page is served',
      '✅ All tests passed on a fresh boot: 2/2 (0.1s)',
      '',
      '⏳ Recording image...',
      '✅ Image recorded (0.0s)',
      '',
      '🎉 Build complete!',
      '   Image ID: limg-070696aae107',
      '   Name: hello-web-1.0.0-x86_64-20261126T111011Z',
      `   Size: ${formatBytes(111_124_480)}`,
      '   Total time: 1m 12s',
      '',
    ]);
    expect(io.stderr).toBe('');
  });

  it('closes every ⏳ line with a ✅ or ❌ line, whatever the run ends with', () => {
    const cancelled: BuildEvent[] = [
      runStart(),
      start('preflight', 'Checking prerequisites'),
      ok('preflight', 'Checking prerequisites', 5),
      start('setup-1', 'Executing setup script'),
      { type: 'step-end', target: T, step: 'setup-1', title: 'Executing setup script', status: 'cancelled', durationMs: 40 },
    ];
    for (const events of [successEvents(), failureEvents(), cancelled]) {
      const lines = render('plain', events).stdout.split('\n');
      const opened = lines.filter((l) => l.startsWith('⏳ ')).map((l) => l.slice(2, -3));
      const closed = lines.filter((l) => /^(✅|❌) /.test(l));
      expect(closed.length, lines.join('\n')).toBeGreaterThanOrEqual(opened.length);
    }
    expect(render('plain', cancelled).stdout).toContain('❌ Executing setup script: cancelled (0.0s)');
  });

  it('has no ANSI codes and no carriage returns, even when colour is allowed', () => {
    for (const events of [successEvents(), failureEvents()]) {
      const io = render('plain', events, memoryIo({ isTTY: false, color: true }));
      expect(io.stdout).not.toMatch(ANSI);
      expect(io.stdout).not.toContain('\r');
    }
  });

  it('prints a failed build: one line per test with its reason and output, the error, the hint, and that no image was made', () => {
    const io = render('plain', failureEvents());
    const lines = io.stdout.split('\n');
    expect(lines).toContain('   ✅ nginx is active');
    expect(lines).toContain('   ❌ Page is served: output does not contain "Hello"');
    expect(lines).toContain('      │ line one');
    expect(lines).toContain('      │ <h1>Welcome to nginx!</h1>');
    expect(lines).toContain('❌ Running validation tests failed (0.2s)');
    expect(lines).toContain('   🧹 removed container prism-1a2b');
    expect(lines).toContain('   ⚠️  could not remove work folder /w: busy');
    const tail = lines.slice(lines.indexOf('❌ Build failed: 1 of 2 validation tests failed: Page is served'));
    expect(tail).toEqual([
      '❌ Build failed: 1 of 2 validation tests failed: Page is served',
      `   hint: no image was made; the output of each test is in ${LOG}`,
      '   No image was made, and everything the build created was removed.',
      '',
    ]);
    expect(io.stdout).not.toContain('Build complete');
    expect(io.stdout).not.toContain('All tests passed');
  });

  it('shows what was kept and how to reach it after a failure with --keep-on-failure', () => {
    const io = render('plain', [
      runStart(),
      { type: 'cleanup', target: T, resource: 'container prism-1a2b', status: 'kept' },
      {
        type: 'run-end',
        kind: 'build',
        target: T,
        status: 'failed',
        durationMs: 10,
        error: { code: 'BUILD_FAILED', message: 'setup step "x" failed with exit code 1' },
        leftovers: ['container prism-1a2b'],
        hints: ['machinectl shell prism-1a2b', 'prism ami sweep --provider local removes what is left (build build-1)'],
      },
    ]);
    const lines = io.stdout.split('\n');
    expect(lines).toContain('   📌 kept container prism-1a2b');
    expect(lines.slice(-5)).toEqual([
      '❌ Build failed: setup step "x" failed with exit code 1',
      '   Left in place: container prism-1a2b',
      '   → machinectl shell prism-1a2b',
      '   → prism ami sweep --provider local removes what is left (build build-1)',
      '',
    ]);
  });

  it('does not say "No image was made" for a partial run (image made, a region copy failed)', () => {
    const io = render('plain', [
      runStart(),
      {
        type: 'run-end',
        kind: 'build',
        target: T,
        status: 'partial',
        durationMs: 1000,
        image: { id: 'ami-1', name: 'n', region: 'us-east-1' },
        copies: [{ id: 'ami-2', name: 'n', region: 'us-west-2' }],
        error: { code: 'PARTIAL', message: 'image ami-1 was built in us-east-1, but 1 of 2 copies failed: eu-west-2: boom' },
      },
    ]);
    expect(io.stdout).not.toContain('No image was made');
    expect(io.stdout).toMatch(/^ {3}Image ID: ami-1\b/m);
    expect(io.stdout).toContain('   Copy: us-west-2 ami-2\n');
    expect(io.stdout).not.toContain('Build complete');
  });

  it('says a cancelled build was cancelled', () => {
    const io = render('plain', [
      runStart(),
      start('setup-1', 'Executing setup script'),
      {
        type: 'step-end',
        target: T,
        step: 'setup-1',
        title: 'Executing setup script',
        status: 'cancelled',
        durationMs: 1500,
        error: 'Cancelled',
      },
      {
        type: 'run-end',
        kind: 'build',
        target: T,
        status: 'cancelled',
        durationMs: 4000,
        error: { code: 'CANCELLED', message: 'Cancelled' },
      },
    ]);
    expect(io.stdout).toContain('❌ Executing setup script: cancelled (1.5s)\n');
    expect(io.stdout).toContain('⚠️  Build cancelled after 4.0s\n');
    expect(io.stdout).not.toContain('Build failed');
  });

  it('prints "is up to date" for a skipped build', () => {
    const io = render('plain', [
      {
        type: 'run-end',
        kind: 'build',
        target: T,
        status: 'skipped',
        durationMs: 0,
        image: { id: 'limg-1', name: 'hello-web-1.0.0-x86_64-20261126T111011Z', region: 'local' },
      },
    ]);
    expect(io.stdout).toBe(
      '✅ hello-web (x86_64) is up to date: limg-1 (hello-web-1.0.0-x86_64-20261126T111011Z)\n' +
        '   A validated image with the same fingerprint exists; nothing to build. --force rebuilds.\n',
    );
  });

  it('prints a passed validation', () => {
    const io = render('plain', [
      runStart('validate'),
      { type: 'run-end', kind: 'validate', target: T, status: 'succeeded', durationMs: 5000, tests: [passed('a'), passed('b')] },
    ]);
    expect(io.stdout).toContain('🏗️  Validating image for template: hello-web\n');
    expect(io.stdout).toContain('🎉 Validation passed: 2 tests on a fresh container\n   Total time: 5.0s\n');
  });

  it('prefixes lines with the target when asked (build-all)', () => {
    const io = memoryIo();
    const renderer = createRenderer('plain', io, { prefixTargets: true });
    renderer.sink(start('find-base', 'Finding base image'));
    renderer.sink({ ...start('find-base', 'Finding base image'), target: { ...T, architecture: 'arm64', region: 'us-east-1' } });
    renderer.close();
    expect(io.stdout).toBe('[hello-web x86_64] ⏳ Finding base image...\n[hello-web arm64 us-east-1] ⏳ Finding base image...\n');
  });

  it('renders a real engine run (in-memory cloud) with every test and the image', async () => {
    const dir = await tempDir();
    const io = memoryIo();
    const renderer = createRenderer('plain', io);
    const cloud = new MemoryCloud({
      exec: { 'page served': { stdout: 'Hello\n' }, Install: { chunks: [['==> installing\n', 'stdout']] } },
    });
    await runBuild({
      provider: cloud,
      template: templateFromYaml(
        'name: Demo\nbase_ami: {source: debian-12}\nsetup_steps:\n  - name: Install\n    script: echo hi\nvalidation_tests:\n  - name: page served\n    command: curl localhost\n    expected_contains: Hello\n',
      ),
      architecture: 'x86_64',
      version: '2.0',
      buildId: 'build-r1',
      fingerprint: 'fp',
      emit: renderer.sink,
      signal: new AbortController().signal,
      logFile: join(dir, 'b.log'),
    });
    renderer.close();
    const lines = io.stdout.split('\n');
    expect(lines).toContain('⏳ Executing setup script...');
    expect(lines).toContain('   📦 installing');
    expect(lines).toContain('   ✅ page served');
    expect(lines.some((l) => /^✅ Image created: img-1 \(\d+\.\ds\)$/.test(l))).toBe(true);
    expect(lines).toContain('🎉 Build complete!');
    expect(lines).toContain('   Image ID: img-1');
    expect(lines.some((l) => /^ {3}Total time: \d+\.\ds$/.test(l))).toBe(true);
    expect(io.stdout).not.toContain('\r');
  });
});

describe('live renderer (terminal)', () => {
  it('redraws the running step in place, with elapsed time and the last output line', () => {
    vi.useFakeTimers();
    const io = memoryIo({ isTTY: true, color: true, columns: 100 });
    const renderer = createRenderer('human', io);
    renderer.sink(runStart());
    renderer.sink(start('setup-1', 'Executing setup script'));
    expect(io.stdout.endsWith('\r\u001b[2K⠋ Executing setup script... 0.0s')).toBe(true);
    renderer.sink({ type: 'step-output', target: T, step: 'setup-1', line: '  Unpacking nginx (1.22.1-9) ...  ' });
    vi.advanceTimersByTime(2500);
    // 25 redraws (frame 25 % 10), each returning to the start of the line and clearing it.
    const redraw = stripAnsi(io.stdout.slice(io.stdout.lastIndexOf('\r')));
    expect(redraw).toMatch(/^\r⠴ Executing setup script\.\.\. 2\.5s {2}Unpacking nginx \(1\.22\.1-9\) \.\.\.$/);
    expect(io.stdout.split('\r\u001b[2K⠋').length - 1).toBeGreaterThanOrEqual(3);

    // A progress line is printed above the spinner, which is drawn again below it.
    const before = io.stdout.length;
    renderer.sink({ type: 'step-progress', target: T, step: 'setup-1', message: 'configuring', origin: 'script' });
    const printed = io.stdout.slice(before);
    expect(printed.startsWith('\r\u001b[2K   📦 configuring\n\r\u001b[2K')).toBe(true);
    expect(stripAnsi(printed)).toContain('Executing setup script... 2.5s');

    renderer.sink(ok('setup-1', 'Executing setup script', 2500));
    vi.advanceTimersByTime(1000);
    const afterEnd = io.stdout.length;
    vi.advanceTimersByTime(1000);
    expect(io.stdout.length, 'no spinner after the step ends').toBe(afterEnd);
    renderer.close();
  });

  it('ends with the same done lines as plain output once the spinners are gone', () => {
    vi.useFakeTimers();
    const io = memoryIo({ isTTY: true, color: true });
    const renderer = createRenderer('human', io);
    for (const event of successEvents()) {
      renderer.sink(event);
      vi.advanceTimersByTime(150);
    }
    renderer.close();
    expect(io.stdout).toMatch(ANSI);
    const shown = screen(io.stdout).map(stripAnsi);
    const plain = render('plain', successEvents())
      .stdout.split('\n')
      .filter((l) => !l.startsWith('⏳'));
    expect(shown).toEqual(plain.slice(0, -1));
    expect(shown).toContain('✅ Base image: lbase-1 (debian-12 bookworm) (0.0s)');
    expect(shown).toContain('🎉 Build complete!');
    expect(shown).toContain('   Image ID: limg-070696aae107');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() stops the spinner of a step that never ended', () => {
    vi.useFakeTimers();
    const io = memoryIo({ isTTY: true, color: false });
    const renderer = createRenderer('human', io);
    renderer.sink(start('launch', 'Launching build container'));
    expect(vi.getTimerCount()).toBe(1);
    renderer.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(io.stdout.endsWith('\r\u001b[2K')).toBe(true);
  });
});

describe('json renderer', () => {
  it('prints one JSON object per line with time and type, and never command output', () => {
    const events = successEvents();
    const io = render('json', events);
    const lines = io.stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    const objects = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = events.filter((e) => e.type !== 'step-output');
    expect(objects).toHaveLength(expected.length);
    objects.forEach((o, i) => {
      expect(typeof o.time).toBe('string');
      expect(new Date(o.time as string).toISOString()).toBe(o.time);
      const event = { ...o };
      delete event.time;
      expect(event).toEqual(expected[i]);
    });
    expect(objects.some((o) => o.type === 'step-output')).toBe(false);
    expect(io.stdout).not.toContain('Unpacking nginx');
    expect(io.stdout).not.toMatch(ANSI);
    expect(Object.keys(objects[0]).slice(0, 2)).toEqual(['time', 'type']);
  });

  it('is json even on a colour terminal', () => {
    const io = render('json', [runStart()], memoryIo({ isTTY: true, color: true }));
    expect(JSON.parse(io.stdout)).toMatchObject({ type: 'run-start', buildId: 'build-1' });
    expect(io.stdout).not.toContain('🏗️');
  });
});
