import type { SettingsInput } from '../config/settings.js';
import { systemClock } from '../core/clock.js';
import { changeRegistry } from '../registry/change.js';
import { checkImageId } from '../registry/input-checks.js';
import { revoke, type RemovalResult } from '../registry/retire.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { registrySession, withPublisher } from './registry-session.js';

export interface RevokeOptions extends SettingsInput {
  template: string;
  amiId: string;
  reason?: string;
  /** Only the named image, not the other region copies of its build. */
  onlyThisRegion?: boolean;
}

export interface RevokeReport {
  template: string;
  amiId: string;
  /** lineage: the image and every region copy of its build; image: just the one. */
  scope: 'lineage' | 'image';
  changed: boolean;
  slots: RemovalResult[];
  published: PublishedParameter[];
}

/** `prism ami revoke`: the image is never resolved again and rollback skips it. */
export async function revokeImage(options: RevokeOptions): Promise<RevokeReport> {
  checkImageId(options.amiId);
  const scope = options.onlyThisRegion ? 'image' : 'lineage';
  return registrySession(options, async ({ settings, store, known }) => {
    const template = await known(options.template);
    return withPublisher(settings, async (publisher) => {
      const input = { template, amiId: options.amiId, scope, ...(options.reason ? { reason: options.reason } : {}) } as const;
      const outcome = await changeRegistry(store, (doc) => revoke(doc, input, systemClock), {
        ...(publisher ? { publisher } : {}),
        touched: (results) => results,
      });
      return { template, amiId: options.amiId, scope, changed: outcome.changed, slots: outcome.result, published: outcome.published };
    });
  });
}
