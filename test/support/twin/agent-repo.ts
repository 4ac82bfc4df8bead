import { createServer, type Server } from 'node:http';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runHost } from '../../../src/providers/local/host.js';
import { SLIRP_HOST } from '../../../src/providers/local/network.js';
import { AGENT_PROGRAM, AGENT_UNIT } from './stubs.js';

/**
 * The SSM agent's download bucket, for the instance twin: a loopback HTTP server with a real
 * (tiny) amazon-ssm-agent .deb for each architecture, each with a detached GPG signature made with
 * a key generated for the run. Twin instances reach it at 10.0.2.2 (the host, through
 * slirp4netns); the paths are those of the real bucket
 * (`/amazon-ssm-<region>/latest/debian_<arch>/amazon-ssm-agent.deb`, and `.sig`).
 */
export interface AgentRepo {
  /** For PRISM_AMI_SSM_AGENT_URL: `{region}` and `{arch}` (amd64|arm64) are filled in by the user data. */
  urlTemplate: string;
  /** The signing key as a binary keyring (what `gpgv --keyring` reads). */
  keyPath: string;
  /** The same key, ASCII-armored (gpgv 2.2 cannot read this form). */
  armoredKeyPath: string;
  /** PRISM_AMI_SSM_AGENT_URL and PRISM_AMI_SSM_AGENT_KEY for the CLI. */
  env: Record<string, string>;
  /** Every path asked for, with what it was answered. */
  requests: { path: string; status: number }[];
  stop(): Promise<void>;
}

const ARCHES = ['amd64', 'arm64'] as const;

export async function startAgentRepo(dir: string): Promise<AgentRepo> {
  await mkdir(dir, { recursive: true });
  const gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: gnupg };
  const gpg = (args: string[]) => runHost('gpg', ['--batch', '--quiet', ...args], { env, check: true });
  await gpg([
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    '',
    '--quick-gen-key',
    'prism-ami instance twin <twin@example.invalid>',
    'ed25519',
    'sign',
    'never',
  ]);
  const keyPath = join(dir, 'agent-key.gpg');
  const armoredKeyPath = join(dir, 'agent-key.asc');
  await gpg(['--output', keyPath, '--export']);
  await gpg(['--armor', '--output', armoredKeyPath, '--export']);
  const files = new Map<string, Buffer>();
  for (const arch of ARCHES) {
    const deb = await buildDeb(join(dir, `deb-${arch}`), arch);
    await gpg(['--output', `${deb}.sig`, '--detach-sign', deb]);
    files.set(`${arch}.deb`, await readFile(deb));
    files.set(`${arch}.deb.sig`, await readFile(`${deb}.sig`));
  }
  // The gpg-agent that key generation started would outlive the test.
  await runHost('gpgconf', ['--kill', 'gpg-agent'], { env });

  const requests: AgentRepo['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const m = /^\/amazon-ssm-[a-z0-9-]+\/latest\/debian_(amd64|arm64)\/amazon-ssm-agent\.deb(\.sig)?$/.exec(path);
    const body = m ? files.get(`${m[1]}.deb${m[2] ?? ''}`) : undefined;
    requests.push({ path, status: body ? 200 : 404 });
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlTemplate = `http://${SLIRP_HOST}:${port}/amazon-ssm-{region}/latest/debian_{arch}/amazon-ssm-agent.deb`;
  return {
    urlTemplate,
    keyPath,
    armoredKeyPath,
    env: { PRISM_AMI_SSM_AGENT_URL: urlTemplate, PRISM_AMI_SSM_AGENT_KEY: keyPath },
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A real amazon-ssm-agent package: the stand-in program and its unit, enabled and started by its postinst. */
async function buildDeb(dir: string, arch: string): Promise<string> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await mkdir(join(root, 'usr/lib/systemd/system'), { recursive: true });
  await writeFile(
    join(root, 'DEBIAN/control'),
    [
      'Package: amazon-ssm-agent',
      'Version: 3.3.0.0-1prism-twin',
      `Architecture: ${arch}`,
      'Maintainer: prism-ami tests <twin@example.invalid>',
      'Section: admin',
      'Priority: optional',
      'Description: stand-in for the Amazon SSM agent (prism-ami instance twin)',
      '',
    ].join('\n'),
  );
  const postinst = join(root, 'DEBIAN/postinst');
  await writeFile(
    postinst,
    [
      '#!/bin/sh',
      'set -e',
      'if [ "$1" = configure ] && [ -d /run/systemd/system ]; then',
      '  systemctl daemon-reload',
      '  systemctl enable amazon-ssm-agent.service',
      '  systemctl start amazon-ssm-agent.service',
      'fi',
      '',
    ].join('\n'),
  );
  await chmod(postinst, 0o755);
  await writeFile(join(root, 'usr/bin/amazon-ssm-agent'), AGENT_PROGRAM);
  await chmod(join(root, 'usr/bin/amazon-ssm-agent'), 0o755);
  await writeFile(join(root, 'usr/lib/systemd/system/amazon-ssm-agent.service'), AGENT_UNIT);
  const deb = join(dir, 'amazon-ssm-agent.deb');
  await runHost('dpkg-deb', ['--root-owner-group', '--build', root, deb], { check: true });
  return deb;
}
