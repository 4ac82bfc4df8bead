import type { Architecture } from '../core/types.js';
import { templateFingerprint } from './fingerprint.js';
import { templateChain, type BaseSource, type Template } from './model.js';
import { nothingToBuild } from './prism/setup.js';

/** The resolved template written back in the prism-ami file format (a flattened template). */
export function templateAsDocument(t: Template): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: t.name };
  if (t.description) doc.description = t.description;
  if (t.version !== undefined) doc.version = t.version;
  if (t.parent) doc.extends = t.parent.slug;
  doc.base_ami = t.parent ? { architecture: t.architectures } : { source: baseValue(t.base), architecture: t.architectures };
  if (t.regions.length > 0) doc.regions = t.regions;
  doc.setup_steps = t.setup.map((s) => ({
    name: s.name,
    script: s.script,
    timeout_seconds: s.timeoutSeconds,
    ...(s.reboot ? { reboot: true } : {}),
  }));
  doc.validation_tests = t.tests.map((test) => {
    const out: Record<string, unknown> = { name: test.name, command: test.command };
    if (test.output) {
      const key = { equals: 'expected', contains: 'expected_contains', regex: 'expected_regex' }[test.output.kind];
      out[key] = test.output.value;
    }
    if (test.exitCode !== 0 || !test.output) out.expected_exit_code = test.exitCode;
    out.timeout_seconds = test.timeoutSeconds;
    if (test.retries > 0) {
      out.retries = test.retries;
      out.retry_delay_seconds = test.retryDelaySeconds;
    }
    return out;
  });
  if (t.ports.length > 0) doc.ports = t.ports;
  if (Object.keys(t.costs).length > 0) doc.estimated_cost_per_hour = t.costs;
  const build: Record<string, unknown> = {};
  if (Object.keys(t.build.instanceType).length > 0) build.instance_type = t.build.instanceType;
  if (t.build.volumeSizeGb !== undefined) build.volume_size_gb = t.build.volumeSizeGb;
  if (t.build.timeoutMinutes !== undefined) build.timeout_minutes = t.build.timeoutMinutes;
  if (t.build.retestOnFreshBoot !== undefined) build.retest_on_fresh_boot = t.build.retestOnFreshBoot;
  if (t.build.generalize !== undefined)
    build.generalize = t.build.generalize.script !== undefined ? { script: t.build.generalize.script } : t.build.generalize.enabled;
  if (Object.keys(build).length > 0) doc.build = build;
  if (Object.keys(t.tags).length > 0) doc.tags = t.tags;
  if (Object.keys(t.amis).length > 0) doc.amis = t.amis;
  return doc;
}

function baseValue(base: BaseSource): unknown {
  switch (base.kind) {
    case 'alias':
      return base.alias;
    case 'image':
      return base.imageId;
    case 'filter':
      return { owners: base.owners, name: base.namePattern };
  }
}

export interface TemplateSummary {
  slug: string;
  file: string;
  format: Template['format'];
  chain: string[];
  fingerprints: Partial<Record<Architecture, string>>;
  /** Names of the tests that come from a parent template. */
  inheritedTests: string[];
  /** Tests derived from what a Prism template installs, with the field each checks. */
  derivedTests: { name: string; from: string }[];
  /** Prism's format: the fields left out of the build because they belong to launch time. */
  launchTime: { key: string; why: string }[];
  /** Prism's format: the templates `inherits` merged into this one. */
  inherits: string[];
  /** Why prism-ami cannot build the template, when it cannot. */
  notBuilt?: { message: string; fix: string };
  /** Prism's format: all the template sets up is launch-time; what the image would be instead. */
  nothingToBuild?: string;
  template: Record<string, unknown>;
}

export function summarizeTemplate(t: Template, displayFile: string): TemplateSummary {
  const instead = nothingToBuild(t);
  const fingerprints: Partial<Record<Architecture, string>> = {};
  for (const arch of t.architectures) fingerprints[arch] = templateFingerprint(t, arch);
  return {
    slug: t.slug,
    file: displayFile,
    format: t.format,
    chain: templateChain(t),
    fingerprints,
    inheritedTests: t.tests.filter((test) => test.origin !== t.slug).map((test) => test.name),
    derivedTests: t.tests.flatMap((test) => (test.derivedFrom ? [{ name: test.name, from: test.derivedFrom }] : [])),
    launchTime: t.launchTime ?? [],
    inherits: t.inherits ?? [],
    ...(t.notBuilt ? { notBuilt: { message: t.notBuilt.message, fix: t.notBuilt.fix } } : {}),
    ...(instead ? { nothingToBuild: instead } : {}),
    template: templateAsDocument(t),
  };
}
