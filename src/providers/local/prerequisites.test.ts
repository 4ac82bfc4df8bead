import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { checkLocalPrerequisites } from './prerequisites.js';

describe('local build prerequisites', () => {
  test('not root is a clear error that says what to do', async () => {
    await expect(checkLocalPrerequisites('x86_64', { getuid: () => 1000 })).rejects.toMatchObject({
      code: 'PREREQUISITE_MISSING',
      message: expect.stringContaining('local builds need root'),
      hint: expect.stringContaining('sudo'),
    });
  });

  describe('emulation of the other architecture (binfmt_misc and qemu in folders of their own)', () => {
    let root: string;
    let paths: { binfmtDir: string; binDir: string };
    const check = () => checkLocalPrerequisites('arm64', { getuid: () => 0, host: 'x86_64', paths, commands: false });
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'prereq-'));
      paths = { binfmtDir: join(root, 'binfmt_misc'), binDir: join(root, 'bin') };
      await Promise.all([mkdir(paths.binfmtDir), mkdir(paths.binDir)]);
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    test('no qemu-user-static: install it, then mount and register', async () => {
      await expect(check()).rejects.toMatchObject({
        message: expect.stringContaining('needs qemu-aarch64 emulation, which is not registered'),
        hint: expect.stringMatching(/^apt-get install -y qemu-user-static binfmt-support .*update-binfmts --enable qemu-aarch64/),
      });
    });

    test('installed, binfmt_misc not mounted (no systemd): the mount command', async () => {
      await writeFile(join(paths.binDir, 'qemu-aarch64-static'), '');
      await expect(check()).rejects.toMatchObject({
        hint: expect.stringContaining(`binfmt_misc is not mounted: mount -t binfmt_misc binfmt_misc ${paths.binfmtDir}`),
      });
    });

    test('mounted but not registered, or registered and disabled: update-binfmts', async () => {
      await writeFile(join(paths.binDir, 'qemu-aarch64-static'), '');
      await writeFile(join(paths.binfmtDir, 'register'), '');
      await expect(check()).rejects.toMatchObject({
        hint: expect.stringContaining('is not registered or is disabled: update-binfmts --enable qemu-aarch64'),
      });
      await writeFile(join(paths.binfmtDir, 'qemu-aarch64'), 'disabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n');
      await expect(check()).rejects.toMatchObject({ code: 'PREREQUISITE_MISSING' });
    });

    test('registered and enabled: no error', async () => {
      await writeFile(join(paths.binfmtDir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n');
      await expect(check()).resolves.toBeUndefined();
    });
  });
});
