import type { SettingsInput } from '../config/settings.js';
import { systemClock } from '../core/clock.js';
import type { Architecture } from '../core/types.js';
import { changeRegistry } from '../registry/change.js';
import { checkArchitecture, checkImageId, checkRegion } from '../registry/input-checks.js';
import type { Slot } from '../registry/model.js';
import { rollback } from '../registry/operations.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { registrySession, withPublisher } from './registry-session.js';

export interface RollbackOptions extends SettingsInput {
  template: string;
  region: string;
  architecture: Architecture;
  /** The image to make current; default: the previous validated one. */
  to?: string;
}

export interface RollbackReport extends Slot {
  from?: string;
  to: string;
  changed: boolean;
  published: PublishedParameter[];
}

/** `prism ami rollback`: an earlier image becomes current again; SSM publication follows. */
export async function rollbackImage(options: RollbackOptions): Promise<RollbackReport> {
  const region = checkRegion(options.region);
  const architecture = checkArchitecture(options.architecture);
  if (options.to !== undefined) checkImageId(options.to, region);
  return registrySession(options, async ({ settings, store, known }) => {
    const slot: Slot = { template: await known(options.template), region, architecture };
    return withPublisher(settings, async (publisher) => {
      const outcome = await changeRegistry(
        store,
        (doc) => rollback(doc, { ...slot, ...(options.to ? { to: options.to } : {}) }, systemClock),
        {
          ...(publisher ? { publisher } : {}),
          touched: () => [slot],
        },
      );
      return { ...slot, ...outcome.result, changed: outcome.changed, published: outcome.published };
    });
  });
}
