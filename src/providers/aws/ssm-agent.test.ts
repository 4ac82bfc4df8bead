import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { templateFromYaml } from '../../../test/support/templates.js';
import { agentMissing, agentUserData } from './ssm-agent.js';

const template = (base: string) =>
  templateFromYaml(
    `name: T\nbase_ami: ${base}\nsetup_script: echo\nvalidation_tests:\n  - {name: t, command: "true", expected_exit_code: 0}\n`,
  );

describe('which bases need the SSM agent installed', () => {
  test('Debian does (alias or its owner in a filter); Ubuntu, Amazon Linux and explicit images do not', () => {
    expect(agentMissing(template('{source: debian-12}'))).toBe(true);
    expect(agentMissing(template('{source: {owners: ["136693071363"], name: "debian-12-amd64-*"}}'))).toBe(true);
    expect(agentMissing(template('{source: ubuntu-22.04-lts}'))).toBe(false);
    expect(agentMissing(template('{source: al2023}'))).toBe(false);
    expect(agentMissing(template('{source: ami-0123456789abcdef0}'))).toBe(false);
  });
});

const gpgWorks = spawnSync('sh', ['-c', 'command -v gpg && command -v gpgv']).status === 0;

/**
 * The user data, run for real with sh on this machine: the package and its detached signature
 * come from a loopback HTTP server, gpgv checks them against a key of the test's own (the
 * `ssmAgentKeyFile` path), and stand-ins for dpkg and systemctl record what they were asked.
 */
