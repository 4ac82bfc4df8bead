import { isArchitecture, type Architecture } from '../../core/types.js';
import type { AmiMap, LaunchTimeField, TemplateDefinition } from '../model.js';
import { normalizeValidationTest } from '../normalize.js';
import { prismBase, PRISM_BASE_EXAMPLES } from './bases.js';
import type { RawPrismTemplate } from './schema.js';
import { effectiveManager, prismSetupSteps, serviceEnabled, systemInstaller } from './setup.js';
import { prismDerivedTests } from './tests.js';

interface Origin {
  slug: string;
  file: string;
}

/** `{{NAME}}`: a value Prism fills in when an instance launches. */
export const PLACEHOLDER = /\{\{\s*\.?[A-Za-z_][\w.]*\s*\}\}/;

/** The fields of a Prism template that belong to launch time, with why. */
export function launchTimeFields(raw: RawPrismTemplate & Record<string, unknown>): LaunchTimeField[] {
  const out: LaunchTimeField[] = [];
  const has = (key: string) => raw[key] !== undefined && raw[key] !== null;
  if (has('parameters')) out.push({ key: 'parameters', why: 'values chosen when an instance launches ({{…}} placeholders)' });
  if (raw.user_data !== undefined)
    out.push({
      key: 'user_data',
      why: 'runs when an instance boots (Prism runs it instead of the generated script); the image gets what packages, users, services and post_install install',
    });
  if (raw.post_install !== undefined && PLACEHOLDER.test(raw.post_install))
    out.push({ key: 'post_install', why: 'uses {{…}} launch parameters, so it can only run at launch' });
  if (has('research_user')) out.push({ key: 'research_user', why: 'the research user, its EFS home and SSH keys are set up per instance' });
  if (has('files')) out.push({ key: 'files', why: 'files are copied to an instance when it launches' });
  if (has('idle_detection')) out.push({ key: 'idle_detection', why: "Prism's idle agent is configured per instance" });
  if (raw.ami_config?.user_data_script !== undefined)
    out.push({ key: 'ami_config.user_data_script', why: 'user data of an ami-based launch' });
  if (raw.instance_defaults?.type !== undefined || raw.ami_config?.instance_types !== undefined)
    out.push({ key: 'instance_defaults.type', why: 'the instance type a user launches (builds use build.instance_type)' });
  if ((raw.services ?? []).some(serviceEnabled))
    out.push({
      key: 'services (start)',
      why: 'services are enabled in the image and start when an instance boots; nothing is started for the image',
    });
  return out;
}

function costs(raw: RawPrismTemplate): Partial<Record<Architecture, number>> | undefined {
  const entries = Object.entries(raw.instance_defaults?.estimated_cost_per_hour ?? {}).filter(([arch]) => isArchitecture(arch));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function amis(raw: RawPrismTemplate): AmiMap {
  const out: AmiMap = {};
  for (const [region, byArch] of Object.entries(raw.amis ?? {})) {
    out[region] = Object.fromEntries(Object.entries(byArch).filter(([arch]) => isArchitecture(arch)));
  }
  return out;
}

/** Why a template cannot be built, for lint, show and build. */
function notBuilt(raw: RawPrismTemplate, base: ReturnType<typeof prismBase>): TemplateDefinition['notBuilt'] {
  if (base.ok) return undefined;
  if (base.reason === 'ami-based') {
    return {
      rule: 'prism/ami-based',
      message:
        'an ami-based template has nothing to build: its images are the AMIs Prism already lists' +
        (raw.ami_config?.amis ? ' in ami_config.amis' : ''),
      fix: 'record them with `prism ami import-legacy <this file>`, or name an OS (base: ubuntu-22.04, an ami-… ID or {owners, name}) to build on',
    };
  }
  return {
    rule: 'prism/base',
    message: `prism-ami has no base "${base.name}"${base.reason === 'unsupported' ? ' (this distribution is not built yet)' : ''}`,
    fix: `use one of ${PRISM_BASE_EXAMPLES.join(', ')}, an ami-… ID, or base: {owners: [...], name: "pattern*"}`,
  };
}

/**
 * A Prism template (already merged with its `inherits` parents) as the image model: setup
 * steps generated from what it installs, validation tests derived from the same, plus any
 * validation_tests written in the file (same name: the written one replaces the derived one).
 */
export function normalizePrismTemplate(raw: RawPrismTemplate, origin: Origin, inherits: string[] = []): TemplateDefinition {
  const base = prismBase(raw.base);
  const family = base.ok ? base.family : undefined;
  const manager = effectiveManager(raw, family);
  const installer = systemInstaller(manager, family);
  const launch = launchTimeFields(raw);
  const buildable = notBuilt(raw, base) === undefined;
  const postInstallAtLaunch = launch.some((f) => f.key === 'post_install');
  const buildRaw = postInstallAtLaunch ? { ...raw, post_install: undefined } : raw;
  const setup = buildable
    ? prismSetupSteps(buildRaw, family).map((step) => ({
        name: step.name,
        script: step.script,
        timeoutSeconds: step.timeoutSeconds,
        reboot: step.reboot ?? false,
        sourcePath: step.sourcePath,
        ...(step.sourceLineOffset ? { sourceLineOffset: step.sourceLineOffset } : {}),
      }))
    : [];
  const derived = buildable ? prismDerivedTests(buildRaw, manager, installer, origin.slug) : [];
  const written = (raw.validation_tests ?? []).map((test, i) => normalizeValidationTest(test, i, origin.slug));
  const writtenNames = new Set(written.map((t) => t.name));
  const ports = [
    22,
    ...(raw.services ?? []).filter(serviceEnabled).flatMap((s) => (s.port ? [s.port] : [])),
    ...(raw.instance_defaults?.ports ?? []),
  ];

  const definition: TemplateDefinition = {
    slug: origin.slug,
    file: origin.file,
    format: 'prism',
    name: raw.name,
    description: raw.description ?? '',
    base: base.ok ? base.source : { kind: 'alias', alias: base.name },
    setup,
    tests: [...derived.filter((t) => !writtenNames.has(t.name)), ...written],
    build: {
      instanceType: {},
      ...(raw.instance_defaults?.root_volume_gb !== undefined ? { volumeSizeGb: raw.instance_defaults.root_volume_gb } : {}),
    },
    amis: amis(raw),
    tags: { ...(raw.tags ?? {}) },
    dependencies: [],
    ports: [...new Set(ports)],
    launchTime: launch,
    prism: { raw, inherits },
  };
  const why = notBuilt(raw, base);
  if (why) definition.notBuilt = why;
  if (raw.version !== undefined) definition.version = raw.version;
  if (raw.architectures) definition.architectures = [...new Set(raw.architectures)];
  if (raw.regions) definition.regions = [...new Set(raw.regions)];
  const c = costs(raw);
  if (c) definition.costs = c;
  return definition;
}
