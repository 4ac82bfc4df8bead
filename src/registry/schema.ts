import * as z from 'zod';
import { isArchitecture, isRegionName } from '../core/types.js';
import { AMI_ID_PATTERN, LOCAL_IMAGE_ID_PATTERN } from '../core/ids.js';
import { SLUG_PATTERN } from '../template/schema.js';
import { DIGEST_PATTERN } from '../core/manifest.js';
import { IMAGE_STATUSES, LOCAL_REGION } from './model.js';

/**
 * The registry document as zod schemas: shapes and leaf checks. Objects are loose, so fields
 * written by other tools survive; relations between fields (one current image per slot, the
 * `amis` mirror matching it) are checked in consistency.ts.
 */

/** A region key: an AWS region name, or `local` for images of the local provider. */
export function isRegistryRegion(value: string): boolean {
  return value === LOCAL_REGION || isRegionName(value);
}

/** An image ID as the registry keeps it: an AMI ID, or a local image ID in region `local`. */
export function isImageId(value: string, region?: string): boolean {
  if (AMI_ID_PATTERN.test(value)) return region !== LOCAL_REGION;
  return LOCAL_IMAGE_ID_PATTERN.test(value) && (region === undefined || region === LOCAL_REGION);
}

const text = z.string({ error: 'must be text' });
const timestamp = z.string({ error: 'must be a timestamp (text)' }).refine((v) => !Number.isNaN(Date.parse(v)), {
  error: (issue) => `"${String(issue.input)}" is not a timestamp; use ISO 8601, e.g. 2024-06-17T08:30:00Z`,
});
const flag = z.boolean({ error: 'must be true or false' });
const size = z.number({ error: 'must be a number of GiB' }).nonnegative({ error: 'must not be negative' });
const imageId = text.refine((v) => isImageId(v), {
  error: (issue) => `"${String(issue.input)}" is not an image ID (AMI IDs look like ami-0123456789abcdef0)`,
});

const digest = text.regex(DIGEST_PATTERN, { error: 'must be a manifest digest: sha256: and 64 hex digits' });

const regionKey = z.string().refine(isRegistryRegion, {
  error: (issue) => `"${String(issue.input)}" is not a region name (e.g. us-east-1, or local)`,
});
const archKey = z.string().refine(isArchitecture, {
  error: (issue) => `"${String(issue.input)}" is not an architecture; use x86_64 or arm64`,
});
const slugKey = z.string().regex(SLUG_PATTERN, { error: 'is not a template slug (lowercase letters, digits, . _ -)' });

export const currentImageSchema = z.looseObject({
  ami_id: imageId,
  created: timestamp,
  validated: flag,
  size_gb: size.optional(),
  version: text.optional(),
  fingerprint: text.optional(),
  source_ami: text.optional(),
  build_id: text.optional(),
  validated_at: timestamp.optional(),
  manifest_digest: digest.optional(),
});

export const historyEntrySchema = z.looseObject({
  ami_id: imageId,
  created: timestamp,
  version: text,
  fingerprint: text.optional(),
  source_ami: text.optional(),
  build_id: text.optional(),
  validated: flag,
  validated_at: timestamp.optional(),
  status: z.enum(IMAGE_STATUSES, { error: `must be one of ${IMAGE_STATUSES.join(', ')}` }),
  size_gb: size.optional(),
  recorded_at: timestamp.optional(),
  revoked_at: timestamp.optional(),
  revoke_reason: text.optional(),
  deleted_at: timestamp.optional(),
  manifest_digest: digest.optional(),
});

const perRegion = <T extends z.ZodType>(value: T) => z.record(regionKey, z.record(archKey, value));

export const templateEntrySchema = z.looseObject({
  version: text.optional(),
  description: text.optional(),
  amis: perRegion(currentImageSchema).optional(),
  ports: z.array(z.number().int().min(1).max(65535), { error: 'must be a list of ports' }).optional(),
  estimated_cost_per_hour: z.record(archKey, z.number({ error: 'must be a number (USD per hour)' })).optional(),
  history: perRegion(z.array(historyEntrySchema, { error: 'must be a list of images' })).optional(),
});

export const registrySchema = z.looseObject({
  version: text,
  schema_version: z.number({ error: 'must be a whole number' }).int().min(1).optional(),
  last_updated: timestamp.optional(),
  templates: z.record(slugKey, templateEntrySchema, { error: 'must be an object of templates by slug' }),
});
