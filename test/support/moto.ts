import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Moto {
  endpoint: string;
  port: number;
  /** Environment that points the AWS SDK (and the prism CLI) at this emulator. */
  env: Record<string, string>;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `moto_server` (the AWS emulator; scripts/test.sh installs it when missing) on a free
 * loopback port. `amisPath` seeds EC2 images (MOTO_AMIS_PATH, see ../shared/NOTES-moto.md);
 * `command` starts another moto front end on that port instead.
 */
export async function startMoto(options: { amisPath?: string; command?: (port: number) => [string, string[]] } = {}): Promise<Moto> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const [command, args] = options.command?.(port) ?? ['moto_server', ['-H', '127.0.0.1', '-p', String(port)]];
    const child: ChildProcess = spawn(command, args, {
      env: { ...process.env, ...(options.amisPath ? { MOTO_AMIS_PATH: options.amisPath } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    const endpoint = `http://127.0.0.1:${port}`;
    const up = await waitUp(endpoint, child, 30_000);
    if (!up) {
      child.kill('SIGKILL');
      if (/address already in use/i.test(stderr)) continue;
      throw new Error(`moto_server did not start on ${endpoint}: ${stderr.slice(-1000)}`);
    }
    return {
      endpoint,
      port,
      env: {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      reset: async () => {
        await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      },
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3000).unref();
        }),
    };
  }
  throw new Error('could not find a free port for moto_server');
}

async function waitUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.status < 500) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
