import { PrismError } from '../core/errors.js';
import { isArchitecture, type Architecture } from '../core/types.js';
import { SLUG_PATTERN } from '../template/schema.js';
import type { Slot } from './model.js';
import { isImageId, isRegistryRegion } from './schema.js';

/** Checks of what a caller asks the registry for; each a clear USAGE error (exit 2). */

export function checkSlug(template: string): string {
  if (!SLUG_PATTERN.test(template)) {
    throw new PrismError('USAGE', `"${template}" is not a template slug`, {
      hint: 'a slug is the template file name without .yml: lowercase letters, digits, . _ -',
    });
  }
  return template;
}

export function checkRegion(region: string): string {
  if (!isRegistryRegion(region)) {
    throw new PrismError('USAGE', `"${region}" is not a region name`, {
      hint: 'use an AWS region name such as us-east-1 or eu-west-2 (not an availability zone like us-east-1a)',
    });
  }
  return region;
}

export function checkArchitecture(architecture: string): Architecture {
  if (!isArchitecture(architecture)) {
    throw new PrismError('USAGE', `"${architecture}" is not an architecture`, { hint: 'use x86_64 or arm64' });
  }
  return architecture;
}

export function checkImageId(id: string, region?: string): string {
  if (!isImageId(id, region)) {
    throw new PrismError('USAGE', `"${id}" is not ${region === 'local' ? 'a local image ID' : 'an AMI ID'}`, {
      hint: region === 'local' ? 'local image IDs look like limg-0123456789ab' : 'AMI IDs look like ami-0123456789abcdef0',
    });
  }
  return id;
}

export function checkSlot(slot: Slot): Slot {
  checkSlug(slot.template);
  checkRegion(slot.region);
  checkArchitecture(slot.architecture);
  return slot;
}
