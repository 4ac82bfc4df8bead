import { beforeAll, describe, expect, it } from 'vitest';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { writeFiles } from '../support/files.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

interface Policies {
  builder: { Statement: { Sid: string; Action: string[]; Resource: string | string[] }[] };
  instanceProfile: { roleName: string };
}

async function iamPolicy(files: Record<string, string>, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Policies> {
  const cwd = await tempDir();
  await writeFiles(cwd, files);
  const result = await runPrism(['ami', 'iam-policy', ...args], { cwd, env: { PRISM_AMI_REGISTRY: '', ...env } });
  expectNoStackTrace(result);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Policies;
}

const passRole = (p: Policies) => p.builder.Statement.filter((s) => s.Action.includes('iam:PassRole')).map((s) => s.Resource);

describe('prism ami iam-policy', () => {
  it("passes the configured instance profile's role (named like the profile), unless --role-name says otherwise", async () => {
    const config = { 'prism-ami.config.yaml': 'instanceProfile: image-builder\n' };
    const configured = await iamPolicy(config);
    expect(passRole(configured)).toEqual(['arn:aws:iam::*:role/image-builder']);
    expect(configured.instanceProfile.roleName).toBe('image-builder');

    const named = await iamPolicy(config, ['--role-name', 'builds-role']);
    expect(passRole(named)).toEqual(['arn:aws:iam::*:role/builds-role']);
    expect(named.instanceProfile.roleName).toBe('builds-role');

    const none = await iamPolicy({});
    expect(passRole(none)).toEqual(['arn:aws:iam::*:role/prism-builder']);
  });

  it('allows the registry of the settings: the flag, then $PRISM_AMI_REGISTRY, then the config', async () => {
    const registry = (p: Policies) => p.builder.Statement.find((s) => s.Sid === 'Registry')?.Resource;
    const config = { 'prism-ami.config.yaml': 'registry: s3://from-config/r.json\n' };
    expect(registry(await iamPolicy(config))).toEqual([
      'arn:aws:s3:::from-config/r.json',
      'arn:aws:s3:::from-config/r.json.bak',
      'arn:aws:s3:::from-config/r.manifests/*',
    ]);
    expect(registry(await iamPolicy(config, [], { PRISM_AMI_REGISTRY: 's3://from-env/r.json' }))?.[0]).toBe('arn:aws:s3:::from-env/r.json');
    expect(registry(await iamPolicy(config, ['--registry', 's3://from-flag/r.json']))?.[0]).toBe('arn:aws:s3:::from-flag/r.json');
    expect(registry(await iamPolicy({ 'prism-ami.config.yaml': 'registry: ami-registry.json\n' }))).toBeUndefined();
  });
});
