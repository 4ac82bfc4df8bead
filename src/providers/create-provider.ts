import type { ConfigFile } from '../config/config.js';
import type { Provider } from './provider.js';

export type ProviderName = 'aws' | 'local';

export interface ProviderOptions {
  config: ConfigFile;
  /** AWS: the region builds run in. */
  region?: string;
  subnet?: string;
  instanceProfile?: string;
  /** AWS: shared clients (tests inject middleware here; build-all shares them). */
  awsClients?: import('../core/aws-clients.js').AwsClients;
}

/** The provider for a name; AWS code is only loaded when it is used. */
export async function createProvider(name: ProviderName, options: ProviderOptions): Promise<Provider> {
  if (name === 'local') {
    const [{ LocalProvider }, { localSettings }] = await Promise.all([import('./local/local-provider.js'), import('./local/local-settings.js')]);
    return new LocalProvider(localSettings(options.config));
  }
  const [{ AwsProvider }, { awsSettings }, { AwsClients }] = await Promise.all([
    import('./aws/aws-provider.js'),
    import('./aws/aws-settings.js'),
    import('../core/aws-clients.js'),
  ]);
  const settings = awsSettings(options.config, {
    ...(options.region ? { region: options.region } : {}),
    ...(options.subnet ? { subnet: options.subnet } : {}),
    ...(options.instanceProfile ? { instanceProfile: options.instanceProfile } : {}),
  });
  return new AwsProvider(settings, options.awsClients ?? new AwsClients());
}

export function isProviderName(value: string): value is ProviderName {
  return value === 'aws' || value === 'local';
}
