import { PrismError } from '../core/errors.js';
import { checkRegion } from '../registry/input-checks.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { templateSlots } from '../registry/slots.js';
import { withPublisher, withRegistry, type RegistryActionOptions } from './registry-session.js';
import { knownTemplate } from './template-names.js';

export interface PublishSsmOptions extends RegistryActionOptions {
  /** Only these templates (default: all of the registry). */
  templates: string[];
  region?: string;
  /** The prefix (true: /prism/ami). */
  publishSsm: boolean | string | undefined;
  templatesDir?: string;
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
  return withRegistry(options, async (store) => {
    const doc = await store.read();
    const templates: string[] = [];
    for (const name of options.templates) templates.push(await knownTemplate(name, { templatesDir: options.templatesDir ?? 'templates', registry: doc }));
    const slots = (templates.length > 0 ? templates : Object.keys(doc.templates))
      .flatMap((t) => templateSlots(doc, t))
      .filter((slot) => options.region === undefined || slot.region === options.region);
    return withPublisher(options.publishSsm ?? true, async (publisher) => {
      if (!publisher) throw new PrismError('USAGE', 'publish-ssm with --no-publish-ssm publishes nothing', { hint: 'leave out --no-publish-ssm' });
      return { registry: store.location, published: await publisher.reconcile(doc, slots) };
    });
  });
}
