import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createInstanceProfile, writeSeedAmis } from '../support/aws-env.js';
import { runPrism } from '../support/cli.js';
import { FaultProxy, requestTags } from '../support/fault-proxy.js';
import { events } from '../support/local-env.js';
import { startMoto, type Moto } from '../support/moto.js';

/**
 * Registry semantics through real `prism` processes against moto: what is "up to date", what a
 * revoke takes out of service, what a failed validation does. One rule decides for every verb.
 */
describe.sequential('registry semantics on AWS (moto_server)', () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  const prism = (args: string[]) => runPrism(args, { cwd: dir, env });
  const json = async (args: string[]) => {
    const result = await prism([...args, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const resolve = async (template: string, region: string, arch = 'x86_64') => {
    const result = await prism(['ami', 'resolve', template, '--region', region, '--architecture', arch]);
    return result.code === 0 ? result.stdout.trim() : `exit ${result.code}`;
  };
  const imageOf = (stdout: string) => /Image ID: (ami-[0-9a-f]+)/.exec(stdout)?.[1];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-registry-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    await createInstanceProfile(moto.env);
    env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    await mkdir(join(dir, 'templates'));
    const template = (name: string, regions: string, archs: string) => `name: ${name}
base_ami: {source: ubuntu-22.04-lts, architecture: ${archs}}
regions: ${regions}
setup_script: "echo setup"
validation_tests:
  - name: shell works
    command: "true"
    expected_exit_code: 0
`;
    await writeFile(join(dir, 'templates', 'tiny.yml'), template('Tiny', '[us-east-1, us-east-2]', '[x86_64, arm64]'));
    await writeFile(join(dir, 'templates', 'solo.yml'), template('Solo', '[us-east-1, us-east-2]', '[x86_64]'));
    await mkdir(join(dir, 'wide'));
    await writeFile(
      join(dir, 'wide', 'wide.yml'),
      template('Wide', '[us-east-1, us-east-2, us-west-1, us-west-2, eu-west-1, eu-central-1]', '[x86_64, arm64]'),
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

  test('plan looks up a dozen base images without Node warnings on stderr', async () => {
    const result = await prism(['ami', 'plan', '--templates-dir', 'wide']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  test('build and plan agree: after a rollback the current image is up to date, never the newer superseded one', async () => {
    const a = imageOf((await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1'])).stdout)!;
    const b = imageOf((await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1', '--force'])).stdout)!;
    expect(a).not.toBe(b);
    expect((await prism(['ami', 'rollback', 'tiny', '--region', 'us-east-1', '--arch', 'x86_64', '--to', a])).code).toBe(0);
    proxy.reset();
    const again = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1']);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain(`is up to date: ${a}`);
    expect(proxy.count('RunInstances')).toBe(0);
    const plan = await json(['ami', 'plan', 'tiny', '--architectures', 'x86_64', '--regions', 'us-east-1', '--no-base-check']);
    expect((plan.items as { action: string }[])[0].action).toBe('skip');
  });

  test('after a revoke, build does not call the template up to date (resolve and build agree)', async () => {
    const current = await resolve('tiny', 'us-east-1');
    const revoked = await prism(['ami', 'revoke', 'tiny', '--ami', current]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const rebuilt = await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1']);
    expect(rebuilt.code, rebuilt.stdout).toBe(0);
    expect(rebuilt.stdout).not.toContain('is up to date');
    expect(await resolve('tiny', 'us-east-1')).toBe(imageOf(rebuilt.stdout));
  });

  test('revoking any copy revokes the whole build in every region, and says so', async () => {
    const made = await prism(['ami', 'build', 'solo', '--region', 'us-east-1', '--copy-to', 'us-east-2']);
    expect(made.code, made.stdout).toBe(0);
    const east1 = await resolve('solo', 'us-east-1');
    const east2 = await resolve('solo', 'us-east-2');
    const result = await prism(['ami', 'revoke', 'solo', '--ami', east2, '--reason', 'CVE-2026-1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Revoked ${east2} and the 1 region copy of the same build`);
    expect(result.stdout).toContain(`revoked ${east1}: solo.us-east-1.x86_64 has no current image now`);
    expect(result.stdout).toContain(`revoked ${east2}: solo.us-east-2.x86_64 has no current image now`);
    expect([await resolve('solo', 'us-east-1'), await resolve('solo', 'us-east-2')]).toEqual(['exit 2', 'exit 2']);
  });

  test('build-all never copies a revoked build back: with one region revoked (--only-this-region) it builds anew', async () => {
    const first = await prism(['ami', 'build-all', 'solo', '--force', '--no-base-check']);
    expect(first.code, first.stdout.slice(-2000)).toBe(0);
    const east1 = await resolve('solo', 'us-east-1');
    const east2 = await resolve('solo', 'us-east-2');
    expect(east1).toMatch(/^ami-/);
    const narrow = await prism(['ami', 'revoke', 'solo', '--ami', east1, '--only-this-region']);
    expect(narrow.code, narrow.stderr).toBe(0);
    expect(await resolve('solo', 'us-east-2')).toBe(east2);
    const plan = await json(['ami', 'plan', 'solo', '--no-base-check']);
    expect((plan.items as { action: string; reasons: { code: string }[] }[])[0]).toMatchObject({
      action: 'build',
      reasons: [{ code: 'revoked' }],
    });
    proxy.reset();
    const run = await prism(['ami', 'build-all', 'solo', '--no-base-check', '--json']);
    expect(run.code, run.stdout.slice(-2000)).toBe(0);
    const launches = proxy.calls.filter((c) => c.action === 'RunInstances').map((c) => requestTags(c)['prism:role']);
    expect(launches).toEqual(['build', 'retest']);
    expect(proxy.calls.filter((c) => c.action === 'CopyImage').map((c) => c.params.SourceImageId)).not.toContain(east2);
    const fresh1 = await resolve('solo', 'us-east-1');
    expect([east1, east2]).not.toContain(fresh1);
    expect(await resolve('solo', 'us-east-2')).not.toBe(east2);
  });

  test('validate without --architecture validates every architecture of the template', async () => {
    expect((await prism(['ami', 'build', 'tiny', '--arch', 'arm64', '--region', 'us-east-1'])).code).toBe(0);
    const result = await prism(['ami', 'validate', 'tiny', '--region', 'us-east-1', '--json']);
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    const starts = events(result.stdout).filter((e) => e.type === 'run-start');
    expect(starts.map((e) => (e.target as { architecture: string }).architecture)).toEqual(['x86_64', 'arm64']);
  });

  test('a failed validation takes the image out of service: the previous valid image is current again, in the registry and in SSM', async () => {
    const older = await resolve('tiny', 'us-east-1');
    const newer = imageOf(
      (await prism(['ami', 'build', 'tiny', '--arch', 'x86_64', '--region', 'us-east-1', '--force', '--publish-ssm'])).stdout,
    )!;
    expect(await resolve('tiny', 'us-east-1')).toBe(newer);
    // The first command is the agent check; every test command after it fails on the instance.
    proxy.setRules([{ action: 'GetCommandInvocation', skip: 1, patch: { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 1 } }]);
    const result = await prism(['ami', 'validate', 'tiny', '--region', 'us-east-1', '--arch', 'x86_64', '--publish-ssm']);
    proxy.setRules([]);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toContain(`${newer} failed validation and is out of service: tiny x86_64 in us-east-1 is now ${older} again`);
    expect(result.stdout).not.toContain('no image was made');
    expect(await resolve('tiny', 'us-east-1')).toBe(older);
    const listed = (await json(['ami', 'list', '--template', 'tiny', '--all'])) as unknown as {
      ami_id: string;
      status: string;
      validated: boolean;
    }[];
    expect(listed.find((i) => i.ami_id === newer)).toMatchObject({ status: 'failed-validation', validated: false });
    const ssm = await prism(['ami', 'publish-ssm', 'tiny', '--region', 'us-east-1', '--json']);
    const published = (JSON.parse(ssm.stdout) as { published: { name: string; amiId?: string; action: string }[] }).published;
    expect(published.find((p) => p.name === '/prism/ami/tiny/x86_64')).toMatchObject({ amiId: older, action: 'unchanged' });
    const rollback = await prism(['ami', 'rollback', 'tiny', '--region', 'us-east-1', '--arch', 'x86_64', '--to', newer]);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain('is failed-validation');
  });
});