describe.runIf(gpgWorks)('the agent bootstrap user data (real sh, gpgv and HTTP)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-bootstrap-'));
    const home = join(dir, 'gnupg');
    await mkdir(home, { mode: 0o700 });
    const gpg = (...args: string[]) =>
      execFileSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
    gpg('--quick-gen-key', 'prism-test <test@example.invalid>', 'ed25519', 'sign', '1d');
    await writeFile(join(dir, 'key.asc'), gpg('--armor', '--export', 'test@example.invalid'));
    const deb = Buffer.from('not really a deb, but signed\n');
    await writeFile(join(dir, 'agent.deb'), deb);
    gpg('--detach-sign', '--output', join(dir, 'agent.deb.sig'), join(dir, 'agent.deb'));
    files.set('/good/debian_amd64/amazon-ssm-agent.deb', deb);
    files.set('/good/debian_amd64/amazon-ssm-agent.deb.sig', await readFile(join(dir, 'agent.deb.sig')));
    files.set('/tampered/debian_amd64/amazon-ssm-agent.deb', Buffer.from('tampered\n'));
    files.set('/tampered/debian_amd64/amazon-ssm-agent.deb.sig', await readFile(join(dir, 'agent.deb.sig')));
    // A key whose copy here expired in 2021 and that its owner has since extended (AWS extends its
    // agent key's expiry and publishes the new block): the package is signed now, after that date.
    const old = join(dir, 'gnupg-old');
    await mkdir(old, { mode: 0o700 });
    const oldGpg = (...args: string[]) =>
      execFileSync('gpg', ['--homedir', old, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { stdio: 'pipe' });
    oldGpg('--faked-system-time', '20200101T000000', '--quick-gen-key', 'prism-old <old@example.invalid>', 'ed25519', 'sign', '1y');
    await writeFile(join(dir, 'key-expired.asc'), oldGpg('--armor', '--export', 'old@example.invalid'));
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(oldGpg('--with-colons', '--list-keys', 'old@example.invalid').toString())![1];
    oldGpg('--quick-set-expire', fingerprint, '10y');
    oldGpg('--detach-sign', '--output', join(dir, 'renewed.sig'), join(dir, 'agent.deb'));
    files.set('/renewed/debian_amd64/amazon-ssm-agent.deb', deb);
    files.set('/renewed/debian_amd64/amazon-ssm-agent.deb.sig', await readFile(join(dir, 'renewed.sig')));
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // dpkg and systemctl stand-ins: they record their arguments.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    for (const tool of ['dpkg', 'systemctl']) {
      await writeFile(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${join(dir, 'calls')}\n`);
      await chmod(join(bin, tool), 0o755);
    }
  });
  afterAll(async () => {
    server?.close();
    // Key generation started gpg-agents; they would outlive the test.
    for (const home of ['gnupg', 'gnupg-old']) spawnSync('gpgconf', ['--homedir', join(dir, home), '--kill', 'gpg-agent']);
    await rm(dir, { recursive: true, force: true });
  });

  /** Async: the HTTP server answers from this process's event loop. */
  const sh = (file: string) =>
    new Promise<{ status: number | null }>((resolve) => {
      const child = spawn('sh', [file], { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` }, stdio: 'ignore' });
      child.on('close', (status) => resolve({ status }));
    });

  const run = async (path: string, keyFile = join(dir, 'key.asc')) => {
    await rm(join(dir, 'calls'), { force: true });
    const script = await agentUserData('us-east-1', 'x86_64', {
      url: `${base}${path}/debian_{arch}/amazon-ssm-agent.deb`,
      keyFile,
      logDir: join(dir, 'log'),
    });
    await writeFile(join(dir, 'user-data'), script);
    const result = await sh(join(dir, 'user-data'));
    const log = await readFile(join(dir, 'log', 'agent-bootstrap.log'), 'utf8');
    const calls = await readFile(join(dir, 'calls'), 'utf8').catch(() => '');
    return { status: result.status, log, calls };
  };

  test('a package whose signature verifies is installed, enabled and started', async () => {
    const { status, log, calls } = await run('/good');
    expect(status, log).toBe(0);
    expect(calls).toMatch(/^dpkg -i \/tmp\/.+\/agent\.deb\nsystemctl enable amazon-ssm-agent\nsystemctl restart amazon-ssm-agent\n$/);
    expect(log).toContain(`prism-ami agent bootstrap: downloading ${base}/good/debian_amd64/amazon-ssm-agent.deb`);
    expect(log).toContain('prism-ami agent bootstrap: the agent is installed and running');
  });

  test('a trusted key whose copy here has expired still verifies a package signed after that date (the fingerprint is trusted)', async () => {
    const { status, log, calls } = await run('/renewed', join(dir, 'key-expired.asc'));
    expect(status, log).toBe(0);
    expect(calls).toContain('dpkg -i ');
    expect(log).toContain('prism-ami agent bootstrap: the agent is installed and running');
  });

  test('a tampered package is never installed, and the reason is logged', async () => {
    const { status, log, calls } = await run('/tampered');
    expect(status).toBe(1);
    expect(calls).toBe('');
    expect(log).toContain('FAILED: the signature of');
  });

  test("AWS's own key does not trust a package signed by another key", async () => {
    const script = await agentUserData('us-east-1', 'x86_64', {
      url: `${base}/good/debian_{arch}/amazon-ssm-agent.deb`,
      logDir: join(dir, 'log2'),
    });
    await writeFile(join(dir, 'user-data-aws'), script);
    const result = await sh(join(dir, 'user-data-aws'));
    expect(result.status).toBe(1);
    expect(await readFile(join(dir, 'log2', 'agent-bootstrap.log'), 'utf8')).toContain('does not verify against the trusted key');
  });

  test('a missing package is a clear failure naming the URL', async () => {
    const { status, log } = await run('/missing');
    expect(status).toBe(1);
    expect(log).toContain(`FAILED: could not download ${base}/missing/debian_amd64/amazon-ssm-agent.deb`);
  });

  test('the default URL is the region bucket, per architecture', async () => {
    const script = await agentUserData('eu-west-2', 'arm64');
    expect(script).toContain("fetch 'https://s3.eu-west-2.amazonaws.com/amazon-ssm-eu-west-2/latest/debian_arm64/amazon-ssm-agent.deb'");
  });
});
