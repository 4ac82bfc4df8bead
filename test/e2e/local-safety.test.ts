import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PRISM_BIN, runPrism } from '../support/cli.js';
import { CLEAN, leftovers, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/** Local builds that are stopped, killed, or swept by someone else while they run. */
const runnable = requireOrSkipLocal();

describe.runIf(runnable).sequential('local builds and sweep: what is stopped and what is left alone', { timeout: 600_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let templates: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-local-safety-'));
    e = await localEnv(root);
    templates = join(root, 'templates');
    await mkdir(templates);
    await writeFile(
      join(templates, 'slow.yml'),
      'name: Slow\nbase_ami: {source: debian-12}\nsetup_script: |\n  #!/bin/bash\n  echo "==> sleeping"\n  sleep 600\nvalidation_tests:\n  - {name: ok, command: "true", expected_exit_code: 0}\n',
    );
  }, 600_000);

  afterAll(async () => {
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept', '--older-than', '0s'], { env: e.env });
    await rm(root, { recursive: true, force: true });
  });

  /** A build of `slow`, running until its setup sleeps. */
  async function startSlow(): Promise<{ child: ChildProcessWithoutNullStreams; out: () => string; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [PRISM_BIN, 'ami', 'build', 'slow', '--provider', 'local', '--templates-dir', templates], {
      cwd: root,
      env: { ...process.env, ...e.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 300_000;
    while (!out.includes('📦 sleeping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('📦 sleeping');
    return { child, out: () => out, exited };
  }

  /** sweep as another user of the machine would run it: its own state folder, so no journal of this build. */
  const foreignSweep = (args: string[]) =>
    runPrism(['ami', 'sweep', '--provider', 'local', '--json', ...args], {
      cwd: root,
      env: { ...e.env, PRISM_AMI_STATE_DIR: join(root, 'other-state') },
    });
  const containers = (stdout: string) =>
    (JSON.parse(stdout) as { items: { resource: { kind: string; id: string }; status: string }[] }).items.filter(
      (i) => i.resource.kind === 'container',
    );

  test('a closed terminal (SIGHUP, output no longer read) mid-setup: cleanup runs, exit 130, nothing left', async () => {
    const { child, exited } = await startSlow();
    child.stdout.destroy();
    child.stderr.destroy();
    child.kill('SIGHUP');
    expect(await exited).toBe(130);
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('sweep never touches a live build of another process, even with --older-than 0s; the build goes on', async () => {
    const { child, out, exited } = await startSlow();
    const swept = await foreignSweep(['--older-than', '0s']);
    expect(swept.code, swept.stdout + swept.stderr).toBe(0);
    expect(containers(swept.stdout)).toEqual([]);
    expect((await leftovers(e)).processes.length).toBeGreaterThan(0);
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out()).toContain('Build cancelled');
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('a killed build: what only a scan finds is left alone while young, and removed with --older-than', async () => {
    const { child, exited } = await startSlow();
    child.kill('SIGKILL');
    await exited;
    const young = await foreignSweep([]);
    expect(young.code, young.stdout).toBe(0);
    expect(containers(young.stdout)).toEqual([]);
    const old = await foreignSweep(['--older-than', '0s']);
    expect(old.code, old.stdout).toBe(0);
    expect(containers(old.stdout).map((c) => c.status)).toEqual(['removed']);
    const state = await leftovers(e);
    expect({ ...state, journals: [] }).toEqual(CLEAN);
    // The killed run's own journal is still in its state folder; its own sweep finishes the job.
    expect((await runPrism(['ami', 'sweep', '--provider', 'local'], { env: e.env, cwd: root })).code).toBe(0);
    expect(await leftovers(e)).toEqual(CLEAN);
  });
});
