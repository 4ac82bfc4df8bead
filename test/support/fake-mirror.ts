import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * A v4 OpenPGP public-key packet of a made-up RSA key: what a keyring file holds, and whose
 * fingerprint is not one of Ubuntu's.
 */
export function fakePublicKeyPacket(): Buffer {
  const n = randomBytes(256);
  n[0] |= 0x80;
  const mpi = (bytes: Buffer) => Buffer.concat([Buffer.from([(bytes.length * 8) >> 8, (bytes.length * 8) & 0xff]), bytes]);
  const body = Buffer.concat([Buffer.from([4, 0x60, 0, 0, 0, 1]), mpi(n), Buffer.from([0, 17, 1, 0, 1])]);
  return Buffer.concat([
    Buffer.from([0xc6, 0xff, (body.length >>> 24) & 0xff, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]),
    body,
  ]);
}

/**
 * A loopback "Ubuntu mirror" serving just what prism-ami reads before debootstrap: the suite's
 * Release, the Packages index and an ubuntu-keyring package holding `keyring`.
 */
export async function startFakeUbuntuMirror(
  dir: string,
  suite: string,
  keyring: Buffer,
): Promise<{ url: string; requests: string[]; stop(): Promise<void> }> {
  const root = join(dir, 'pkg');
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr/share/keyrings'), { recursive: true });
  await writeFile(
    join(root, 'DEBIAN/control'),
    'Package: ubuntu-keyring\nVersion: 2099.01.01\nArchitecture: all\nMaintainer: nobody <nobody@example.com>\nDescription: not Ubuntu\n',
  );
  await writeFile(join(root, 'usr/share/keyrings/ubuntu-archive-keyring.gpg'), keyring);
  const deb = join(dir, 'ubuntu-keyring.deb');
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, deb], { stdio: 'ignore' });
  const debBytes = await readFile(deb);
  const filename = 'pool/main/u/ubuntu-keyring/ubuntu-keyring_2099.01.01_all.deb';
  const packages = `Package: ubuntu-keyring\nArchitecture: all\nVersion: 2099.01.01\nFilename: ${filename}\nSize: ${debBytes.length}\nSHA256: ${createHash('sha256').update(debBytes).digest('hex')}\n\n`;
  const files: Record<string, Buffer> = {
    [`/dists/${suite}/Release`]: Buffer.from(`Suite: ${suite}\n`),
    [`/dists/${suite}/main/binary-amd64/Packages.gz`]: gzipSync(packages),
    [`/dists/${suite}/main/binary-arm64/Packages.gz`]: gzipSync(packages),
    [`/${filename}`]: debBytes,
  };
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
