import * as z from 'zod';
import { isArchitecture, isRegionName, type Architecture } from '../core/types.js';
import { AMI_ID_PATTERN } from '../core/ids.js';

/**
 * The two template formats as zod schemas. Leaf checks live here; rules that relate several
 * fields (exactly one setup, one expectation per test, unique names) are in template-rules.ts,
 * so they are reported even when a type error elsewhere stops zod.
 */

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const ARCH_SYNONYMS: Readonly<Record<string, string>> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  'x86-64': 'x86_64',
  x86: 'x86_64',
  aarch64: 'arm64',
  arm: 'arm64',
  graviton: 'arm64',
};

/** Schema error messages may carry a rule id and a fix; template-errors.ts reads them. */
interface IssueParams {
  rule: string;
  fix?: string;
}

function rule(ctx: z.RefinementCtx, message: string, params: IssueParams): void {
  ctx.addIssue({ code: 'custom', message, params });
}

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/** YAML reads `expected: 3` as a number; an expectation is compared as text. */
const scalarText = z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string());

export const architecture = z
  .string()
  .superRefine((value, ctx) => {
    if (isArchitecture(value)) return;
    const synonym = ARCH_SYNONYMS[value.toLowerCase()];
    rule(ctx, `"${value}" is not an architecture; the architectures are x86_64 and arm64`, {
      rule: 'schema/architecture',
      fix: synonym ? `write ${synonym} (AWS's name for ${value})` : 'use x86_64 or arm64',
    });
  })
  .transform((value) => value as Architecture);

/** One architecture or a list; a single string is accepted for convenience. */
const architectureList = z.preprocess(
  (v) => (typeof v === 'string' ? [v] : v),
  z.array(architecture).min(1, { error: 'list at least one architecture' }),
);

export const region = z.string().superRefine((value, ctx) => {
  if (isRegionName(value)) return;
  rule(ctx, `"${value}" is not a region name`, {
    rule: 'schema/region',
    fix: 'use an AWS region name such as us-east-1 or eu-west-2 (not an availability zone like us-east-1a)',
  });
});

const port = z.number().superRefine((value, ctx) => {
  if (Number.isInteger(value) && value >= 1 && value <= 65535) return;
  rule(ctx, `${value} is not a port; ports are whole numbers from 1 to 65535`, { rule: 'schema/port' });
});

const cost = z.number().superRefine((value, ctx) => {
  if (Number.isFinite(value) && value >= 0) return;
  rule(ctx, `${value} is not a cost; costs are US dollars per hour, zero or more`, { rule: 'schema/cost' });
});

const amiId = z.string().superRefine((value, ctx) => {
  if (AMI_ID_PATTERN.test(value)) return;
  rule(ctx, `"${value}" is not an AMI ID`, { rule: 'schema/ami-id', fix: 'AMI IDs look like ami-0123456789abcdef0' });
});

export function wholeNumber(min: number, max: number, unit: string) {
  return z.number().superRefine((value, ctx) => {
    if (Number.isInteger(value) && value >= min && value <= max) return;
    rule(ctx, `${value} is out of range; use a whole number of ${unit} from ${min} to ${max}`, {
      rule: 'schema/range',
    });
  });
}

const regex = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (error) {
    rule(ctx, `not a valid regular expression: ${(error as Error).message}`, { rule: 'schema/regex' });
  }
});

const perArch = <T extends z.ZodType>(value: T) => z.strictObject({ x86_64: value.optional(), arm64: value.optional() });

export const baseFilterSchema = z.strictObject({
  owners: z.array(nonEmpty).min(1, { error: 'list at least one owner (an account ID, or amazon)' }),
  name: nonEmpty,
});

export const setupStepSchema = z.strictObject({
  name: nonEmpty,
  script: z.string(),
  timeout_seconds: wholeNumber(1, 86_400, 'seconds').optional(),
  /** Reboot the machine after this step, and wait until it is ready again. */
  reboot: z.boolean({ error: 'must be true or false' }).optional(),
});

export const validationTestSchema = z.strictObject({
  name: nonEmpty,
  command: nonEmpty,
  expected: scalarText.optional(),
  expected_contains: scalarText.optional(),
  expected_regex: regex.optional(),
  expected_exit_code: wholeNumber(0, 255, 'exit status').optional(),
  timeout_seconds: wholeNumber(1, 3600, 'seconds').optional(),
  retries: wholeNumber(0, 50, 'retries').optional(),
  retry_delay_seconds: wholeNumber(0, 600, 'seconds').optional(),
});

