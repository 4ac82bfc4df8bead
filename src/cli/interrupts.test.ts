import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { RunTracker } from '../engine/run-tracker.js';
import { isPrismError } from '../core/errors.js';
import { memoryIo } from '../render/io.js';
import { handleInterrupts } from './interrupts.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const SOURCES = ['cli/interrupts', 'engine/run-tracker', 'engine/cleanup-stack', 'render/io'];

/** The child runs the built code: fail clearly when dist/ is missing or older than src/. */
function requireBuiltInterrupts(): void {
  for (const name of SOURCES) {
    const built = join(DIST, `${name}.js`);
    const source = fileURLToPath(new URL(`../${name}.ts`, import.meta.url));
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
    if (statSync(built).mtimeMs < statSync(source).mtimeMs)
      throw new Error(`${built} is older than its source: run \`npm run build\` first`);
  }
}

/** A process that tracks one fake resource of a run and waits, as a build in progress does. */
function childScript(pending: boolean): string {
  const url = (name: string) => pathToFileURL(join(DIST, `${name}.js`)).href;
  return `
import { handleInterrupts } from ${JSON.stringify(url('cli/interrupts'))};
import { RunTracker } from ${JSON.stringify(url('engine/run-tracker'))};
import { CleanupStack } from ${JSON.stringify(url('engine/cleanup-stack'))};
import { processIo } from ${JSON.stringify(url('render/io'))};

const tracker = new RunTracker();
const stack = new CleanupStack();
${pending ? `await stack.add({ kind: 'container', id: 'prism-fake', provider: 'local', region: 'local', label: 'container prism-fake (fake)' }, async () => {});` : ''}
tracker.add(stack, 'local');
const interrupts = handleInterrupts(processIo(), tracker);
interrupts.signal.addEventListener('abort', () => {
  const reason = interrupts.signal.reason;
  process.stdout.write('aborted: ' + reason.code + ' ' + reason.message + '\\n');
});
setInterval(() => {}, 1000);
process.stdout.write('ready\\n');
`;
}

interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) contains `text`. */
  waitFor(text: string, stream?: 'stdout' | 'stderr'): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function startChild(pending = true): Promise<Child> {
  const dir = await tempDir();
  const file = join(dir, 'child.mjs');
  await writeFile(file, childScript(pending));
  const proc = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; stream: 'stdout' | 'stderr'; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if ((w.stream === 'stdout' ? stdout : stderr).includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    check();
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    proc,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor: (text, stream = 'stdout') =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, stream, resolve });
        check();
        void exited.then(() =>
          reject(new Error(`child exited before printing ${JSON.stringify(text)}; stdout: ${stdout}; stderr: ${stderr}`)),
        );
      }),
  };
}

describe('handleInterrupts in a real process (built dist/)', () => {
  beforeAll(requireBuiltInterrupts);

  it('the first SIGINT aborts the signal; the second exits at once with 130 and says what may remain', async () => {
    const child = await startChild();
    try {
      await child.waitFor('ready\n');
      child.proc.kill('SIGINT');
      await child.waitFor('aborted: CANCELLED Interrupted (SIGINT)\n');
      await child.waitFor('Interrupted (SIGINT): stopping and cleaning up. Press Ctrl-C again to exit at once.', 'stderr');
      expect(child.proc.exitCode).toBeNull();
      expect(child.stderr()).not.toContain('prism ami sweep');

      const second = Date.now();
      child.proc.kill('SIGINT');
      const { code, signal, at } = await child.exited;
      expect(signal).toBeNull();
      expect(code).toBe(130);
      expect(at - second).toBeLessThan(3000);
      const stderr = child.stderr();
      expect(stderr).toContain('Exiting without finishing cleanup. These may remain:\n  - container prism-fake (fake)\n');
      expect(stderr).toContain('Remove them with: prism ami sweep --provider local\n');
      // The abort is announced once only.
      expect(child.stdout().match(/aborted:/g)).toHaveLength(1);
    } finally {
      child.proc.kill('SIGKILL');
    }
  });

  it('SIGTERM counts as an interrupt too', async () => {
    const child = await startChild();
    try {
      await child.waitFor('ready\n');
      child.proc.kill('SIGTERM');
      await child.waitFor('aborted: CANCELLED Interrupted (SIGTERM)\n');
      expect(child.proc.exitCode).toBeNull();
      child.proc.kill('SIGTERM');
      const { code } = await child.exited;
      expect(code).toBe(130);
      expect(child.stderr()).toContain('prism ami sweep --provider local');
    } finally {
      child.proc.kill('SIGKILL');
    }
  });

  it('SIGHUP (a closed terminal) counts as an interrupt, and output that cannot be written any more does not crash it', async () => {
    const child = await startChild();
    try {
      await child.waitFor('ready\n');
      // The terminal is gone: nobody reads stdout or stderr any more.
      child.proc.stdout.destroy();
      child.proc.stderr.destroy();
      child.proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      expect(
        { code: child.proc.exitCode, signal: child.proc.signalCode },
        'the first SIGHUP must not end the process: its cleanup is still running',
      ).toEqual({ code: null, signal: null });
      child.proc.kill('SIGHUP');
      const { code } = await child.exited;
      expect(code).toBe(130);
    } finally {
      child.proc.kill('SIGKILL');
    }
  });

  it('with nothing pending, the second signal just exits 130', async () => {
    const child = await startChild(false);
    try {
      await child.waitFor('ready\n');
      child.proc.kill('SIGINT');
      await child.waitFor('aborted:');
      child.proc.kill('SIGINT');
      const { code } = await child.exited;
      expect(code).toBe(130);
      expect(child.stderr()).toContain('\nExiting.\n');
      expect(child.stderr()).not.toContain('sweep');
    } finally {
      child.proc.kill('SIGKILL');
    }
  });
});

describe('handleInterrupts in this process', () => {
  it('aborts with CANCELLED on the first signal, and dispose removes its handlers', () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const io = memoryIo();
    const interrupts = handleInterrupts(io, new RunTracker());
    try {
      expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
      expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
      expect(interrupts.signal.aborted).toBe(false);
      // Only the listeners run: no real signal is sent.
      process.emit('SIGINT', 'SIGINT');
      expect(interrupts.signal.aborted).toBe(true);
      expect(isPrismError(interrupts.signal.reason, 'CANCELLED')).toBe(true);
      expect((interrupts.signal.reason as Error).message).toBe('Interrupted (SIGINT)');
      expect(io.stderr).toContain('Interrupted (SIGINT): stopping and cleaning up');
      expect(io.stdout).toBe('');
    } finally {
      interrupts.dispose();
    }
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
  });
});
