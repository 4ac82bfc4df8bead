import { AMI_ID_PATTERN } from '../../core/ids.js';
import { canonicalBaseAlias } from '../base-sources.js';
import type { BaseSource } from '../model.js';

/**
 * Prism's `base:` names (the keys of its base-AMI table and version aliases) mapped to the
 * aliases providers know. `ubuntu` is Prism's "latest" Ubuntu (24.04).
 */
const PRISM_BASE_NAMES: Readonly<Record<string, string>> = {
  ubuntu: 'ubuntu-24.04-lts',
  'ubuntu-20.04': 'ubuntu-20.04-lts',
  'ubuntu-22.04': 'ubuntu-22.04-lts',
  'ubuntu-24.04': 'ubuntu-24.04-lts',
  debian: 'debian-12',
  'debian-12': 'debian-12',
  amazonlinux: 'al2023',
  'amazonlinux-2023': 'al2023',
  'amazon-linux-2023': 'al2023',
  'amazonlinux-2': 'amazon-linux-2',
};

/** Distributions Prism names that prism-ami has no base for yet. */
const UNSUPPORTED = /^(rocky|rockylinux|rhel|centos|alma|almalinux|fedora|alpine)([-:]?[\d.]+)?$/;

export type PrismBase =
  /** family: the base's package manager, where the base says (an AMI ID or a filter does not). */
  { ok: true; source: BaseSource; family?: 'apt' | 'dnf' } | { ok: false; reason: 'ami-based' | 'unsupported' | 'unknown'; name: string };

/** What a Prism `base:` names. */
export function prismBase(base: string | { owners: string[]; name: string }): PrismBase {
  if (typeof base !== 'string') return { ok: true, source: { kind: 'filter', owners: base.owners, namePattern: base.name } };
  const name = base.trim();
  if (name === 'ami-based') return { ok: false, reason: 'ami-based', name };
  if (AMI_ID_PATTERN.test(name)) return { ok: true, source: { kind: 'image', imageId: name } };
  const alias = PRISM_BASE_NAMES[name.replace(':', '-')] ?? canonicalBaseAlias(name);
  if (alias) return { ok: true, source: { kind: 'alias', alias }, family: /^(al2023|amazon-linux)/.test(alias) ? 'dnf' : 'apt' };
  return { ok: false, reason: UNSUPPORTED.test(name) ? 'unsupported' : 'unknown', name };
}

export const PRISM_BASE_EXAMPLES = Object.keys(PRISM_BASE_NAMES);