export type RawValidationTest = z.output<typeof validationTestSchema>;

export const templateSchema = z.strictObject({
  name: nonEmpty,
  description: z.string().optional(),
  version: scalarText.optional(),
  extends: z.string().regex(SLUG_PATTERN, { error: 'must be the slug of another template (its file name without .yml)' }).optional(),
  base_ami: z
    .strictObject({
      source: z.union([nonEmpty, baseFilterSchema]).optional(),
      architecture: architectureList.optional(),
    })
    .optional(),
  regions: z.array(region).min(1, { error: 'list at least one region, or leave regions out' }).optional(),
  setup_script: z.string().optional(),
  setup_steps: z.array(setupStepSchema).optional(),
  validation_tests: z.array(validationTestSchema).optional(),
  ports: z.array(port).optional(),
  estimated_cost_per_hour: perArch(cost).optional(),
  build: z
    .strictObject({
      instance_type: perArch(nonEmpty).optional(),
      volume_size_gb: wholeNumber(8, 16_384, 'GiB').optional(),
      timeout_minutes: wholeNumber(1, 1440, 'minutes').optional(),
      retest_on_fresh_boot: z.boolean({ error: 'must be true or false' }).optional(),
      generalize: z
        .union([z.boolean({ error: 'must be true or false, or a mapping with script' }), z.strictObject({ script: z.string() })])
        .optional(),
    })
    .optional(),
  amis: z.record(region, perArch(amiId)).optional(),
  tags: z.record(z.string(), scalarText).optional(),
});
export type RawTemplate = z.output<typeof templateSchema>;

const legacyDependency = z.union([
  nonEmpty,
  z.strictObject({
    name: nonEmpty,
    version: scalarText.optional(),
    version_operator: z.enum(['=', '==', '>', '>=', '<', '<=']).optional(),
    optional: z.boolean().optional(),
  }),
]);

export const legacyTemplateSchema = z.strictObject({
  name: nonEmpty,
  base: nonEmpty,
  description: z.string().optional(),
  build_steps: z.array(
    z.strictObject({
      name: nonEmpty,
      script: z.string(),
      timeout_seconds: wholeNumber(1, 3600, 'seconds').optional(),
    }),
  ),
  validation: z
    .array(
      z.strictObject({
        name: nonEmpty,
        command: nonEmpty,
        success: z.literal(true, { error: 'success: true is the only form (the command must exit 0)' }).optional(),
        contains: scalarText.optional(),
        equals: scalarText.optional(),
      }),
    )
    .optional(),
  tags: z.record(z.string(), scalarText).optional(),
  min_disk_size: wholeNumber(8, 16_384, 'GiB').optional(),
  architecture: architecture.optional(),
  dependencies: z.array(legacyDependency).optional(),
});
export type RawLegacyTemplate = z.output<typeof legacyTemplateSchema>;

/** Keys that only the legacy Prism format has, used to tell the formats apart and in hints. */
export const LEGACY_ONLY_KEYS = ['base', 'build_steps', 'validation', 'min_disk_size', 'architecture', 'dependencies'];
const MODERN_ONLY_KEYS = ['base_ami', 'setup_script', 'setup_steps', 'validation_tests', 'extends', 'regions'];

export function isLegacyDocument(data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  return keys.some((k) => LEGACY_ONLY_KEYS.includes(k)) && !keys.some((k) => MODERN_ONLY_KEYS.includes(k));
}

/** The keys an object schema accepts at `path`, for did-you-mean suggestions. */
export function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let current: unknown = schema;
  for (const part of path) {
    current = unwrap(current);
    const def = (current as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return [];
    if (def.type === 'object') current = (def.shape as Record<string, unknown>)[String(part)];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
  }
  const def = (unwrap(current) as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = (current as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return current;
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type as string)) {
      current = def.innerType;
    } else if (def.type === 'pipe') {
      current = (def.out as { _zod?: unknown })?._zod ? def.out : def.in;
      const outDef = (current as { _zod?: { def?: { type?: string } } })._zod?.def;
      if (outDef?.type === 'transform') current = def.in;
    } else if (def.type === 'union') {
      const options = def.options as unknown[];
      current = options.find((o) => (unwrap(o) as { _zod?: { def?: { type?: string } } })?._zod?.def?.type === 'object') ?? options[0];
    } else {
      return current;
    }
  }
  return current;
}
