import { PrismError } from '../../core/errors.js';
import type { Architecture } from '../../core/types.js';
import { baseAlias } from '../../template/base-sources.js';
import { describeBase, type BaseSource } from '../../template/model.js';
import type { LocalSettings } from '../../config/settings.js';

/** A base source as debootstrap needs it. */
export interface Suite {
  alias: string;
  distribution: 'debian' | 'ubuntu';
  suite: string;
  mirror: string;
  /** How to point at another mirror, for error messages. */
  mirrorSetting: string;
  components: string[];
  /** The debootstrap script of the family, for a release this debootstrap has none of. */
  script?: string;
  /** Installed with the base besides systemd (what the release needs to boot as a container). */
  extraPackages: string[];
  /** Extra apt sources written into the base (updates, security). */
  extraSources: string[];
}

export const DEBIAN_ARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

/** Maps a template's base to a debootstrap suite, or explains why it cannot be built locally. */
export function suiteFor(base: BaseSource, architecture: Architecture, settings: LocalSettings): Suite {
  const unsupported = (why: string): never => {
    throw new PrismError('BASE_UNAVAILABLE', `base ${describeBase(base)} cannot be built with the local provider: ${why}`, {
      hint: 'local builds support debian-12, ubuntu-20.04-lts, ubuntu-22.04-lts and ubuntu-24.04-lts; build this template with --provider aws',
    });
  };
  if (base.kind !== 'alias') return unsupported('it names a cloud image, not a distribution release');
  const info = baseAlias(base.alias);
  if (!info?.codename || info.family === 'amazon-linux') return unsupported('Amazon Linux has no debootstrap suite');
  if (info.family === 'debian') {
    const mirror = settings.debianMirror.replace(/\/+$/, '');
    const extra = [`deb ${mirror} ${info.codename}-updates main`];
    if (/deb\.debian\.org\/debian$/.test(mirror)) extra.push(`deb ${mirror}-security ${info.codename}-security main`);
    return {
      alias: info.alias,
      distribution: 'debian',
      suite: info.codename,
      mirror,
      mirrorSetting: 'local.debianMirror in prism-ami.config.yaml (or PRISM_AMI_DEBIAN_MIRROR)',
      components: ['main'],
      extraPackages: [],
      extraSources: extra,
    };
  }
  const mirror = (architecture === 'x86_64' ? settings.ubuntuMirror : settings.ubuntuPortsMirror).replace(/\/+$/, '');
  return {
    alias: info.alias,
    distribution: 'ubuntu',
    suite: info.codename,
    mirror,
    mirrorSetting: 'local.ubuntuMirror in prism-ami.config.yaml (or PRISM_AMI_UBUNTU_MIRROR)',
    components: ['main', 'universe'],
    script: 'gutsy',
    extraPackages: [],
    extraSources: [`deb ${mirror} ${info.codename}-updates main universe`, `deb ${mirror} ${info.codename}-security main universe`],
  };
}
