import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readInstanceFile, runCommand, waitAgentOnline } from './run-command.js';

/**
 * An SSM stand-in that really runs each AWS-RunShellScript command with `sh` on this machine, as
 * the agent does on an instance, and answers GetCommandInvocation with SSM's rules: output only
 * once the command ends, its first 24,000 characters (stderr: 8,000).
 */
class ShellSsm {
  readonly sent: string[] = [];
  private readonly commands = new Map<string, { done: boolean; code: number; stdout: string; stderr: string }>();
  private next = 0;

  constructor(private readonly dir: string) {}

  send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const name = command.constructor.name;
    if (name === 'SendCommandCommand') {
      const id = `cmd-${++this.next}`;
      const lines = (command.input.Parameters as { commands: string[] }).commands;
      this.sent.push(String(command.input.Comment));
      const state = { done: false, code: 0, stdout: '', stderr: '' };
      this.commands.set(id, state);
      const script = join(this.dir, `${id}.sh`);
      void writeFile(script, `${lines.join('\n')}\n`).then(() => {
        const child = spawn('sh', [script], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.setEncoding('utf8').on('data', (c: string) => (state.stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (state.stderr += c));
        child.on('close', (code) => Object.assign(state, { done: true, code: code ?? -1 }));
      });
      return Promise.resolve({ Command: { CommandId: id } });
    }
    if (name === 'GetCommandInvocationCommand') {
      const state = this.commands.get(String(command.input.CommandId))!;
      if (!state.done) return Promise.resolve({ Status: 'InProgress' });
      return Promise.resolve({
        Status: state.code === 0 ? 'Success' : 'Failed',
        ResponseCode: state.code,
        StandardOutputContent: state.stdout.slice(0, 24_000),
        StandardErrorContent: state.stderr.slice(0, 8_000),
      });
    }
    throw new Error(`unexpected ${name}`);
  }
}

/** A fresh temporary folder and ShellSsm running in it for each test of the calling describe. */
function useShellSsm(): { readonly dir: string; readonly ssm: ShellSsm } {
  const state = { dir: '', ssm: undefined as unknown as ShellSsm };
  beforeEach(async () => {
    state.dir = await mkdtemp(join(tmpdir(), 'run-command-'));
    state.ssm = new ShellSsm(state.dir);
  });
  afterEach(() => rm(state.dir, { recursive: true, force: true }));
  return state;
}

describe('runCommand: setup scripts log on the instance and are read in pieces (real sh)', () => {
  const shell = useShellSsm();

  const run = (script: string, progress = { firstMs: 60_000, everyMs: 60_000 }) => {
    let output = '';
    const result = runCommand(
      shell.ssm as unknown as SSMClient,
      'i-0123',
      { kind: 'script', name: 'Install', script, timeoutSeconds: 60, onOutput: (c) => (output += c) },
      new AbortController().signal,
      () => undefined,
      { progress, logPath: join(shell.dir, 'log', 'Install.log') },
    );
    return result.then((r) => ({ ...r, output: () => output }));
  };

  test('200 KB of output, far past SSM 24,000 characters: all of it reaches the build log; the error line is in the result', async () => {
    const result = await run(
      'for i in $(seq 1 4000); do echo "installing package number $i of 4000, a long line"; done\necho "E: the error at the very end" >&2\nexit 100\n',
    );
    expect(result.exitCode).toBe(100);
    const lines = result.output().trimEnd().split('\n');
    expect(lines).toHaveLength(4001);
    expect(lines[0]).toBe('installing package number 1 of 4000, a long line');
    expect(lines[3999]).toBe('installing package number 4000 of 4000, a long line');
    expect(lines.at(-1)).toBe('E: the error at the very end');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('E: the error at the very end');
    // The log on the instance holds the same, byte for byte.
    expect(await readFile(join(shell.dir, 'log', 'Install.log'), 'utf8')).toBe(result.output());
    // The step, then pieces of the log read after it ended.
    expect(shell.ssm.sent[0]).toBe('prism-ami: Install');
    expect(shell.ssm.sent.slice(1).every((c) => c === 'prism-ami: Install (log)')).toBe(true);
  });

  test('short output comes back with the step itself: no extra command', async () => {
    const result = await run('echo "==> hello"\necho done\n');
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stderr: '' });
    expect(result.output()).toBe('==> hello\ndone\n');
    expect(shell.ssm.sent).toEqual(['prism-ami: Install']);
  });

