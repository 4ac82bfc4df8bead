import type { SettingsInput } from '../config/settings.js';
import { PrismError } from '../core/errors.js';
import { checkRegion } from '../registry/input-checks.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { templateSlots } from '../registry/slots.js';
import { registrySession, withPublisher } from './registry-session.js';

export interface PublishSsmOptions extends SettingsInput {
  /** Only these templates (default: all of the registry). */
  templates: string[];
  region?: string;
}

export interface PublishSsmReport {
  registry: string;
  published: PublishedParameter[];
}

/**
 * `prism ami publish-ssm`: makes every SSM parameter show the registry's current image again
 * (after a failed publication, or to start publishing an existing registry). Parameters that
 * already match are left alone, so their history gains no versions.
 */
export async function publishSsm(options: PublishSsmOptions): Promise<PublishSsmReport> {
  if (options.region !== undefined) checkRegion(options.region);
  return registrySession({ ...options, publishSsm: options.publishSsm ?? true }, async ({ settings, store, doc, known }) => {
    const templates: string[] = [];
    for (const name of options.templates) templates.push(await known(name));
    const slots = (templates.length > 0 ? templates : Object.keys(doc.templates))
      .flatMap((t) => templateSlots(doc, t))
      .filter((slot) => options.region === undefined || slot.region === options.region);
    return withPublisher(settings, async (publisher) => {
      if (!publisher)
        throw new PrismError('USAGE', 'publish-ssm with --no-publish-ssm publishes nothing', { hint: 'leave out --no-publish-ssm' });
      return { registry: store.location, published: await publisher.reconcile(doc, slots) };
    });
  });
}
