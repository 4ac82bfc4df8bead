import { didYouMean } from '../core/suggest.js';
import { AMI_ID_PATTERN } from '../core/ids.js';
import { canonicalBaseAlias, KNOWN_BASE_NAMES } from './base-sources.js';
import type { KeyPath } from './yaml-source.js';

/** A problem found by a rule that relates several fields; located later against the YAML. */
export interface RuleIssue {
  path: KeyPath;
  rule: string;
  message: string;
  fix?: string;
  /** Point at the key rather than its value. */
  atKey?: boolean;
}

type Dict = Record<string, unknown>;

function asDict(value: unknown): Dict | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : undefined;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const OUTPUT_EXPECTATIONS = ['expected', 'expected_contains', 'expected_regex'] as const;
const LEGACY_CRITERIA = ['success', 'contains', 'equals'] as const;

/** Cross-field rules of the prism-ami format. Defensive: the data may be any shape. */
export function checkTemplateRules(data: unknown): RuleIssue[] {
  const root = asDict(data);
  if (!root) return [];
  const issues: RuleIssue[] = [];
  checkSetup(root, issues);
  checkBase(root, issues);
  checkTests(root, issues);
  checkDuplicates(asList(root.regions), ['regions'], 'schema/duplicate-region', 'region', issues, (r) => r);
  return issues;
}

function checkSetup(root: Dict, issues: RuleIssue[]): void {
  const hasScript = 'setup_script' in root;
  const hasSteps = 'setup_steps' in root;
  if (!hasScript && !hasSteps) {
    issues.push({
      path: [],
      rule: 'schema/missing-setup',
      message: 'the template has no setup: add setup_script or setup_steps',
      fix: 'add `setup_script: |` followed by the shell commands that install the software',
    });
    return;
  }
  if (hasScript && hasSteps) {
    issues.push({
      path: ['setup_steps'],
      atKey: true,
      rule: 'schema/setup-conflict',
      message: 'setup_script and setup_steps are alternatives; use one of them',
      fix: 'move the setup_script into a step of setup_steps, or drop setup_steps',
    });
  }
  if (typeof root.setup_script === 'string' && root.setup_script.trim() === '') {
    issues.push({
      path: ['setup_script'],
      rule: 'schema/empty-setup',
      message: 'setup_script is empty',
      fix: 'write the commands that build the image',
    });
  }
  if (Array.isArray(root.setup_steps)) {
    if (root.setup_steps.length === 0) {
      issues.push({
        path: ['setup_steps'],
        rule: 'schema/empty-setup',
        message: 'setup_steps is empty',
        fix: 'add at least one step with a name and a script',
      });
    }
    root.setup_steps.forEach((step, i) => {
      const script = asDict(step)?.script;
      if (typeof script === 'string' && script.trim() === '') {
        issues.push({
          path: ['setup_steps', i, 'script'],
          rule: 'schema/empty-setup',
          message: 'the step script is empty',
          fix: 'write its commands, or remove the step',
        });
      }
    });
    checkDuplicates(root.setup_steps, ['setup_steps'], 'schema/duplicate-step', 'step name', issues, (s) => asDict(s)?.name, 'name');
  }
}

function checkBase(root: Dict, issues: RuleIssue[]): void {
  const base = asDict(root.base_ami);
  const isChild = typeof root.extends === 'string';
  if (isChild) {
    if (base && 'source' in base) {
      issues.push({
        path: ['base_ami', 'source'],
        atKey: true,
        rule: 'schema/extends-base',
        message: `a template that extends "${String(root.extends)}" is built on its parent's image and cannot set base_ami.source`,
        fix: 'remove base_ami.source (base_ami.architecture alone may narrow the architectures)',
      });
    }
    return;
  }
  if (!('base_ami' in root)) {
    issues.push({
      path: [],
      rule: 'schema/required',
      message: 'base_ami is required (or extends, to build on another template)',
      fix: 'add `base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}`',
    });
    return;
  }
  if (base && !('source' in base)) {
    issues.push({
      path: ['base_ami'],
      atKey: true,
      rule: 'schema/required',
      message: 'base_ami.source is required',
      fix: `name a base such as ${KNOWN_BASE_NAMES.slice(0, 4).join(', ')}, an ami-… ID, or {owners, name}`,
    });
  }
  if (base && typeof base.source === 'string') checkBaseName(base.source, ['base_ami', 'source'], issues);
}

