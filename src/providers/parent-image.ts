import { PrismError } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { templateFingerprint } from '../template/fingerprint.js';
import type { Template } from '../template/model.js';
import type { BaseImage, Provider } from './provider.js';

/**
 * The base of a template that extends another: the parent's validated image of this
 * architecture, built from the parent as it is now (same fingerprint), in the provider's region.
 */
export async function resolveParentImage(
  provider: Pick<Provider, 'name' | 'region' | 'findImage'>,
  template: Template,
  architecture: Architecture,
): Promise<BaseImage> {
  const parent = template.parent!;
  const fingerprint = templateFingerprint(parent, architecture);
  const image = await provider.findImage(parent.slug, architecture, fingerprint);
  if (!image) {
    const where = provider.name === 'local' ? '' : ` ${provider.region} has`;
    const region = provider.name === 'local' ? '' : ` --region ${provider.region}`;
    throw new PrismError(
      'BASE_UNAVAILABLE',
      `${template.slug} is built on ${parent.slug}'s image, and${where || ' there is'} no validated ${architecture} image of ${parent.slug} as it is now (fingerprint ${fingerprint.slice(7, 19)})`,
      {
        hint: `build the parent first: prism ami build ${parent.slug} --provider ${provider.name} --architecture ${architecture}${region} (build-all orders parents first)`,
      },
    );
  }
  return {
    id: image.id,
    name: `${parent.slug} ${image.version ?? ''} image ${image.name}`.replace(/\s+/g, ' '),
    parentTemplate: parent.slug,
  };
}