  test('while a step runs, its new lines arrive (live progress), in order and once', async () => {
    const result = await run('echo first\nsleep 3\necho second\nsleep 3\necho third\n', { firstMs: 500, everyMs: 500 });
    expect(result.output()).toBe('first\nsecond\nthird\n');
    expect(shell.ssm.sent.filter((c) => c.endsWith('(log)')).length).toBeGreaterThanOrEqual(2);
  });

  test('multi-byte characters split between pieces decode whole', async () => {
    const result = await run(`for i in $(seq 1 3000); do printf 'é€😀 line %s\\n' "$i"; done\nexit 1\n`);
    const lines = result.output().trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(lines.every((l, i) => l === `é€😀 line ${i + 1}`)).toBe(true);
  });
});

describe('readInstanceFile: a file of the instance, whole, in pieces that fit SSM (real sh)', () => {
  const shell = useShellSsm();
  const read = (path: string, maxBytes = 64 * 1024 * 1024) =>
    readInstanceFile(shell.ssm as unknown as SSMClient, 'i-0123', path, maxBytes, new AbortController().signal, () => undefined);

  test('400 KB that compress poorly come back byte for byte, in several commands', async () => {
    const bytes = randomBytes(400_000);
    await writeFile(join(shell.dir, 'listing'), bytes);
    const got = await read(join(shell.dir, 'listing'));
    expect(got.equals(bytes)).toBe(true);
    expect(shell.ssm.sent.length).toBeGreaterThan(bytes.length / 24_000);
  });

  test('a small file, and an empty one, take one command each', async () => {
    await writeFile(join(shell.dir, 'small'), 'a\nb\n');
    await writeFile(join(shell.dir, 'empty'), '');
    expect((await read(join(shell.dir, 'small'))).toString()).toBe('a\nb\n');
    expect((await read(join(shell.dir, 'empty'))).length).toBe(0);
    expect(shell.ssm.sent).toHaveLength(2);
  });

  test('a missing file, or one over the limit, is an error naming it', async () => {
    await expect(read(join(shell.dir, 'nope'))).rejects.toThrow(/reading .*nope on i-0123 failed: no such file/);
    await writeFile(join(shell.dir, 'big'), 'x'.repeat(5000));
    await expect(read(join(shell.dir, 'big'), 1000)).rejects.toThrow(/big on i-0123 is 5000 bytes, more than 1000/);
  });
});

describe('waitAgentOnline: the agent answers, or the timeout names the likely causes', () => {
  /** SSM as it answers for an instance whose agent has not registered: InvalidInstanceId, `until` times. */
  const unregistered = (until: number) => {
    let tries = 0;
    return {
      tries: () => tries,
      send(command: { constructor: { name: string } }): Promise<unknown> {
        if (command.constructor.name === 'SendCommandCommand') {
          if (++tries <= until)
            return Promise.reject(Object.assign(new Error('Instances [[i-0abc]] not in a valid state'), { name: 'InvalidInstanceId' }));
          return Promise.resolve({ Command: { CommandId: 'cmd-1' } });
        }
        return Promise.resolve({ Status: 'Success', ResponseCode: 0, StandardOutputContent: '', StandardErrorContent: '' });
      },
    };
  };
  const wait = (ssm: ReturnType<typeof unregistered>, installing: boolean) =>
    waitAgentOnline(ssm as unknown as SSMClient, 'i-0abc', new AbortController().signal, 1000, () => undefined, installing);

  test('an agent that registers after a while: the wait ends when it runs a command', async () => {
    const ssm = unregistered(1);
    await expect(wait(ssm, false)).resolves.toBeUndefined();
    expect(ssm.tries()).toBe(2);
  });

  test('an agent being installed by the user data that never comes: where to look and why it may be', async () => {
    const error = await wait(unregistered(Infinity), true).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('the SSM agent on i-0abc to come online') });
    const hint = (error as { hint: string }).hint;
    expect(hint).toContain('aws ec2 get-console-output --instance-id i-0abc');
    expect(hint).toContain('prism-ami agent bootstrap');
    for (const cause of ['no route to S3', 'ssmAgentKeyFile', 'no route to SSM', 'AmazonSSMManagedInstanceCore'])
      expect(hint).toContain(cause);
  });

  test('a base that should have the agent: its route, its profile, or an image without the agent', async () => {
    const error = await wait(unregistered(Infinity), false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    const hint = (error as { hint: string }).hint;
    for (const cause of ['route to SSM', 'AmazonSSMManagedInstanceCore', 'must have the SSM agent installed'])
      expect(hint).toContain(cause);
    expect(hint).not.toContain('get-console-output');
  });
});