/** A base named by string must be a known alias or an AMI ID. */
export function checkBaseName(name: string, path: KeyPath, issues: RuleIssue[]): void {
  if (canonicalBaseAlias(name) || AMI_ID_PATTERN.test(name) || name.trim() === '') return;
  issues.push({
    path,
    rule: 'schema/base-source',
    message: `unknown base "${name}".${didYouMean(name, KNOWN_BASE_NAMES)}`,
    fix: `use one of ${KNOWN_BASE_NAMES.join(', ')}, an ami-… ID, or {owners: [...], name: "pattern*"}`,
  });
}

function checkTests(root: Dict, issues: RuleIssue[]): void {
  const tests = asList(root.validation_tests);
  tests.forEach((test, i) => {
    const t = asDict(test);
    if (!t) return;
    const kinds = OUTPUT_EXPECTATIONS.filter((k) => k in t);
    if (kinds.length > 1) {
      issues.push({
        path: ['validation_tests', i, kinds[1]],
        atKey: true,
        rule: 'schema/expectation',
        message: `the test has ${kinds.length} output expectations (${kinds.join(', ')}); a test checks one`,
        fix: 'split it into two tests with their own names',
      });
    } else if (kinds.length === 0 && !('expected_exit_code' in t)) {
      issues.push({
        path: ['validation_tests', i],
        rule: 'schema/expectation',
        message: `test "${nameOf(t.name, i)}" has no expectation`,
        fix: 'add expected, expected_contains, expected_regex or expected_exit_code (expected_exit_code: 0 checks only that it succeeds)',
      });
    }
  });
  checkDuplicates(tests, ['validation_tests'], 'schema/duplicate-test', 'test name', issues, (t) => asDict(t)?.name, 'name');
}

function checkDuplicates(
  list: unknown[],
  path: KeyPath,
  ruleId: string,
  what: string,
  issues: RuleIssue[],
  keyOf: (item: unknown) => unknown,
  field?: string,
): void {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const key = keyOf(item);
    if (typeof key !== 'string') return;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    issues.push({
      path: field ? [...path, i, field] : [...path, i],
      rule: ruleId,
      message: `duplicate ${what} "${key}" (first at item ${first + 1})`,
      fix: `give each ${what.replace(' name', '')} its own name`,
    });
  });
}

/** Cross-field rules of the legacy Prism format. */
export function checkLegacyRules(data: unknown): RuleIssue[] {
  const root = asDict(data);
  if (!root) return [];
  const issues: RuleIssue[] = [];
  if (typeof root.base === 'string') checkBaseName(root.base, ['base'], issues);
  const steps = asList(root.build_steps);
  if (Array.isArray(root.build_steps) && steps.length === 0) {
    issues.push({
      path: ['build_steps'],
      rule: 'schema/empty-setup',
      message: 'build_steps is empty',
      fix: 'add at least one step with a name and a script',
    });
  }
  steps.forEach((step, i) => {
    const script = asDict(step)?.script;
    if (typeof script === 'string' && script.trim() === '') {
      issues.push({
        path: ['build_steps', i, 'script'],
        rule: 'schema/empty-setup',
        message: 'the step script is empty',
        fix: 'write its commands, or remove the step',
      });
    }
  });
  checkDuplicates(steps, ['build_steps'], 'schema/duplicate-step', 'step name', issues, (s) => asDict(s)?.name, 'name');
  const tests = asList(root.validation);
  tests.forEach((test, i) => {
    const t = asDict(test);
    if (!t) return;
    const kinds = LEGACY_CRITERIA.filter((k) => k in t);
    if (kinds.length !== 1) {
      issues.push({
        path: ['validation', i],
        rule: 'schema/expectation',
        message:
          kinds.length === 0
            ? `validation "${nameOf(t.name, i)}" has no criterion`
            : `validation "${nameOf(t.name, i)}" has ${kinds.length} criteria (${kinds.join(', ')}); give exactly one`,
        fix: 'use one of success: true, contains: "…" or equals: "…"',
      });
    }
  });
  checkDuplicates(tests, ['validation'], 'schema/duplicate-test', 'test name', issues, (t) => asDict(t)?.name, 'name');
  return issues;
}

/** A test's name for a message: its name when it has one, else its position. */
function nameOf(name: unknown, index: number): string {
  return typeof name === 'string' || typeof name === 'number' ? String(name) : String(index);
}
