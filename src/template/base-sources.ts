/**
 * The base operating systems a template can name by alias. Providers map each alias to their own
 * source (an SSM public parameter on AWS, a debootstrap suite locally).
 */
export interface BaseAlias {
  alias: string;
  family: 'ubuntu' | 'debian' | 'amazon-linux';
  version: string;
  /** Distribution code name, where there is one (debootstrap suite). */
  codename?: string;
}

export const BASE_ALIASES: readonly BaseAlias[] = [
  { alias: 'ubuntu-20.04-lts', family: 'ubuntu', version: '20.04', codename: 'focal' },
  { alias: 'ubuntu-22.04-lts', family: 'ubuntu', version: '22.04', codename: 'jammy' },
  { alias: 'ubuntu-24.04-lts', family: 'ubuntu', version: '24.04', codename: 'noble' },
  { alias: 'debian-12', family: 'debian', version: '12', codename: 'bookworm' },
  { alias: 'al2023', family: 'amazon-linux', version: '2023' },
  { alias: 'amazon-linux-2', family: 'amazon-linux', version: '2' },
];

/** Names used by the legacy Prism template format, mapped to today's aliases. */
export const LEGACY_BASE_NAMES: Readonly<Record<string, string>> = {
  'ubuntu-20.04-server-lts': 'ubuntu-20.04-lts',
  'ubuntu-22.04-server-lts': 'ubuntu-22.04-lts',
  'ubuntu-24.04-server-lts': 'ubuntu-24.04-lts',
  'amazon-linux-2': 'amazon-linux-2',
};

export const KNOWN_BASE_NAMES: readonly string[] = [
  ...BASE_ALIASES.map((a) => a.alias),
  ...Object.keys(LEGACY_BASE_NAMES).filter((name) => !BASE_ALIASES.some((a) => a.alias === name)),
];

/** The canonical alias for a base name (legacy names included), or undefined when unknown. */
export function canonicalBaseAlias(name: string): string | undefined {
  const alias = LEGACY_BASE_NAMES[name] ?? name;
  return BASE_ALIASES.some((a) => a.alias === alias) ? alias : undefined;
}

export function baseAlias(alias: string): BaseAlias | undefined {
  return BASE_ALIASES.find((a) => a.alias === alias);
}
