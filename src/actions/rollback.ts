import { systemClock } from '../core/clock.js';
import type { Architecture } from '../core/types.js';
import { changeRegistry } from '../registry/change.js';
import { checkArchitecture, checkImageId, checkRegion } from '../registry/input-checks.js';
import type { Slot } from '../registry/model.js';
import { rollback } from '../registry/operations.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { withPublisher, withRegistry, type RegistryActionOptions } from './registry-session.js';
import { knownTemplate } from './template-names.js';

export interface RollbackOptions extends RegistryActionOptions {
  template: string;
  region: string;
  architecture: Architecture;
  /** The image to make current; default: the previous validated one. */
  to?: string;
  publishSsm?: boolean | string;
  templatesDir?: string;
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
  return withRegistry(options, async (store) => {
    const template = await knownTemplate(options.template, { templatesDir: options.templatesDir ?? 'templates', registry: await store.read() });
    const slot: Slot = { template, region, architecture };
    return withPublisher(options.publishSsm, async (publisher) => {
      const outcome = await changeRegistry(store, (doc) => rollback(doc, { ...slot, ...(options.to ? { to: options.to } : {}) }, systemClock), {
        ...(publisher ? { publisher } : {}),
        touched: () => [slot],
      });
      return { ...slot, ...outcome.result, changed: outcome.changed, published: outcome.published };
    });
  });
}
