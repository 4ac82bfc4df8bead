import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { AwsClients } from '../../src/core/aws-clients.js';
import type { CliResult } from '../support/cli.js';
import { startMoto, type Moto } from '../support/moto.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Runs `node <fixture script> ...args` as a real process. */
export function runNodeScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${FIXTURES}${script}`, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A live process holding the lock of a file registry; resolves once it holds it. */
export function holdLock(registryFile: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${FIXTURES}hold-lock.mjs`, registryFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('locked')) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
}

/** Stops a process this test started, and waits for it to be gone. */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * AWS clients of this test process pointed at moto (vitest runs each test file in its own
 * process, so changing process.env here touches no other file).
 */
export function motoClients(env: Record<string, string>): AwsClients {
  Object.assign(process.env, env);
  return new AwsClients({ maxAttempts: 2 });
}

export async function createBucket(clients: AwsClients, bucket: string): Promise<void> {
  await (await clients.s3('us-east-1')).send(new CreateBucketCommand({ Bucket: bucket }));
}

/**
 * moto with one request at a time (fixtures/serial_moto.py says why): for the S3 concurrency
 * test only. Same environment and API as startMoto().
 */
export function startSerialMoto(): Promise<Moto> {
  return startMoto({
    command: (port) => [process.env.PRISM_TEST_PYTHON ?? 'python3', [`${FIXTURES}serial_moto.py`, '127.0.0.1', String(port)]],
  });
}
