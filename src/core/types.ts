export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export function isArchitecture(value: unknown): value is Architecture {
  return value === 'x86_64' || value === 'arm64';
}

/** AWS region names: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `eu-central-2`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function isRegionName(value: string): boolean {
  return REGION_PATTERN.test(value);
}

/** The architecture of the machine this process runs on, in template terms. */
export function hostArchitecture(nodeArch: string = process.arch): Architecture | undefined {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'arm64';
  return undefined;
}

export type ProviderName = 'aws' | 'local';

export function isProviderName(value: string): value is ProviderName {
  return value === 'aws' || value === 'local';
}
