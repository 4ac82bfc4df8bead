import type { Architecture } from '../core/types.js';
import type { RawPrismTemplate } from './prism/schema.js';
import type { KeyPath } from './yaml-source.js';

/** Where the build machine's operating system comes from. */
export type BaseSource =
  { kind: 'alias'; alias: string } | { kind: 'image'; imageId: string } | { kind: 'filter'; owners: string[]; namePattern: string };

export interface SetupStep {
  name: string;
  script: string;
  timeoutSeconds: number;
  /** The machine is rebooted after the step (kernel, drivers, group changes). */
  reboot: boolean;
  /** Where the script sits in its file, for lint and error messages. */
  sourcePath: KeyPath;
  /** Lines a generator put before the file's own text (a Prism post_install's preamble). */
  sourceLineOffset?: number;
}

export interface OutputCheck {
  kind: 'equals' | 'contains' | 'regex';
  value: string;
}

export interface ValidationTest {
  name: string;
  command: string;
  /** What stdout must show; absent when only the exit status is checked. */
  output?: OutputCheck;
  exitCode: number;
  timeoutSeconds: number;
  retries: number;
  retryDelaySeconds: number;
  /** The slug of the template that defined the test (a parent's tests run in a child's build). */
  origin: string;
  sourcePath: KeyPath;
  /** Set when the test was derived from what a Prism template installs: the field it checks. */
  derivedFrom?: string;
}

export interface TemplateBuildSettings {
  instanceType: Partial<Record<Architecture, string>>;
  volumeSizeGb?: number;
  timeoutMinutes?: number;
  /** Re-run the tests on a machine booted from the new image before it counts (default true). */
  retestOnFreshBoot?: boolean;
  /** The generalization before the snapshot: off, or with a script of the template's after it (default on). */
  generalize?: { enabled: boolean; script?: string };
}

export type AmiMap = Record<string, Partial<Record<Architecture, string>>>;

export interface TemplateDependency {
  name: string;
  version?: string;
  operator?: string;
  optional: boolean;
}

export type TemplateFormat = 'prism-ami' | 'legacy' | 'prism';

/** A field of a Prism template that only makes sense when an instance launches: not built. */
export interface LaunchTimeField {
  key: string;
  why: string;
}

/** What a template is called and where it comes from. */
interface TemplateIdentity {
  /** The file name without its extension (or `slug:` where the format has one). */
  slug: string;
  file: string;
  format: TemplateFormat;
  name: string;
  description: string;
  version?: string;
}

/** What a template carries whether or not its `extends` is resolved. */
interface TemplateContent {
  /** This template's own setup; with extends, the parent's setup is already in the parent's image. */
  setup: SetupStep[];
  /** Resolved: the parent's tests followed by this template's (same name: the child's replaces it). */
  tests: ValidationTest[];
  build: TemplateBuildSettings;
  amis: AmiMap;
  tags: Record<string, string>;
  dependencies: TemplateDependency[];
  /** Prism's format: the fields left out of the build because they belong to launch time. */
  launchTime?: LaunchTimeField[];
  /** Prism's format: the parents its `inherits` names, merged into it (not built on). */
  inherits?: string[];
  /** Why prism-ami cannot build this template (an ami-based Prism template, an unknown base). */
  notBuilt?: { rule: string; message: string; fix: string };
}

/** One template file as written: `extends` not yet resolved, unset fields left unset. */
export interface TemplateDefinition extends TemplateIdentity, TemplateContent {
  extends?: string;
  /** Prism's format: the file's data, merged with its `inherits` parents by the library. */
  prism?: { raw: RawPrismTemplate; inherits: string[] };
  base?: BaseSource;
  architectures?: Architecture[];
  regions?: string[];
  ports?: number[];
  costs?: Partial<Record<Architecture, number>>;
}

/** A template with `extends` resolved: what the build, the planner and `show` work with. */
export interface Template extends TemplateIdentity, TemplateContent {
  /** The resolved parent, when the template extends one. Its image is this build's base. */
  parent?: Template;
  /** The base of the root of the chain. */
  base: BaseSource;
  architectures: Architecture[];
  /** Empty when neither the template nor its parents name regions: the configured ones apply. */
  regions: string[];
  ports: number[];
  costs: Partial<Record<Architecture, number>>;
}

export const DEFAULTS = {
  setupTimeoutSeconds: 3600,
  legacyStepTimeoutSeconds: 600,
  testTimeoutSeconds: 60,
  testRetries: 0,
  testRetryDelaySeconds: 5,
} as const;

export function describeBase(base: BaseSource): string {
  switch (base.kind) {
    case 'alias':
      return base.alias;
    case 'image':
      return base.imageId;
    case 'filter':
      return `${base.namePattern} (owners ${base.owners.join(', ')})`;
  }
}

/** The slugs from the root of the extends chain down to this template. */
export function templateChain(template: Template): string[] {
  const chain: string[] = [];
  for (let t: Template | undefined = template; t; t = t.parent) chain.unshift(t.slug);
  return chain;
}
