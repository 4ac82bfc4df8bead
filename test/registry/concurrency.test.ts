import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry } from '../../src/registry/document.js';
import type { RegistryDocument } from '../../src/registry/model.js';
import { current, history } from '../../src/registry/queries.js';
import type { AwsClients } from '../../src/core/aws-clients.js';
import { requireBuild } from '../support/cli-checks.js';
import type { Moto } from '../support/moto.js';
import { tempDir } from '../support/temp.js';
import { createBucket, motoClients, runNodeScript, startSerialMoto } from './helpers.js';

/**
 * The registry never loses an update: 16 real processes each record 5 images into the same
 * registry at the same moment, and all 80 are there afterwards.
 */
const PROCESSES = 16;
const IMAGES_EACH = 5;
const slot = { template: 'r-research', region: 'us-east-1', architecture: 'x86_64' } as const;

interface WorkerReport {
  worker: number;
  attempts: number;
  conflicts: number;
  ms: number;
}

async function recordConcurrently(registry: string, env: Record<string, string> = {}): Promise<{ reports: WorkerReport[]; ms: number }> {
  const startAt = Date.now() + 1500; // every process loaded and waiting before the first write
  const results = await Promise.all(
    Array.from({ length: PROCESSES }, (_, worker) =>
      runNodeScript('record-many.mjs', [registry, String(worker), String(IMAGES_EACH), String(startAt)], env),
    ),
  );
  const ms = Date.now() - startAt;
  for (const result of results) expect(result.code, result.stderr).toBe(0);
  return { reports: results.map((r) => JSON.parse(r.stdout) as WorkerReport), ms };
}

function expectAllRecorded(doc: RegistryDocument): void {
  const entries = history(doc, slot);
  expect(entries).toHaveLength(PROCESSES * IMAGES_EACH);
  expect(new Set(entries.map((e) => e.ami_id)).size).toBe(PROCESSES * IMAGES_EACH);
  expect(entries.filter((e) => e.status === 'current')).toHaveLength(1);
  expect(entries.filter((e) => e.status === 'superseded')).toHaveLength(PROCESSES * IMAGES_EACH - 1);
  // The current image is the last one written, and amis.<region>.<arch> shows it.
  expect(current(doc, slot)!.ami_id).toBe(entries.at(-1)!.ami_id);
  expect(doc.templates['r-research'].amis['us-east-1'].x86_64!.ami_id).toBe(entries.at(-1)!.ami_id);
  // Each process's images appear in the order it recorded them.
  for (let worker = 0; worker < PROCESSES; worker++) {
    const mine = entries.filter((e) => e.build_id?.startsWith(`build-${worker}-`)).map((e) => e.build_id);
    expect(mine).toEqual(Array.from({ length: IMAGES_EACH }, (_, i) => `build-${worker}-${i}`));
  }
}

beforeAll(requireBuild);

describe('16 processes × 5 images at once', () => {
  it('file registry: all 80 entries, no lock or temp file left, the previous document kept as .bak', async () => {
    const dir = await tempDir();
    const file = join(dir, 'ami-registry.json');
    const { reports, ms } = await recordConcurrently(`file:${file}`);
    const doc = parseRegistry(await readFile(file, 'utf8'), file);
    expectAllRecorded(doc);
    expect((await readdir(dir)).sort()).toEqual(['ami-registry.json', 'ami-registry.json.bak']);
    const bak = parseRegistry(await readFile(`${file}.bak`, 'utf8'), 'bak');
    expect(history(bak, slot)).toHaveLength(PROCESSES * IMAGES_EACH - 1);
    console.log(
      `[concurrency] file: ${history(doc, slot).length} entries from ${PROCESSES} processes in ${ms} ms (slowest process ${Math.max(...reports.map((r) => r.ms))} ms)`,
    );
  }, 60_000);

  // moto serialised: the stock threaded moto_server checks a conditional write and stores the
  // object in two steps, so it loses updates that real S3 refuses (fixtures/serial_moto.py).
  describe('S3 registry (moto, one request at a time)', () => {
    let moto: Moto;
    let clients: AwsClients;
    beforeAll(async () => {
      moto = await startSerialMoto();
      clients = motoClients(moto.env);
      await createBucket(clients, 'prism-registry');
    });
    afterAll(async () => {
      clients?.destroy();
      await moto?.stop();
    });

    it('all 80 entries, via conditional writes retried on 412', async () => {
      const { reports, ms } = await recordConcurrently('s3://prism-registry/team/ami-registry.json', moto.env);
      const s3 = await clients.s3('us-east-1');
      const read = async (key: string) =>
        await (await s3.send(new GetObjectCommand({ Bucket: 'prism-registry', Key: key }))).Body!.transformToString();
      const doc = parseRegistry(await read('team/ami-registry.json'), 's3');
      expectAllRecorded(doc);
      expect(history(parseRegistry(await read('team/ami-registry.json.bak'), 'bak'), slot)).toHaveLength(PROCESSES * IMAGES_EACH - 1);
      const conflicts = reports.reduce((n, r) => n + r.conflicts, 0);
      const attempts = reports.reduce((n, r) => n + r.attempts, 0);
      expect(attempts).toBe(PROCESSES * IMAGES_EACH + conflicts);
      console.log(
        `[concurrency] s3: ${history(doc, slot).length} entries from ${PROCESSES} processes in ${ms} ms; ${conflicts} conditional writes refused (412/409) and retried, ${attempts} attempts for ${PROCESSES * IMAGES_EACH} records`,
      );
    }, 60_000);
  });
});
