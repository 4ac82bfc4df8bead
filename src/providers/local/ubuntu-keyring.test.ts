import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakePublicKeyPacket, startFakeUbuntuMirror } from '../../../test/support/fake-mirror.js';
import { tempDir } from '../../../test/support/temp.js';
import { isPrismError } from '../../core/errors.js';
import { keyringKeys } from './openpgp.js';
import { keyringProblem, packageStanza, ubuntuKeyring, UBUNTU_ARCHIVE_KEYS } from './ubuntu-keyring.js';

const ctx = { signal: new AbortController().signal, log: () => undefined, progress: () => undefined };

describe('the Ubuntu archive keyring', () => {
  it('reads the fingerprints of a keyring (the Debian archive keyring of this machine as a sample)', async () => {
    const debian = await readFile('/usr/share/keyrings/debian-archive-keyring.gpg').catch(() => undefined);
    if (!debian) return;
    const keys = keyringKeys(debian);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    // Debian's keys are not Ubuntu's: a keyring of them is refused.
    expect(keyringProblem(debian)).toMatch(/not Ubuntu's archive keys/);
  });

  it('pins the 2012 and 2018 archive keys and the 2012 CD image key', () => {
    expect(Object.keys(UBUNTU_ARCHIVE_KEYS).sort()).toEqual([
      '790BC7277767219C42C86F933B4FE6ACC0B21F32',
      '843938DF228D22F7B3742BC0D94AA3F0EFE21092',
      'F6ECB3762474EDA9D21B7022871920D1991BC93C',
    ]);
    expect(keyringProblem(Buffer.from('not a keyring'))).toMatch(/not an OpenPGP keyring/);
  });

  it('finds a package in a Packages index', () => {
    const index = 'Package: a\nFilename: pool/a.deb\n\nPackage: ubuntu-keyring\nVersion: 1\nFilename: pool/u/uk.deb\nSHA256: ab\n';
    expect(packageStanza(index, 'ubuntu-keyring')).toMatchObject({ Filename: 'pool/u/uk.deb', SHA256: 'ab' });
    expect(packageStanza(index, 'missing')).toBeUndefined();
  });

  it("refuses a mirror's keyring package whose keys are not Ubuntu's, and caches nothing", async () => {
    const dir = await tempDir();
    const mirror = await startFakeUbuntuMirror(dir, 'jammy', fakePublicKeyPacket());
    try {
      const error = await ubuntuKeyring(join(dir, 'cache'), { mirror: mirror.url, suite: 'jammy', debianArch: 'amd64' }, ctx).catch(
        (e: unknown) => e,
      );
      expect(isPrismError(error, 'BASE_UNAVAILABLE'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/is not trusted: it holds keys that are not Ubuntu's archive keys: [0-9A-F]{40}/);
      expect(mirror.requests).toContain('GET /pool/main/u/ubuntu-keyring/ubuntu-keyring_2099.01.01_all.deb');
      await expect(readFile(join(dir, 'cache/keyrings/ubuntu-archive-keyring.gpg'))).rejects.toThrow();
    } finally {
      await mirror.stop();
    }
  });
});
