import { resolveSettings, type SettingsInput } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import { errorMessage } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { chooseArchitecture } from './choose-architecture.js';
import { resolveTemplate } from './target.js';

export interface DryRunOptions extends SettingsInput {
  template: string;
  architecture?: Architecture;
  signal: AbortSignal;
  awsClients?: AwsClients;
}

export interface DryRunReport {
  template: string;
  architecture: Architecture;
  region: string;
  checks: { check: string; ok: boolean; detail: string }[];
}

/** `prism ami build --dry-run`: proves a build would be allowed; nothing is made. */
export async function dryRunBuild(options: DryRunOptions): Promise<DryRunReport> {
  const settings = resolveSettings(options);
  const template = await resolveTemplate(options.template, settings);
  const architecture = chooseArchitecture(template, options.architecture, settings.provider);
  if (settings.provider === 'local') {
    const [{ checkLocalPrerequisites }, { suiteFor }] = await Promise.all([
      import('../providers/local/prerequisites.js'),
      import('../providers/local/suites.js'),
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
      const suite = suiteFor(template.base, architecture, settings.local);
      return `${suite.alias}: debootstrap ${suite.suite} from ${suite.mirror}`;
    });
    return { template: template.slug, architecture, region: 'local', checks };
  }
  const [{ awsDryRun }, { awsSettings }, { AwsClients }] = await Promise.all([
    import('../providers/aws/dry-run.js'),
    import('../providers/aws/aws-settings.js'),
    import('../core/aws-clients.js'),
  ]);
  const aws = awsSettings(settings, settings.region ?? template.regions[0]);
  const clients = options.awsClients ?? new AwsClients();
  try {
    const checks = await awsDryRun(clients, aws, template, architecture, settings.copyTo, options.signal);
    return { template: template.slug, architecture, region: aws.region, checks };
  } finally {
    if (!options.awsClients) clients.destroy();
  }
}
