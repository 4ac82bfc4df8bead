import { join } from 'node:path';
import type { ConfigFile } from '../../config/config.js';

/** Where the local provider keeps things, and which mirrors it uses. */
export interface LocalSettings {
  /** Cached base root file systems (one per distribution release and architecture). */
  cacheDir: string;
  /** Finished images: a layer and metadata.json each. */
  imageDir: string;
  /** Build containers while they run. */
  workDir: string;
  debianMirror: string;
  ubuntuMirror: string;
  /** Ubuntu's mirror for arm64 and other ports. */
  ubuntuPortsMirror: string;
}

export const LOCAL_DEFAULTS = {
  cacheDir: '/var/cache/prism-ami/bases',
  imageDir: '/var/lib/prism-ami/images',
  workDir: '/var/lib/prism-ami/work',
  debianMirror: 'http://deb.debian.org/debian',
  ubuntuMirror: 'http://archive.ubuntu.com/ubuntu',
  ubuntuPortsMirror: 'http://ports.ubuntu.com/ubuntu-ports',
} as const;

/** Config file values, then PRISM_AMI_* environment variables, then defaults. */
export function localSettings(config: ConfigFile = {}, env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const local = config.local ?? {};
  const ubuntu = env.PRISM_AMI_UBUNTU_MIRROR ?? local.ubuntuMirror;
  return {
    cacheDir: env.PRISM_AMI_LOCAL_CACHE_DIR ?? local.cacheDir ?? LOCAL_DEFAULTS.cacheDir,
    imageDir: env.PRISM_AMI_LOCAL_IMAGE_DIR ?? local.imageDir ?? LOCAL_DEFAULTS.imageDir,
    workDir: env.PRISM_AMI_LOCAL_WORK_DIR ?? local.workDir ?? LOCAL_DEFAULTS.workDir,
    debianMirror: env.PRISM_AMI_DEBIAN_MIRROR ?? local.debianMirror ?? LOCAL_DEFAULTS.debianMirror,
    ubuntuMirror: ubuntu ?? LOCAL_DEFAULTS.ubuntuMirror,
    ubuntuPortsMirror: ubuntu ?? LOCAL_DEFAULTS.ubuntuPortsMirror,
  };
}

export function imagePath(settings: LocalSettings, id: string): string {
  return join(settings.imageDir, id);
}
