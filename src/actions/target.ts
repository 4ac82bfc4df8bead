import type { ConfigFile } from '../config/config.js';
import type { Architecture } from '../core/types.js';
import type { AwsClients } from '../core/aws-clients.js';
import { createProvider, type ProviderName } from '../providers/create-provider.js';
import type { Provider } from '../providers/provider.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { libraryFor } from '../template/library.js';
import type { Template } from '../template/model.js';
import { chooseArchitecture } from './choose-architecture.js';

export interface TargetOptions {
  template: string;
  templatesDir?: string;
  provider: ProviderName;
  architecture?: Architecture;
  /** Default: the config's region, else the template's first region. */
  region?: string;
  subnet?: string;
  instanceProfile?: string;
  config?: ConfigFile;
  awsClients?: AwsClients;
  /** A provider made by the caller (tests, build-all). */
  providerInstance?: Provider;
}

export interface ResolvedTarget {
  template: Template;
  architecture: Architecture;
  provider: Provider;
  fingerprint: string;
}

/** What build and validate start from: the template, its architecture, the provider for the region. */
export async function resolveTarget(options: TargetOptions): Promise<ResolvedTarget> {
  const { library, slug } = libraryFor(options.template, options.templatesDir);
  const template = await library.resolve(slug);
  const architecture = chooseArchitecture(template, options.architecture, options.provider);
  const region = options.region ?? options.config?.region ?? template.regions[0];
  const provider =
    options.providerInstance ??
    (await createProvider(options.provider, {
      config: options.config ?? {},
      ...(region ? { region } : {}),
      ...(options.subnet ? { subnet: options.subnet } : {}),
      ...(options.instanceProfile ? { instanceProfile: options.instanceProfile } : {}),
      ...(options.awsClients ? { awsClients: options.awsClients } : {}),
    }));
  return { template, architecture, provider, fingerprint: templateFingerprint(template, architecture) };
}
