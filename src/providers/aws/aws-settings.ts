import type { ConfigFile } from '../../config/config.js';
import { PrismError } from '../../core/errors.js';

export interface AwsSettings {
  region: string;
  subnet?: string;
  instanceProfile?: string;
  /** Wall-clock limit for an image (or copy) to become available. */
  imageTimeoutMinutes: number;
  /** Wall-clock limit for running + status checks + SSM agent online. */
  readyTimeoutMinutes: number;
  /** How long a new instance profile may take to become usable. */
  instanceProfileWaitSeconds: number;
  /** Regions sweep looks in. */
  regions: string[];
}

export function awsSettings(config: ConfigFile, flags: { region?: string; subnet?: string; instanceProfile?: string }, env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const region = flags.region ?? config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new PrismError('USAGE', 'no AWS region: pass --region, set region in prism-ami.config.yaml, or set AWS_REGION', {
      hint: 'e.g. --region us-east-1',
    });
  }
  const subnet = flags.subnet ?? config.subnet;
  const instanceProfile = flags.instanceProfile ?? config.instanceProfile;
  return {
    region,
    ...(subnet ? { subnet } : {}),
    ...(instanceProfile ? { instanceProfile } : {}),
    imageTimeoutMinutes: config.imageTimeoutMinutes ?? 60,
    readyTimeoutMinutes: config.readyTimeoutMinutes ?? 15,
    instanceProfileWaitSeconds: config.instanceProfileWaitSeconds ?? 60,
    regions: [...new Set([region, ...(config.regions ?? []), ...(config.copyTo ?? [])])],
  };
}
