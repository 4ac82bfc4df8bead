import { PrismError } from '../core/errors.js';
import { resolveSettings, type Settings, type SettingsInput } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import type { Architecture } from '../core/types.js';
import { createProvider } from '../providers/create-provider.js';
import type { Provider } from '../providers/provider.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { libraryFor } from '../template/library.js';
import type { Template } from '../template/model.js';
import { chooseArchitecture } from './choose-architecture.js';

export interface TargetOptions extends SettingsInput {
  /** A slug, a template file's path, or a template already resolved. */
  template: string | Template;
  architecture?: Architecture;
  awsClients?: AwsClients;
  /** A provider made by the caller (tests, build-all). */
  providerInstance?: Provider;
}

export interface ResolvedTarget {
  settings: Settings;
  template: Template;
  architecture: Architecture;
  provider: Provider;
  fingerprint: string;
}

/** A template named on the command line, resolved with its extends chain. */
export async function resolveTemplate(ref: string | Template, settings: Settings): Promise<Template> {
  if (typeof ref !== 'string') return ref;
  const { library, slug } = libraryFor(ref, settings.templatesDir);
  return library.resolve(slug);
}

/**
 * What build and validate start from: the settings, the template, its architecture and the
 * provider for the region (--region or the config's, else the template's first region, else
 * AWS_REGION).
 */
export async function resolveTarget(options: TargetOptions): Promise<ResolvedTarget> {
  const settings = resolveSettings(options);
  const template = await resolveTemplate(options.template, settings);
  if (template.notBuilt) {
    throw new PrismError('TEMPLATE_INVALID', `${template.slug}: ${template.notBuilt.message}`, { hint: template.notBuilt.fix });
  }
  const architecture = chooseArchitecture(template, options.architecture, settings.provider);
  const region = settings.region ?? template.regions[0];
  const provider =
    options.providerInstance ??
    (await createProvider(settings.provider, {
      settings,
      ...(region ? { region } : {}),
      ...(options.awsClients ? { awsClients: options.awsClients } : {}),
    }));
  return { settings, template, architecture, provider, fingerprint: templateFingerprint(template, architecture) };
}
