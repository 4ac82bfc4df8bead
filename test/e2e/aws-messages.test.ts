import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createInstanceProfile, writeSeedAmis } from '../support/aws-env.js';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace } from '../support/cli-checks.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startMoto, type Moto } from '../support/moto.js';

/** What AWS builds say when something outside prism-ami is wrong (moto_server behind the test proxy). */
describe.sequential('aws messages', () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  const prism = (args: string[]) => runPrism(args, { cwd: dir, env });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-messages-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    await createInstanceProfile(moto.env);
    env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    await mkdir(join(dir, 'templates'));
    // Ubuntu 20.04: no image of it is seeded, so only the public parameter could name one.
    await writeFile(
      join(dir, 'templates', 'focal.yml'),
      'name: Focal\nbase_ami: {source: ubuntu-20.04-lts, architecture: [x86_64]}\nregions: [us-east-1]\nsetup_script: "true"\nvalidation_tests:\n  - {name: ok, command: "true", expected_exit_code: 0}\n',
    );
    await writeFile(join(dir, 'prism-ami.config.yaml'), 'templatesDir: templates\ninstanceProfile: prism-builder\n');
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a public SSM parameter that names an image which does not exist is said so, not "neither … was found"', async () => {
    const parameter = '/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id';
    proxy.setRules([
      { action: 'GetParameter', patch: { Parameter: { Name: parameter, Type: 'String', Value: 'ami-0deadbeef00000000', Version: 1 } } },
    ]);
    const result = await prism(['ami', 'build', 'focal', '--region', 'us-east-1']);
    proxy.setRules([]);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toContain(
      `${parameter} names ami-0deadbeef00000000, which does not exist in us-east-1 (or is not available to this account)`,
    );
    expect(result.stdout).toContain(
      'and no available image named ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-* owned by 099720109477 was found',
    );
    expectNoStackTrace(result);
  });

  test('without the parameter: that it does not exist, and what the fallback looked for', async () => {
    const result = await prism(['ami', 'build', 'focal', '--region', 'us-east-1', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id does not exist, and no available image named',
    );
  });
});
