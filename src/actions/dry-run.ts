import type { ConfigFile } from '../config/config.js';
import { errorMessage } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { libraryFor } from '../template/library.js';
import type { ProviderName } from '../providers/create-provider.js';
import { chooseArchitecture } from './choose-architecture.js';

export interface DryRunOptions {
  template: string;
  templatesDir?: string;
  provider: ProviderName;
  architecture?: Architecture;
  region?: string;
  subnet?: string;
  instanceProfile?: string;
  copyTo?: readonly string[];
  config?: ConfigFile;
  signal: AbortSignal;
  awsClients?: import('../core/aws-clients.js').AwsClients;
}

export interface DryRunReport {
  template: string;
  architecture: Architecture;
  region: string;
  checks: { check: string; ok: boolean; detail: string }[];
}

/** `prism ami build --dry-run`: proves a build would be allowed; nothing is made. */
export async function dryRunBuild(options: DryRunOptions): Promise<DryRunReport> {
  const { library, slug } = libraryFor(options.template, options.templatesDir);
  const template = await library.resolve(slug);
  const architecture = chooseArchitecture(template, options.architecture, options.provider);
  if (options.provider === 'local') {
    const [{ checkLocalPrerequisites }, { suiteFor }, { localSettings }] = await Promise.all([
      import('../providers/local/prerequisites.js'),
      import('../providers/local/suites.js'),
      import('../providers/local/local-settings.js'),
    ]);
    const checks: DryRunReport['checks'] = [];
    const attempt = async (check: string, run: () => Promise<string> | string) => {
      try {
        checks.push({ check, ok: true, detail: await run() });
      } catch (error) {
        checks.push({ check, ok: false, detail: errorMessage(error) });
      }
    };
    await attempt('prerequisites (root, systemd-nspawn, debootstrap, overlayfs)', async () => {
      await checkLocalPrerequisites(architecture);
      return 'present';
    });
    await attempt('base', () => {
      if (template.parent) return `built on ${template.parent.slug}'s local image`;
      const suite = suiteFor(template.base, architecture, localSettings(options.config ?? {}));
      return `${suite.alias}: debootstrap ${suite.suite} from ${suite.mirror}`;
    });
    return { template: template.slug, architecture, region: 'local', checks };
  }
  const [{ awsDryRun }, { awsSettings }, { AwsClients }] = await Promise.all([
    import('../providers/aws/dry-run.js'),
    import('../providers/aws/aws-settings.js'),
    import('../core/aws-clients.js'),
  ]);
  const region = options.region ?? options.config?.region ?? template.regions[0];
  const settings = awsSettings(options.config ?? {}, {
    ...(region ? { region } : {}),
    ...(options.subnet ? { subnet: options.subnet } : {}),
    ...(options.instanceProfile ? { instanceProfile: options.instanceProfile } : {}),
  });
  const clients = options.awsClients ?? new AwsClients();
  const checks = await awsDryRun(clients, settings, template, architecture, options.copyTo ?? options.config?.copyTo ?? [], options.signal);
  return { template: template.slug, architecture, region: settings.region, checks };
}
