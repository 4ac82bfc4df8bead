import type { ConfigFile } from '../config/config.js';
import { PrismError } from '../core/errors.js';
import type { Provider } from './provider.js';

export type ProviderName = 'aws' | 'local';

export interface ProviderOptions {
  config: ConfigFile;
  /** AWS: the region builds run in. */
  region?: string;
}

/** The provider for a name; AWS code is only loaded when it is used. */
export async function createProvider(name: ProviderName, options: ProviderOptions): Promise<Provider> {
  if (name === 'local') {
    const [{ LocalProvider }, { localSettings }] = await Promise.all([import('./local/local-provider.js'), import('./local/local-settings.js')]);
    return new LocalProvider(localSettings(options.config));
  }
  throw new PrismError('USAGE', 'the aws provider is not available in this version', { hint: 'use --provider local' });
}

export function isProviderName(value: string): value is ProviderName {
  return value === 'aws' || value === 'local';
}
