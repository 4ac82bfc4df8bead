import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetParameterCommand, GetParameterHistoryCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/core/aws-clients.js';
import { SsmPublisher } from '../../src/registry/publish-ssm.js';
import { recordBuildImage } from '../../src/registry/record-build.js';
import { FileRegistryStore } from '../../src/registry/stores/file-store.js';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { startMoto, type Moto } from '../support/moto.js';
import { tempDir } from '../support/temp.js';
import { motoClients } from './helpers.js';

let moto: Moto;
let clients: AwsClients;

beforeAll(async () => {
  requireBuild();
  moto = await startMoto();
  clients = motoClients(moto.env);
});
afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

async function parameter(region: string, name: string) {
  const ssm = await clients.ssm(region);
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

async function history(region: string, name: string): Promise<string[]> {
  const ssm = await clients.ssm(region);
  const versions = (await ssm.send(new GetParameterHistoryCommand({ Name: name }))).Parameters ?? [];
  return versions.map((p) => `${p.Version}:${p.Value}:${p.DataType}`);
}

const ami = (n: number) => `ami-0${String(n).padStart(16, '0')}`;

describe('SSM publication (moto)', () => {
  it("recordBuildImage publishes <prefix>/<slug>/<arch> in the image's region as an aws:ec2:image String", async () => {
    const dir = await tempDir();
    const store = new FileRegistryStore(join(dir, 'r.json'));
    const publisher = new SsmPublisher('/lib/ami', clients);
    const base = {
      template: 'r-research',
      architecture: 'x86_64' as const,
      created: '2025-01-01T00:00:00Z',
      version: '1.0.0',
      validated: true,
    };
    const first = await recordBuildImage(store, { ...base, region: 'eu-west-1', imageId: ami(1) }, { publisher });
    expect(first.published).toEqual([
      { region: 'eu-west-1', name: '/lib/ami/r-research/x86_64', amiId: ami(1), action: 'put', version: 1 },
    ]);
    // A region copy, recorded as it completes, is published in its own region.
    await recordBuildImage(store, { ...base, region: 'us-west-2', imageId: ami(2) }, { publisher });
    expect(await parameter('eu-west-1', '/lib/ami/r-research/x86_64')).toMatchObject({
      Value: ami(1),
      Type: 'String',
      DataType: 'aws:ec2:image',
    });
    expect((await parameter('us-west-2', '/lib/ami/r-research/x86_64'))?.Value).toBe(ami(2));
    // Recording the same image again adds no parameter version.
    const again = await recordBuildImage(store, { ...base, region: 'eu-west-1', imageId: ami(1) }, { publisher });
    expect(again.published).toEqual([{ region: 'eu-west-1', name: '/lib/ami/r-research/x86_64', amiId: ami(1), action: 'unchanged' }]);
    expect(await history('eu-west-1', '/lib/ami/r-research/x86_64')).toEqual([`1:${ami(1)}:aws:ec2:image`]);
  });

  it('the CLI: record → record → rollback → revoke all; parameter history is the audit trail; deleted when none is left', async () => {
    const cwd = await tempDir();
    const env = moto.env;
    const name = '/prism/ami/r-research/arm64';
    const put = async (id: string) => {
      const file = join(cwd, `${id}.json`);
      await writeFile(file, JSON.stringify({ 'ap-southeast-2': { arm64: id } }));
      return runPrism(
        [
          'ami',
          'import-legacy',
          file,
          '--template',
          'r-research',
          '--validated',
          '--replace',
          '--allow-unknown-templates',
          '--publish-ssm',
        ],
        { cwd, env },
      );
    };
    for (const n of [11, 12]) {
      const result = await put(ami(n));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`ssm ap-southeast-2 ${name} = ${ami(n)}`);
    }
    const args = ['--region', 'ap-southeast-2', '--architecture', 'arm64'];
    const rolled = await runPrism(['ami', 'rollback', 'r-research', ...args, '--publish-ssm'], { cwd, env });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toBe(
      `Rolled back r-research.ap-southeast-2.arm64: ${ami(12)} → ${ami(11)}\n  ssm ap-southeast-2 ${name} = ${ami(11)} (version 3)\n`,
    );
    expect(await parameter('ap-southeast-2', name)).toMatchObject({ Value: ami(11), DataType: 'aws:ec2:image', Version: 3 });
    expect(await history('ap-southeast-2', name)).toEqual([
      `1:${ami(11)}:aws:ec2:image`,
      `2:${ami(12)}:aws:ec2:image`,
      `3:${ami(11)}:aws:ec2:image`,
    ]);

    // Publication comes from the flag or from publishSsm in the config; --no-publish-ssm turns it off.
    await writeFile(join(cwd, 'prism-ami.config.yaml'), 'publishSsm: true\n');
    const revoked = await runPrism(['ami', 'revoke', 'r-research', '--ami', ami(11), '--reason', 'test'], { cwd, env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${ami(11)}: r-research.ap-southeast-2.arm64 has no current image now`);
    expect(revoked.stdout).toContain(`ssm ap-southeast-2 ${name} deleted (no current image)`);
    expect(await parameter('ap-southeast-2', name)).toBeUndefined();

    // publish-ssm repairs: a parameter changed behind prism's back is put back.
    const file = join(cwd, 'again.json');
    await writeFile(file, JSON.stringify({ 'ap-southeast-2': { arm64: ami(13) } }));
    expect(
      (
        await runPrism(
          ['ami', 'import-legacy', file, '--template', 'r-research', '--validated', '--allow-unknown-templates', '--no-publish-ssm'],
          { cwd, env },
        )
      ).code,
    ).toBe(0);
    expect(await parameter('ap-southeast-2', name)).toBeUndefined();
    const repaired = await runPrism(['ami', 'publish-ssm'], { cwd, env });
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain(`ssm ap-southeast-2 ${name} = ${ami(13)}`);
    expect((await runPrism(['ami', 'publish-ssm', '--json'], { cwd, env })).stdout).toContain('"action":"unchanged"');
  });

  it('refuses a bad prefix (exit 2) before changing anything', async () => {
    const cwd = await tempDir();
    for (const [flag, message] of [
      ['--publish-ssm=/aws/prism', 'is reserved by AWS'],
      ['--publish-ssm=/prism/ami/', 'must not end with /'],
      ['--publish-ssm=/prism ami', 'may only hold'],
    ] as const) {
      const result = await runPrism(['ami', 'rollback', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64', flag], {
        cwd,
        env: moto.env,
      });
      expect(result.code, flag).toBe(2);
      expect(result.stderr).toContain(message);
      expectNoStackTrace(result);
    }
    // An optional value takes the next word: say so instead of publishing under "oops".
    const swallowed = await runPrism(['ami', 'revoke', 'r-research', '--ami', ami(1), '--publish-ssm', 'oops'], { cwd, env: moto.env });
    expect(swallowed.code).toBe(2);
    expect(swallowed.stderr).toContain('--publish-ssm took "oops" as its prefix');
    const before = await runPrism(['ami', 'revoke', '--publish-ssm', 'r-research', '--ami', ami(1)], { cwd, env: moto.env });
    expect(before.code).toBe(2);
    expect(before.stderr).toContain("missing required argument 'template'");
  });
});
