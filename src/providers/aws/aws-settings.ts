import type { AwsBuildSettings, Settings } from '../../config/settings.js';
import { PrismError } from '../../core/errors.js';

/** What the AWS provider needs: a region to build in, where to launch, and its time limits. */
export interface AwsSettings extends AwsBuildSettings {
  region: string;
  subnet?: string;
  instanceProfile?: string;
  /** Regions sweep looks in. */
  regions: string[];
}

/** The region given, else the settings' (flag, config), else AWS_REGION; none is a USAGE error. */
export function awsSettings(settings: Settings, region: string | undefined): AwsSettings {
  const chosen = region ?? settings.region ?? settings.envRegion;
  if (!chosen) {
    throw new PrismError('USAGE', 'no AWS region: pass --region, set region in prism-ami.config.yaml, or set AWS_REGION', {
      hint: 'e.g. --region us-east-1',
    });
  }
  return {
    ...settings.aws,
    region: chosen,
    ...(settings.subnet ? { subnet: settings.subnet } : {}),
    ...(settings.instanceProfile ? { instanceProfile: settings.instanceProfile } : {}),
    regions: [...new Set([chosen, ...settings.knownRegions])],
  };
}
