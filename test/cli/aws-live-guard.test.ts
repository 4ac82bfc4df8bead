import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

/** The live acceptance run's guards: it only ever runs when asked for, against the account named. */
function live(extra: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
    const child = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, 'test/live/aws-live.ts')], { env, cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('npm run test:aws-live', () => {
  test('without PRISM_AMI_LIVE_ACCOUNT it says it skipped, and exits 0', async () => {
    const result = await live({});
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toContain('test:aws-live skipped: set PRISM_AMI_LIVE_ACCOUNT=<your AWS account id>');
  });

  test('it never runs against an emulator, and wants a real account id', async () => {
    const emulated = await live({ PRISM_AMI_LIVE_ACCOUNT: '123456789012', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' });
    expect(emulated.code).toBe(2);
    expect(emulated.out).toContain('runs against real AWS only: unset AWS_ENDPOINT_URL');
    const malformed = await live({ PRISM_AMI_LIVE_ACCOUNT: 'me' });
    expect(malformed.code).toBe(2);
    expect(malformed.out).toContain('must be a 12-digit account id');
  });

  test('credentials that do not work stop it before anything is made', async () => {
    // No credentials at all (and no metadata service reachable): STS fails, exit 2.
    const result = await live({
      PRISM_AMI_LIVE_ACCOUNT: '123456789012',
      AWS_ACCESS_KEY_ID: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    });
    expect(result.code).toBe(2);
    expect(result.out).toContain('the AWS credentials do not work');
  }, 60_000);
});
