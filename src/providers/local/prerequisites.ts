import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PrismError } from '../../core/errors.js';
import { hostArchitecture, type Architecture } from '../../core/types.js';
import { hasCommand } from './host.js';

const QEMU: Record<Architecture, string> = { x86_64: 'qemu-x86_64', arm64: 'qemu-aarch64' };

/** What is missing for emulation, first thing first: the packages, the binfmt_misc mount, the registration. */
async function emulationFix(interpreter: string, paths: HostPaths): Promise<string> {
  const register = `update-binfmts --enable ${interpreter}`;
  const mount = `mount -t binfmt_misc binfmt_misc ${paths.binfmtDir}`;
  if (!(await exists(join(paths.binDir, `${interpreter}-static`)))) {
    return `apt-get install -y qemu-user-static binfmt-support (then, where systemd is not running: ${mount} && ${register})`;
  }
  if (!(await exists(join(paths.binfmtDir, 'register')))) return `binfmt_misc is not mounted: ${mount} && ${register}`;
  return `qemu-user-static is installed but ${interpreter} is not registered or is disabled: ${register}`;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Where emulation is looked for (tests point them at folders of their own). */
interface HostPaths {
  binfmtDir: string;
  binDir: string;
}

/** A binfmt_misc entry works when it exists and its first line says enabled. */
async function registered(binfmt: string): Promise<boolean> {
  const text = await readFile(binfmt, 'utf8').catch(() => '');
  return text.split('\n')[0] === 'enabled';
}

/**
 * What local builds need: root, systemd-nspawn (systemd-container), debootstrap, slirp4netns, nsenter,
 * overlayfs; for the other architecture, qemu-user-static registered with binfmt_misc.
 */
export async function checkLocalPrerequisites(
  architecture: Architecture,
  options: { getuid?: () => number; host?: Architecture; paths?: HostPaths; commands?: boolean } = {},
): Promise<void> {
  const uid = (options.getuid ?? process.getuid)?.();
  if (uid !== 0) {
    throw new PrismError(
      'PREREQUISITE_MISSING',
      'local builds need root: they mount overlay file systems and boot containers with systemd-nspawn',
      {
        hint: 'run it with sudo, or build in the cloud with --provider aws',
      },
    );
  }
  if (options.commands !== false) await checkCommands();
  const host = options.host ?? hostArchitecture();
  if (host !== architecture) {
    const paths = options.paths ?? { binfmtDir: '/proc/sys/fs/binfmt_misc', binDir: '/usr/bin' };
    const binfmt = join(paths.binfmtDir, QEMU[architecture]);
    if (!(await registered(binfmt))) {
      throw new PrismError(
        'PREREQUISITE_MISSING',
        `building ${architecture} on this ${host ?? process.arch} machine needs ${QEMU[architecture]} emulation, which is not registered (${binfmt})`,
        { hint: `${await emulationFix(QEMU[architecture], paths)}; or build on a matching machine, or with --provider aws` },
      );
    }
  }
}

async function checkCommands(): Promise<void> {
  const missing: string[] = [];
  if (!(await hasCommand('systemd-nspawn'))) missing.push('systemd-container');
  if (!(await hasCommand('debootstrap'))) missing.push('debootstrap');
  // Each container's own network (providers/local/network.ts).
  if (!(await hasCommand('slirp4netns'))) missing.push('slirp4netns');
  // The Ubuntu archive keyring is taken out of the mirror's ubuntu-keyring package.
  if (!(await hasCommand('dpkg-deb'))) missing.push('dpkg');
  if (!(await hasCommand('nsenter'))) missing.push('util-linux');
  if (missing.length > 0) {
    throw new PrismError(
      'PREREQUISITE_MISSING',
      `local builds need ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed`,
      {
        hint: `apt-get install -y ${missing.join(' ')}`,
      },
    );
  }
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  if (!/\boverlay\b/.test(filesystems)) {
    throw new PrismError('PREREQUISITE_MISSING', 'the kernel has no overlay file system', { hint: 'modprobe overlay' });
  }
}
