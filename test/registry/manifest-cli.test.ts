import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/core/aws-clients.js';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { startMoto, type Moto } from '../support/moto.js';
import { writeReportFixture } from '../support/report-fixture.js';
import { tempDir } from '../support/temp.js';
import { createBucket, motoClients } from './helpers.js';

beforeAll(() => requireBuild());

async function project() {
  const cwd = await tempDir();
  await cp(join(REPO_ROOT, 'templates'), join(cwd, 'templates'), { recursive: true });
  const { ids } = await writeReportFixture(cwd);
  return { cwd, ids, prism: (args: string[]) => runPrism(['ami', ...args], { cwd }) };
}

describe('prism ami manifest', () => {
  it('prints an image’s packages by ecosystem; --json gives the manifest', async () => {
    const { ids, prism } = await project();
    const text = await prism(['manifest', ids.r12]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${ids.r12}  r-research 1.2.0 (us-east-1 x86_64, current`);
    expect(text.stdout).toContain('OS: Debian GNU/Linux 12 (bookworm)');
    expect(text.stdout).toMatch(/^ {2}openssl +3\.0\.13-1~deb12u1 +amd64$/m);
    expect(text.stdout).toContain('R: 1');
    const json = JSON.parse((await prism(['manifest', 'r-research', '--region', 'us-east-1', '--arch', 'arm64', '--json'])).stdout);
    expect(json).toMatchObject({
      image_id: ids.r12arm,
      recorded: true,
      manifest: { packages: { R: [{ name: 'ggplot2', version: '3.5.1' }] } },
    });
  });

  it('an image recorded before manifests is "not recorded", exit 0', async () => {
    const { ids, prism } = await project();
    const result = await prism(['manifest', ids.r10]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Manifest: not recorded');
    const json = JSON.parse((await prism(['manifest', 'r-research@1.0.0', '--json'])).stdout);
    expect(json).toMatchObject({ image_id: ids.r10, recorded: false });
    expect(json.manifest).toBeUndefined();
  });

  it('a template with images in several regions needs --region and --architecture, and says so', async () => {
    const { prism } = await project();
    const result = await prism(['manifest', 'r-research']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('r-research names 3 images');
    expect(result.stderr).toContain('--region and --architecture');
    expectNoStackTrace(result);
  });

  it('a sidecar changed after recording is an error naming the file, never a wrong answer', async () => {
    const { cwd, ids, prism } = await project();
    const file = join(cwd, 'ami-registry.manifests', `${ids.r12}.json`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('3.0.13-1~deb12u1', '3.0.13-1~deb12u9'));
    const result = await prism(['manifest', ids.r12]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/digest/);
    expectNoStackTrace(result);
  });

  it('an unknown image or version is NOT_FOUND with what there is', async () => {
    const { prism } = await project();
    const unknown = await prism(['manifest', 'ami-0fffffffffffffff0']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('is not recorded in the registry');
    const version = await prism(['manifest', 'python-research@7.0.0']);
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('its versions: 0.9.0, 1.0.0');
  });
});

describe('prism ami diff', () => {
  it('lists changed (old → new), added and removed packages by ecosystem', async () => {
    const { ids, prism } = await project();
    const text = await prism(['diff', 'r-research@1.1.0', 'r-research@1.2.0', '--region', 'us-east-1', '--arch', 'x86_64']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`From: ${ids.r11}`);
    expect(text.stdout).toContain('4 packages changed');
    expect(text.stdout).toContain('system (dpkg): 1 added, 0 removed, 2 changed');
    expect(text.stdout).toContain('  ~ openssl  3.0.11-1~deb12u2 → 3.0.13-1~deb12u1');
    expect(text.stdout).toContain('  ~ r-base-core  4.3.1-1 → 4.3.2-1');
    expect(text.stdout).toContain('  + libcurl4  7.88.1-10+deb12u5');
    expect(text.stdout).toContain('R: 0 added, 0 removed, 1 changed');
    const json = JSON.parse((await prism(['diff', ids.r11, ids.r12, '--json'])).stdout) as {
      same_template: boolean;
      diff: { ecosystems: { ecosystem: string }[] };
    };
    expect(json.same_template).toBe(true);
    expect(json.diff.ecosystems.map((e) => e.ecosystem)).toEqual(['dpkg', 'R']);
  });

  it('images of different templates are compared, and the output says so', async () => {
    const { ids, prism } = await project();
    const text = await prism(['diff', ids.py, ids.r12]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Note: these are images of different templates (python-research and r-research)');
    expect(text.stdout).toContain('  − python3  3.11.2-1+b1');
    const json = JSON.parse((await prism(['diff', ids.py, ids.r12, '--json'])).stdout);
    expect(json.same_template).toBe(false);
  });

  it('an image without a manifest: "not recorded", nothing to compare, exit 0', async () => {
    const { ids, prism } = await project();
    const text = await prism(['diff', ids.r10, ids.r12]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${ids.r10}: manifest not recorded`);
    expect(text.stdout).toContain('Nothing to compare');
    expect(JSON.parse((await prism(['diff', ids.r10, ids.r12, '--json'])).stdout).diff).toBeUndefined();
  });

  it('two names of one image: says so, and does not report "no packages changed" as if two builds matched', async () => {
    const { ids, prism } = await project();
    const text = await prism(['diff', 'r-research@1.2.0', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Both sides name the same image, ${ids.r12}: there is nothing to compare.`);
    expect(text.stdout).not.toContain('No packages changed');
    const json = JSON.parse(
      (await prism(['diff', ids.r12, 'r-research@1.2.0', '--region', 'us-east-1', '--arch', 'x86_64', '--json'])).stdout,
    );
    expect(json).toMatchObject({ same_image: true, a: { image_id: ids.r12 }, b: { image_id: ids.r12 } });
    const other = JSON.parse((await prism(['diff', ids.r11, ids.r12, '--json'])).stdout);
    expect(other.same_image).toBe(false);
  });

  it('needs exactly two images', async () => {
    const { ids, prism } = await project();
    const result = await prism(['diff', ids.r12]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('diff compares two images; 1 were given');
  });
});

describe('manifests in an S3 registry', () => {
  let moto: Moto;
  let clients: AwsClients;
  beforeAll(async () => {
    moto = await startMoto();
    clients = motoClients(moto.env);
  });
  afterAll(async () => {
    clients?.destroy();
    await moto?.stop();
  });

  it('sit next to the document under <key>.manifests/ and are read from there', async () => {
    const { cwd, ids } = await project();
    await createBucket(clients, 'manifest-bucket');
    const s3 = await clients.s3('us-east-1');
    const put = async (key: string, file: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'manifest-bucket', Key: key, Body: await readFile(join(cwd, file), 'utf8') }));
    await put('prism/ami-registry.json', 'ami-registry.json');
    for (const name of await readdir(join(cwd, 'ami-registry.manifests'))) {
      await put(`prism/ami-registry.manifests/${name}`, join('ami-registry.manifests', name));
    }
    const prism = (args: string[]) =>
      runPrism(['ami', ...args, '--registry', 's3://manifest-bucket/prism/ami-registry.json'], { cwd, env: moto.env });
    const diff = await prism(['diff', ids.r11, ids.r12, '--json']);
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.parse(diff.stdout).diff.total).toBe(4);
    const missing = await prism(['manifest', ids.r10, '--json']);
    expect(JSON.parse(missing.stdout).recorded).toBe(false);
    const object = await s3.send(new GetObjectCommand({ Bucket: 'manifest-bucket', Key: `prism/ami-registry.manifests/${ids.r12}.json` }));
    expect(JSON.parse(await object.Body!.transformToString()).image_id).toBe(ids.r12);
  });
});
