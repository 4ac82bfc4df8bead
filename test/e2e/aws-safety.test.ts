import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { cloudState, createInstanceProfile, writeSeedAmis } from '../support/aws-env.js';
import { PRISM_BIN, runPrism } from '../support/cli.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startMoto, type Moto } from '../support/moto.js';

const REGIONS = ['us-east-1', 'us-east-2'];

/** What is left after a build is stopped: hang-ups, kept machines, Ctrl-C during a copy (moto_server). */
describe.sequential('aws builds that are stopped or kept', () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  const prism = (args: string[]) => runPrism(args, { cwd: dir, env });
  const state = () => cloudState(moto.endpoint, REGIONS);
  const expectClean = async () => {
    for (const s of await state()) {
      expect(s.liveInstances, `instances left in ${s.region}`).toEqual([]);
      expect(s.buildGroups, `security groups left in ${s.region}`).toEqual([]);
      expect(
        s.images.filter((i) => i.tags['prism:status'] !== 'complete'),
        `unfinished images in ${s.region}`,
      ).toEqual([]);
    }
  };

  /** Starts a build, waits for a line of its output, then does `then` to it; resolves with how it ended. */
  async function interrupt(args: string[], waitFor: string, then: (child: ReturnType<typeof spawn>) => void) {
    const child = spawn(process.execPath, [PRISM_BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 30_000;
    while (!stdout.includes(waitFor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toContain(waitFor);
    await new Promise((r) => setTimeout(r, 300));
    then(child);
    return { ...(await exited), stdout: () => stdout };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-safety-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    await createInstanceProfile(moto.env);
    env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    await mkdir(join(dir, 'templates'));
    await writeFile(
      join(dir, 'templates', 'tiny.yml'),
      'name: Tiny\nbase_ami: {source: ubuntu-22.04-lts, architecture: [x86_64]}\nregions: [us-east-1, us-east-2]\nsetup_script: "echo setup"\nvalidation_tests:\n  - {name: shell works, command: "true", expected_exit_code: 0}\n',
    );
    await writeFile(
      join(dir, 'prism-ami.config.yaml'),
      'templatesDir: templates\ninstanceProfile: prism-builder\ninstanceProfileWaitSeconds: 2\nreadyTimeoutMinutes: 2\nimageTimeoutMinutes: 2\nregions: [us-east-1, us-east-2]\n',
    );
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => proxy.reset());

  test('a closed terminal (SIGHUP, nobody reading the output any more) cleans up like Ctrl-C: exit 130, nothing left', async () => {
    proxy.setRules([{ action: 'DescribeInstanceStatus', delayMs: 60_000 }]);
    const { code } = await interrupt(
      ['ami', 'build', 'tiny', '--region', 'us-east-1', '--force'],
      'Waiting for instance ready',
      (child) => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        child.kill('SIGHUP');
      },
    );
    proxy.setRules([]);
    expect(code).toBe(130);
    expect(proxy.count('TerminateInstances')).toBe(1);
    expect(proxy.count('DeleteSecurityGroup')).toBeGreaterThanOrEqual(1);
    await expectClean();
  });

  test('--keep-on-failure keeps the security group with the instance (EC2 refuses to delete a group in use); sweep --include-kept removes both', async () => {
    // The agent check passes; the setup step then fails on the instance. While the instance is
    // alive, EC2 answers DependencyViolation to deleting its group.
    proxy.setRules([
      {
        action: 'GetCommandInvocation',
        skip: 1,
        patch: { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 2, StandardErrorContent: 'apt broke' },
      },
      { action: 'DeleteSecurityGroup', error: { status: 400, code: 'DependencyViolation', message: 'resource has a dependent object' } },
    ]);
    const result = await prism(['ami', 'build', 'tiny', '--region', 'us-east-1', '--force', '--keep-on-failure']);
    proxy.setRules([]);
    expect(result.code, result.stdout).toBe(1);
    expect(proxy.count('DeleteSecurityGroup')).toBe(0);
    expect(proxy.count('TerminateInstances')).toBe(0);
    expect(result.stdout).toMatch(/📌 kept instance i-/);
    expect(result.stdout).toMatch(/📌 kept security group sg-/);
    const [east] = await state();
    expect(east.liveInstances).toHaveLength(1);
    expect(east.buildGroups).toHaveLength(1);
    const swept = await prism(['ami', 'sweep', '--provider', 'aws', '--include-kept']);
    expect(swept.code, swept.stdout + swept.stderr).toBe(0);
    await expectClean();
  });

  test('Ctrl-C during a copy: the image is made and recorded (and said so), the unfinished copy is removed', async () => {
    // The copy in us-east-2 never becomes available while the build runs.
    proxy.setRules([{ action: 'DescribeImages', region: 'us-east-2', delayMs: 60_000, times: 1 }]);
    const { code, stdout } = await interrupt(
      ['ami', 'build', 'tiny', '--region', 'us-east-1', '--force', '--copy-to', 'us-east-2'],
      'Copying image to us-east-2',
      (child) => child.kill('SIGINT'),
    );
    proxy.setRules([]);
    expect(code).toBe(130);
    const image = /Image (ami-[0-9a-f]+) \(us-east-1\) was made and recorded/.exec(stdout())?.[1];
    expect(image, stdout()).toBeDefined();
    expect(stdout()).not.toContain('No image was made');
    const resolved = await prism(['ami', 'resolve', 'tiny', '--region', 'us-east-1', '--architecture', 'x86_64']);
    expect(resolved.stdout.trim()).toBe(image);
    const [, west] = await state();
    expect(west.images.filter((i) => i.tags['prism:template'] === 'tiny')).toEqual([]);
    await expectClean();
  });
});
