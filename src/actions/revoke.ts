import type { SettingsInput } from '../config/settings.js';
import { systemClock } from '../core/clock.js';
import { changeRegistry } from '../registry/change.js';
import { checkImageId } from '../registry/input-checks.js';
import { revoke, type RemovalResult } from '../registry/operations.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { registrySession, withPublisher } from './registry-session.js';

export interface RevokeOptions extends SettingsInput {
  template: string;
  amiId: string;
  reason?: string;
}

export interface RevokeReport {
  template: string;
  amiId: string;
  changed: boolean;
  slots: RemovalResult[];
  published: PublishedParameter[];
}

/** `prism ami revoke`: the image is never resolved again and rollback skips it. */
export async function revokeImage(options: RevokeOptions): Promise<RevokeReport> {
  checkImageId(options.amiId);
  return registrySession(options, async ({ settings, store, known }) => {
    const template = await known(options.template);
    return withPublisher(settings, async (publisher) => {
      const outcome = await changeRegistry(
        store,
        (doc) => revoke(doc, { template, amiId: options.amiId, ...(options.reason ? { reason: options.reason } : {}) }, systemClock),
        {
          ...(publisher ? { publisher } : {}),
          touched: (results) => results,
        },
      );
      return { template, amiId: options.amiId, changed: outcome.changed, slots: outcome.result, published: outcome.published };
    });
  });
}
