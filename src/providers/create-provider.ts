import type { Settings } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { ProviderName } from '../core/types.js';
import type { Provider } from './provider.js';

export interface ProviderOptions {
  settings: Settings;
  /** AWS: the region builds run in (default: the settings'). */
  region?: string;
  /** AWS: shared clients (tests inject middleware here; build-all shares them). */
  awsClients?: AwsClients;
}

/** The provider for a name; AWS code is only loaded when it is used. */
export async function createProvider(name: ProviderName, options: ProviderOptions): Promise<Provider> {
  if (name === 'local') {
    const { LocalProvider } = await import('./local/local-provider.js');
    return new LocalProvider(options.settings.local);
  }
  const [{ AwsProvider }, { awsSettings }, { AwsClients }] = await Promise.all([
    import('./aws/aws-provider.js'),
    import('./aws/aws-settings.js'),
    import('../core/aws-clients.js'),
  ]);
  return new AwsProvider(awsSettings(options.settings, options.region), options.awsClients ?? new AwsClients());
}
