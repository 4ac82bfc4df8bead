import { access, readFile } from 'node:fs/promises';
import { PrismError } from '../../core/errors.js';
import { hostArchitecture, type Architecture } from '../../core/types.js';
import { hasCommand } from './host.js';

const QEMU: Record<Architecture, string> = { x86_64: 'qemu-x86_64', arm64: 'qemu-aarch64' };

/**
 * What local builds need: root, systemd-nspawn (systemd-container), debootstrap, slirp4netns, nsenter,
 * overlayfs; for the other architecture, qemu-user-static registered with binfmt_misc.
 */
export async function checkLocalPrerequisites(architecture: Architecture, options: { getuid?: () => number } = {}): Promise<void> {
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
  const host = hostArchitecture();
  if (host !== architecture) {
    const binfmt = `/proc/sys/fs/binfmt_misc/${QEMU[architecture]}`;
    const registered = await access(binfmt).then(
      () => true,
      () => false,
    );
    if (!registered) {
      throw new PrismError(
        'PREREQUISITE_MISSING',
        `building ${architecture} on this ${host ?? process.arch} machine needs ${QEMU[architecture]} emulation, which is not registered (${binfmt})`,
        { hint: 'apt-get install -y qemu-user-static binfmt-support, or build on a matching machine, or with --provider aws' },
      );
    }
  }
}
