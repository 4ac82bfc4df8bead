import { isArchitecture, type Architecture } from '../core/types.js';
import { AMI_ID_PATTERN } from '../core/ids.js';
import { canonicalBaseAlias } from './base-sources.js';
import { DEFAULTS, type AmiMap, type BaseSource, type OutputCheck, type TemplateDefinition, type ValidationTest } from './model.js';
import type { RawLegacyTemplate, RawTemplate, RawValidationTest } from './schema.js';

interface Origin {
  slug: string;
  file: string;
}

function architectures(list: readonly string[] | undefined): Architecture[] | undefined {
  if (list === undefined) return undefined;
  return [...new Set(list.filter(isArchitecture))];
}

function baseFromName(name: string): BaseSource {
  if (AMI_ID_PATTERN.test(name)) return { kind: 'image', imageId: name };
  return { kind: 'alias', alias: canonicalBaseAlias(name) ?? name };
}

function perArch<T>(value: { x86_64?: T | undefined; arm64?: T | undefined } | undefined): Partial<Record<Architecture, T>> {
  const out: Partial<Record<Architecture, T>> = {};
  if (value?.x86_64 !== undefined) out.x86_64 = value.x86_64;
  if (value?.arm64 !== undefined) out.arm64 = value.arm64;
  return out;
}

/** One written `validation_tests` entry (the prism-ami format, or a Prism file's addition) as the model. */
export function normalizeValidationTest(test: RawValidationTest, index: number, origin: string): ValidationTest {
  const output: OutputCheck | undefined =
    test.expected !== undefined
      ? { kind: 'equals', value: test.expected }
      : test.expected_contains !== undefined
        ? { kind: 'contains', value: test.expected_contains }
        : test.expected_regex !== undefined
          ? { kind: 'regex', value: test.expected_regex }
          : undefined;
  return {
    name: test.name,
    command: test.command,
    ...(output ? { output } : {}),
    exitCode: test.expected_exit_code ?? 0,
    timeoutSeconds: test.timeout_seconds ?? DEFAULTS.testTimeoutSeconds,
    retries: test.retries ?? DEFAULTS.testRetries,
    retryDelaySeconds: test.retry_delay_seconds ?? DEFAULTS.testRetryDelaySeconds,
    origin,
    sourcePath: ['validation_tests', index],
  };
}

/** The prism-ami format, checked by the schema, as the model. */
export function normalizeTemplate(raw: RawTemplate, origin: Origin): TemplateDefinition {
  const source = raw.base_ami?.source;
  const base: BaseSource | undefined =
    source === undefined
      ? undefined
      : typeof source === 'string'
        ? baseFromName(source)
        : { kind: 'filter', owners: source.owners, namePattern: source.name };

  const setup =
    raw.setup_steps?.map((step, i) => ({
      name: step.name,
      script: step.script,
      timeoutSeconds: step.timeout_seconds ?? DEFAULTS.setupTimeoutSeconds,
      reboot: step.reboot ?? false,
      sourcePath: ['setup_steps', i, 'script'],
    })) ??
    (raw.setup_script === undefined
      ? []
      : [
          {
            name: 'setup script',
            script: raw.setup_script,
            timeoutSeconds: DEFAULTS.setupTimeoutSeconds,
            reboot: false,
            sourcePath: ['setup_script'],
          },
        ]);

  const tests = (raw.validation_tests ?? []).map((test, i) => normalizeValidationTest(test, i, origin.slug));

  const amis: AmiMap = {};
  for (const [region, byArch] of Object.entries(raw.amis ?? {})) amis[region] = perArch(byArch);

  const definition: TemplateDefinition = {
    slug: origin.slug,
    file: origin.file,
    format: 'prism-ami',
    name: raw.name,
    description: raw.description ?? '',
    setup,
    tests,
    build: {
      instanceType: perArch(raw.build?.instance_type),
      ...(raw.build?.volume_size_gb !== undefined ? { volumeSizeGb: raw.build.volume_size_gb } : {}),
      ...(raw.build?.timeout_minutes !== undefined ? { timeoutMinutes: raw.build.timeout_minutes } : {}),
      ...(raw.build?.retest_on_fresh_boot !== undefined ? { retestOnFreshBoot: raw.build.retest_on_fresh_boot } : {}),
      ...(raw.build?.generalize !== undefined
        ? {
            generalize:
              typeof raw.build.generalize === 'boolean'
                ? { enabled: raw.build.generalize }
                : { enabled: true, script: raw.build.generalize.script },
          }
        : {}),
    },
    amis,
    tags: { ...(raw.tags ?? {}) },
    dependencies: [],
  };
  if (raw.version !== undefined) definition.version = raw.version;
  if (raw.extends !== undefined) definition.extends = raw.extends;
  if (base) definition.base = base;
  const archs = architectures(raw.base_ami?.architecture);
  if (archs) definition.architectures = archs;
  if (raw.regions) definition.regions = [...new Set(raw.regions)];
  if (raw.ports) definition.ports = [...new Set(raw.ports)];
  if (raw.estimated_cost_per_hour) definition.costs = perArch(raw.estimated_cost_per_hour);
  return definition;
}

/** The legacy Prism format as the same model. */
export function normalizeLegacyTemplate(raw: RawLegacyTemplate, origin: Origin): TemplateDefinition {
  const tests = (raw.validation ?? []).map((v, i): ValidationTest => {
    const output: OutputCheck | undefined =
      v.contains !== undefined
        ? { kind: 'contains', value: v.contains }
        : v.equals !== undefined
          ? { kind: 'equals', value: v.equals }
          : undefined;
    return {
      name: v.name,
      command: v.command,
      ...(output ? { output } : {}),
      exitCode: 0,
      timeoutSeconds: DEFAULTS.testTimeoutSeconds,
      retries: DEFAULTS.testRetries,
      retryDelaySeconds: DEFAULTS.testRetryDelaySeconds,
      origin: origin.slug,
      sourcePath: ['validation', i],
    };
  });
  const definition: TemplateDefinition = {
    slug: origin.slug,
    file: origin.file,
    format: 'legacy',
    name: raw.name,
    description: raw.description ?? '',
    base: baseFromName(raw.base),
    setup: raw.build_steps.map((step, i) => ({
      name: step.name,
      script: step.script,
      timeoutSeconds: step.timeout_seconds ?? DEFAULTS.legacyStepTimeoutSeconds,
      reboot: false,
      sourcePath: ['build_steps', i, 'script'],
    })),
    tests,
    build: {
      instanceType: {},
      ...(raw.min_disk_size !== undefined ? { volumeSizeGb: raw.min_disk_size } : {}),
    },
    amis: {},
    tags: { ...(raw.tags ?? {}) },
    dependencies: (raw.dependencies ?? []).map((d) =>
      typeof d === 'string'
        ? { name: d, optional: false }
        : {
            name: d.name,
            optional: d.optional ?? false,
            ...(d.version !== undefined ? { version: d.version } : {}),
            ...(d.version_operator !== undefined ? { operator: d.version_operator } : {}),
          },
    ),
  };
  const archs = architectures(raw.architecture === undefined ? undefined : [raw.architecture]);
  if (archs) definition.architectures = archs;
  return definition;
}
