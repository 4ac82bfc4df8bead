import type { Architecture } from '../core/types.js';
import type { RegistryDocument } from './model.js';
import { isImageId } from './schema.js';

export interface ConsistencyIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Relations the schema cannot express: per region and architecture at most one current image,
 * no image twice, and `amis.<region>.<arch>` showing exactly the current one of the history.
 */
export function consistencyIssues(doc: RegistryDocument): ConsistencyIssue[] {
  const issues: ConsistencyIssue[] = [];
  for (const [slug, entry] of Object.entries(doc.templates)) {
    const amis = entry.amis ?? {};
    for (const [region, byArch] of Object.entries(amis)) {
      for (const [arch, image] of Object.entries(byArch)) {
        if (image && !isImageId(image.ami_id, region)) {
          issues.push({
            path: ['templates', slug, 'amis', region, arch, 'ami_id'],
            message: `"${image.ami_id}" is not an image ID for region ${region}`,
          });
        }
      }
    }
    for (const [region, byArch] of Object.entries(entry.history ?? {})) {
      for (const [arch, list] of Object.entries(byArch)) {
        const base = ['templates', slug, 'history', region, arch];
        const seen = new Set<string>();
        list?.forEach((item, i) => {
          if (seen.has(item.ami_id)) issues.push({ path: [...base, i, 'ami_id'], message: `${item.ami_id} is listed twice` });
          seen.add(item.ami_id);
          if (!isImageId(item.ami_id, region))
            issues.push({ path: [...base, i, 'ami_id'], message: `"${item.ami_id}" is not an image ID for region ${region}` });
        });
        const current = (list ?? []).filter((item) => item.status === 'current');
        const mirror = amis[region]?.[arch as Architecture];
        const mirrorPath = ['templates', slug, 'amis', region, arch];
        if (current.length > 1) {
          issues.push({
            path: base,
            message: `${current.length} images are current (${current.map((c) => c.ami_id).join(', ')}); only one can be`,
          });
        } else if (current.length === 1 && mirror?.ami_id !== current[0].ami_id) {
          issues.push({
            path: mirrorPath,
            message: mirror
              ? `shows ${mirror.ami_id}, but the history's current image is ${current[0].ami_id}`
              : `is missing; the history's current image is ${current[0].ami_id}`,
          });
        } else if (current.length === 0 && mirror && (list ?? []).length > 0) {
          issues.push({ path: mirrorPath, message: `shows ${mirror.ami_id}, but no image in the history is current` });
        }
      }
    }
  }
  return issues;
}
