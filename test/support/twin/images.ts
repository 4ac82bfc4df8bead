import { chmod, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { acquireLock } from '../../../src/core/file-lock.js';
import type { Architecture } from '../../../src/core/types.js';
import { resolveSettings } from '../../../src/config/settings.js';
import { ensureBase } from '../../../src/providers/local/base-cache.js';
import { execInContainer, startContainer, waitBooted } from '../../../src/providers/local/container.js';
import { removeTree, runHost } from '../../../src/providers/local/host.js';
import { suiteFor } from '../../../src/providers/local/suites.js';
import { TwinCleanups, twinContext } from './context.js';
import { AGENT_PROGRAM, AGENT_UNIT, CLOUD_FINAL_UNIT, CLOUD_INIT, CLOUD_INIT_UNIT } from './stubs.js';

/** What stands in for one AMI: a local base of the same family, with or without the SSM agent. */
export interface TwinAmi {
  /** The local base (debootstrap) that boots for it: e.g. debian-12 for Debian, Amazon Linux or a small stand-in. */
  base: 'debian-12' | 'ubuntu-22.04-lts';
  /** The AMI comes with the SSM agent (Ubuntu, Amazon Linux); Debian's does not. */
  agent: boolean;
  architecture?: Architecture;
}

/** Bump when the package layer's recipe changes: cached layers of older recipes are not used. */
const PACKAGES_RECIPE = 'curl-gpgv-sshd-v2';
const PACKAGES = ['curl', 'gpgv', 'ca-certificates', 'openssh-server'];

/**
 * The layers of the twin's AMIs, top first: the stand-ins (cloud-init, the agent where the AMI has
 * one), then a layer with what a cloud image has and a debootstrap minbase lacks (curl, gpgv,
 * an SSH server without host keys),
 * built once in a container and cached next to the local bases, then the local base itself.
 */
export class TwinImages {
  private readonly layers = new Map<string, Promise<string[]>>();
  private readonly cacheRoot: string;
  private readonly cacheDir: string;

  constructor(
    private readonly root: string,
    private readonly log: (line: string) => void,
    private readonly signal: AbortSignal,
  ) {
    this.cacheDir = resolveSettings({ env: process.env }).local.cacheDir;
    this.cacheRoot = join(dirname(this.cacheDir), 'twin-layers');
  }

  layersFor(ami: TwinAmi): Promise<string[]> {
    const architecture = ami.architecture ?? 'x86_64';
    const key = `${ami.base}-${architecture}-${ami.agent ? 'agent' : 'no-agent'}`;
    let layers = this.layers.get(key);
    if (!layers) {
      layers = this.build(ami.base, architecture, ami.agent, key);
      this.layers.set(key, layers);
    }
    return layers;
  }

  private async build(alias: string, architecture: Architecture, agent: boolean, key: string): Promise<string[]> {
    const settings = resolveSettings({ env: process.env }).local;
    const cleanups = new TwinCleanups();
    const ctx = twinContext(cleanups, this.signal, join(this.root, `${key}.log`), this.log);
    try {
      const base = await ensureBase(this.cacheDir, suiteFor({ kind: 'alias', alias }, architecture, settings), architecture, ctx);
      const packages = await this.packageLayer(base.id, base.rootfs, ctx);
      const stubs = join(this.root, 'amis', key);
      await writeStubs(stubs, agent);
      return [stubs, packages, base.rootfs];
    } finally {
      await cleanups.removeAll();
    }
  }

  /** curl and gpgv on the base, installed once in a container and kept as a layer (locked: concurrent test files wait). */
  private async packageLayer(baseId: string, rootfs: string, ctx: ReturnType<typeof twinContext>): Promise<string> {
    const dir = join(this.cacheRoot, `${baseId}-${PACKAGES_RECIPE}`);
    const layer = join(dir, 'layer');
    const done = async () => (await readFile(join(dir, 'done'), 'utf8').catch(() => '')) !== '';
    if (await done()) return layer;
    await mkdir(this.cacheRoot, { recursive: true });
    const lock = await acquireLock(join(this.cacheRoot, `${baseId}.lock`), {
      timeoutMs: 15 * 60_000,
      purpose: 'instance twin package layer',
      signal: ctx.signal,
    });
    try {
      if (await done()) return layer;
      const workDir = join(this.root, `packages-${baseId}`);
      this.log(`instance twin: installing ${PACKAGES.join(', ')} on ${baseId} (once; cached in ${dir})`);
      const container = await startContainer(
        {
          name: `twin-pkg-${baseId.slice(-8)}`,
          workDir,
          lowerDirs: [rootfs],
          consoleLog: join(this.root, `packages-${baseId}.console.log`),
        },
        ctx,
      );
      await waitBooted(container, ctx);
      const install = await execInContainer(
        container,
        {
          kind: 'command',
          name: 'install',
          command: [
            'set -e',
            'export DEBIAN_FRONTEND=noninteractive',
            'apt-get update -qq',
            `apt-get install -y -qq --no-install-recommends ${PACKAGES.join(' ')}`,
            'apt-get clean',
            'rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*',
            // As in a cloud image: no host keys; cloud-init makes them on an instance's first boot.
            'rm -f /etc/ssh/ssh_host_*',
            ': > /etc/machine-id',
            'sync',
          ].join('\n'),
          timeoutSeconds: 600,
        },
        ctx,
      );
      if (install.exitCode !== 0)
        throw new Error(`instance twin: installing ${PACKAGES.join(', ')} failed: ${install.stdout}${install.stderr}`);
      await container.handles.network?.removeNow();
      await container.handles.container.removeNow();
      await container.handles.mount.removeNow();
      await removeTree(dir);
      await mkdir(dir, { recursive: true });
      await rename(container.upper, layer).catch(async () => {
        await runHost('cp', ['-a', container.upper, layer], { check: true });
      });
      await writeFile(join(dir, 'done'), `${new Date().toISOString()}\n`);
      await container.handles.workDir.removeNow();
      return layer;
    } finally {
      await lock.release();
    }
  }
}

/** The stand-ins, as files of a layer: cloud-init always (cloud images have it), the agent where the AMI has it. */
async function writeStubs(dir: string, agent: boolean): Promise<void> {
  await removeTree(dir);
  // Only folders that are real folders in the base (never /lib or /bin: symlinks on merged-usr
  // systems, which a folder in a layer would hide).
  const units = join(dir, 'etc/systemd/system');
  const wants = join(units, 'multi-user.target.wants');
  await mkdir(wants, { recursive: true, mode: 0o755 });
  await mkdir(join(dir, 'usr/bin'), { recursive: true, mode: 0o755 });
  const put = async (path: string, text: string, mode: number) => {
    await writeFile(join(dir, path), text);
    await chmod(join(dir, path), mode);
  };
  await put('usr/bin/cloud-init', CLOUD_INIT, 0o755);
  await put('etc/systemd/system/cloud-init.service', CLOUD_INIT_UNIT, 0o644);
  await symlink('/etc/systemd/system/cloud-init.service', join(wants, 'cloud-init.service'));
  await put('etc/systemd/system/cloud-final.service', CLOUD_FINAL_UNIT, 0o644);
  await symlink('/etc/systemd/system/cloud-final.service', join(wants, 'cloud-final.service'));
  if (agent) {
    await put('usr/bin/amazon-ssm-agent', AGENT_PROGRAM, 0o755);
    await put('etc/systemd/system/amazon-ssm-agent.service', AGENT_UNIT, 0o644);
    await symlink('/etc/systemd/system/amazon-ssm-agent.service', join(wants, 'amazon-ssm-agent.service'));
  }
}
