import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetParameterCommand, GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/core/aws-clients.js';
import { rollback } from '../../src/registry/operations.js';
import { SsmPublisher } from '../../src/registry/publish-ssm.js';
import { recordBuildImage } from '../../src/registry/record-build.js';
import { FileRegistryStore } from '../../src/registry/stores/file-store.js';
import { fixedClock } from '../../src/core/clock.js';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { requireBuild } from '../support/cli-checks.js';
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
beforeEach(async () => moto.reset());
afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

const PRISM_TEMPLATES = join(REPO_ROOT, 'test/fixtures/prism/templates');
/** The fields of Prism's ami.Reference (pkg/ami/types.go), in its declaration order. */
const REFERENCE_FIELDS = ['AMIID', 'Region', 'Architecture', 'TemplateName', 'Version', 'BuildDate', 'Tags'];
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

async function value(region: string, name: string): Promise<string | undefined> {
  const ssm = await clients.ssm(region);
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

/** What Prism's ListVersions sees: the names under <path>/version/. */
async function versions(region: string, path: string): Promise<string[]> {
  const ssm = await clients.ssm(region);
  const page = await ssm.send(new GetParametersByPathCommand({ Path: `${path}/version/`, Recursive: true }));
  return (page.Parameters ?? []).map((p) => p.Name!.split('/').pop()!).sort();
}

/** Decodes a value the way Prism's LookupAMI does (json.Unmarshal into ami.Reference): every field, no other. */
function reference(text: string | undefined): Record<string, unknown> {
  expect(text).toBeDefined();
  const parsed = JSON.parse(text!) as Record<string, unknown>;
  expect(Object.keys(parsed)).toEqual(REFERENCE_FIELDS);
  expect(parsed.BuildDate).toMatch(RFC3339);
  for (const field of ['AMIID', 'Region', 'Architecture', 'TemplateName', 'Version']) expect(typeof parsed[field]).toBe('string');
  expect(Object.values(parsed.Tags as object).every((v) => typeof v === 'string')).toBe(true);
  return parsed;
}

const ami = (n: number) => `ami-0${String(n).padStart(16, '0')}`;

describe("publication in Prism's SSM layout (moto)", () => {
  it("import-legacy takes a Prism template's ami_config.amis; publish-ssm --layout prism writes what Prism's registry.go reads", async () => {
    const cwd = await tempDir();
    const env = moto.env;
    const file = join(PRISM_TEMPLATES, 'amazon-linux-2023-server.yml');
    const imported = await runPrism(['ami', 'import-legacy', file, '--templates-dir', PRISM_TEMPLATES, '--validated'], { cwd, env });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('amazon-linux-2023-server');
    const published = await runPrism(['ami', 'publish-ssm', '--layout', 'prism', '--region', 'us-west-2'], { cwd, env });
    expect(published.code, published.stderr).toBe(0);
    const base = '/cloudworkstation/amis/amazon-linux-2023-server/us-west-2/x86_64';
    expect(published.stdout).toContain(`ssm us-west-2 ${base} = ami-0c94855ba95b798c7`);
    expect(reference(await value('us-west-2', base))).toMatchObject({
      AMIID: 'ami-0c94855ba95b798c7',
      Region: 'us-west-2',
      Architecture: 'x86_64',
      TemplateName: 'amazon-linux-2023-server',
      Version: 'legacy',
      Tags: { ManagedBy: 'prism-ami', Validated: 'true' },
    });
    // GetLatestAMIByVersion: the one version there is, the current image's.
    expect(await versions('us-west-2', base)).toEqual(['legacy']);
    expect(reference(await value('us-west-2', `${base}/version/legacy`)).AMIID).toBe('ami-0c94855ba95b798c7');
    expect(reference(await value('us-west-2', '/cloudworkstation/amis/amazon-linux-2023-server/us-west-2/arm64')).AMIID).toBe(
      'ami-0f3c7d07486cad139',
    );
    // Only Prism's layout: no prism-ami parameter, and nothing outside --region.
    expect(await value('us-west-2', '/prism/ami/amazon-linux-2023-server/x86_64')).toBeUndefined();
    expect(await value('us-east-1', '/cloudworkstation/amis/amazon-linux-2023-server/us-east-1/x86_64')).toBeUndefined();
    // Again: nothing changes.
    const again = await runPrism(['ami', 'publish-ssm', '--layout', 'prism', '--region', 'us-west-2', '--json'], { cwd, env });
    const report = JSON.parse(again.stdout) as { published: { action: string }[] };
    expect(report.published.map((p) => p.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });

  it('ssm.layout in the config is what publishing commands use; both writes both layouts', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'prism-ami.config.yaml'), 'publishSsm: true\nssm:\n  layout: both\n  prismPrefix: /team/amis\n');
    const file = join(cwd, 'ids.json');
    await writeFile(file, JSON.stringify({ 'eu-west-1': { arm64: ami(7) } }));
    const result = await runPrism(
      ['ami', 'import-legacy', file, '--template', 'web-dev', '--validated', '--templates-dir', PRISM_TEMPLATES],
      {
        cwd,
        env: moto.env,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await value('eu-west-1', '/prism/ami/web-dev/arm64')).toBe(ami(7));
    expect(reference(await value('eu-west-1', '/team/amis/web-dev/eu-west-1/arm64')).AMIID).toBe(ami(7));
    const policy = await runPrism(['ami', 'iam-policy', '--only', 'builder'], { cwd, env: moto.env });
    expect(policy.stdout).toContain('arn:aws:ssm:*:*:parameter/team/amis/*');
    expect(policy.stdout).toContain('ssm:GetParametersByPath');
  });

  it('keeps only the current version under …/version/, so Prism follows a rollback; removes everything when no image is left', async () => {
    const dir = await tempDir();
    const store = new FileRegistryStore(join(dir, 'r.json'));
    const publisher = new SsmPublisher('/prism/ami', clients, { layout: 'prism' });
    const base = { template: 'python-ml-workstation', region: 'us-east-2', architecture: 'x86_64' as const, validated: true };
    const name = '/cloudworkstation/amis/python-ml-workstation/us-east-2/x86_64';
    await recordBuildImage(
      store,
      { ...base, imageId: ami(1), version: '1.0.0', created: '2025-01-01T00:00:00Z', fingerprint: 'sha256:aa' },
      { publisher },
    );
    const second = await recordBuildImage(
      store,
      { ...base, imageId: ami(2), version: '1.1.0', created: '2025-02-01T00:00:00Z' },
      { publisher },
    );
    expect(second.published.map((p) => [p.name.replace(name, ''), p.action])).toEqual([
      ['', 'put'],
      ['/version/1.1.0', 'put'],
      ['/version/1.0.0', 'delete'],
    ]);
    expect(await versions('us-east-2', name)).toEqual(['1.1.0']);
    expect(reference(await value('us-east-2', name))).toMatchObject({ AMIID: ami(2), Version: '1.1.0', BuildDate: '2025-02-01T00:00:00Z' });

    const slot = { template: base.template, region: base.region, architecture: base.architecture };
    const rolled = await store.update((doc) => rollback(doc, slot, fixedClock('2025-03-01T00:00:00Z')));
    await publisher.reconcile(rolled.after, [slot]);
    expect(await versions('us-east-2', name)).toEqual(['1.0.0']);
    expect(reference(await value('us-east-2', name))).toMatchObject({
      AMIID: ami(1),
      Version: '1.0.0',
      Tags: { Fingerprint: 'sha256:aa' },
    });

    const empty = { ...rolled.after, templates: {} };
    const removed = await publisher.reconcile(empty, [slot]);
    expect(removed.map((p) => p.action)).toEqual(['delete', 'delete']);
    expect(await value('us-east-2', name)).toBeUndefined();
    expect(await versions('us-east-2', name)).toEqual([]);
  });
});
