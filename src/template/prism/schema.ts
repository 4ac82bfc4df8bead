import * as z from 'zod';
import { architecture, baseFilterSchema, region, SLUG_PATTERN, validationTestSchema, wholeNumber } from '../schema.js';

/**
 * Prism's launcher template format (scttfrdmn/prism, `templates/**\/*.yml`, read by
 * `pkg/templates/parser.go`). Prism ignores keys it does not know, so this schema does too:
 * only the keys that change what is built, tested or recorded are checked.
 */

const nonEmpty = z.string().min(1, { error: 'must not be empty' });
const scalarText = z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string());
const textList = z.array(scalarText);

export const PACKAGE_MANAGERS = ['apt', 'dnf', 'conda', 'pip', 'spack', 'ami'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

const port = wholeNumber(0, 65_535, 'port');

export const prismUserSchema = z.looseObject({
  name: nonEmpty.regex(/^[^\s:]+$/, { error: 'a user name cannot contain spaces or colons' }),
  groups: textList.optional(),
  shell: z.string().optional(),
});

export const prismServiceSchema = z.looseObject({
  name: nonEmpty.regex(/^[A-Za-z0-9@._-]+$/, { error: 'a service name is a systemd unit name (letters, digits, @ . _ -)' }),
  port: port.optional(),
  config: textList.optional(),
  enable: z.boolean({ error: 'must be true or false' }).optional(),
});

export const prismTemplateSchema = z.looseObject({
  name: nonEmpty,
  slug: z.string().regex(SLUG_PATTERN, { error: 'a slug is lowercase letters, digits and . _ - (at most 63)' }).optional(),
  description: z.string().optional(),
  base: z.union([nonEmpty, baseFilterSchema]),
  version: scalarText.optional(),
  inherits: z.array(nonEmpty).optional(),
  package_manager: z.enum(PACKAGE_MANAGERS, { error: `must be one of ${PACKAGE_MANAGERS.join(', ')}` }).optional(),
  packages: z
    .looseObject({
      system: textList.optional(),
      conda: textList.optional(),
      pip: textList.optional(),
      spack: textList.optional(),
    })
    .optional(),
  users: z.array(prismUserSchema).optional(),
  services: z.array(prismServiceSchema).optional(),
  post_install: z.string().optional(),
  user_data: z.string().optional(),
  instance_defaults: z
    .looseObject({
      type: z.string().optional(),
      ports: z.array(wholeNumber(1, 65_535, 'port')).optional(),
      root_volume_gb: wholeNumber(8, 16_384, 'GiB').optional(),
      estimated_cost_per_hour: z.record(z.string(), z.number()).optional(),
    })
    .optional(),
  ami_config: z
    .looseObject({
      amis: z.record(region, z.record(z.string(), z.string())).optional(),
      instance_types: z.record(z.string(), z.string()).optional(),
      user_data_script: z.string().optional(),
    })
    .optional(),
  tags: z.record(z.string(), scalarText).optional(),
  /** prism-ami additions a Prism file may carry (Prism ignores them). */
  validation_tests: z.array(validationTestSchema).optional(),
  architectures: z.array(architecture).min(1).optional(),
  regions: z.array(region).min(1).optional(),
  amis: z.record(region, z.record(z.string(), z.string())).optional(),
});
export type RawPrismTemplate = z.output<typeof prismTemplateSchema>;
export type RawPrismUser = z.output<typeof prismUserSchema>;
export type RawPrismService = z.output<typeof prismServiceSchema>;

/** Keys only Prism's launcher format has (the legacy and prism-ami formats have none of them). */
export const PRISM_ONLY_KEYS = [
  'slug',
  'package_manager',
  'packages',
  'users',
  'services',
  'post_install',
  'user_data',
  'inherits',
  'instance_defaults',
  'ami_config',
  'parameters',
  'idle_detection',
  'research_user',
  'files',
  'long_description',
  'connection_type',
  'complexity',
  'category',
  'domain',
  'icon',
];

/**
 * A Prism launcher template: `base:` without the legacy format's `build_steps`, plus one of the
 * keys only Prism's format has.
 */
export function isPrismDocument(data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  if (keys.includes('build_steps') || keys.includes('base_ami') || keys.includes('setup_script') || keys.includes('setup_steps'))
    return false;
  return keys.some((k) => PRISM_ONLY_KEYS.includes(k));
}
