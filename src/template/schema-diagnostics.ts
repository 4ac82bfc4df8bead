import type * as z from 'zod';
import type { Diagnostic } from '../core/diagnostic.js';
import { formatKeyPath } from '../core/diagnostic.js';
import { closestMatch, didYouMean } from '../core/suggest.js';
import { knownKeysAt, LEGACY_ONLY_KEYS } from './schema.js';
import type { RuleIssue } from './template-rules.js';
import { locate, type KeyPath, type YamlSource } from './yaml-source.js';

/** Where each legacy key went in the prism-ami format, for hints on mixed files. */
const LEGACY_TO_MODERN: Readonly<Record<string, string>> = {
  base: 'base_ami.source',
  build_steps: 'setup_steps',
  validation: 'validation_tests',
  min_disk_size: 'build.volume_size_gb',
  architecture: 'base_ami.architecture',
  dependencies: 'extends',
};

export interface SchemaContext {
  source: YamlSource;
  schema: z.ZodType;
  /** Hint at legacy keys found in a prism-ami template. */
  legacyHints?: boolean;
}

/** Located diagnostics for zod's issues, with messages a person can act on. */
export function schemaDiagnostics(issues: readonly unknown[], context: SchemaContext): Diagnostic[] {
  return issues.flatMap((issue) => issueDiagnostics(issue, [], context));
}

export function diagnostic(source: YamlSource, path: KeyPath, rule: string, message: string, fix?: string, atKey = false): Diagnostic {
  const pos = locate(source, path, { key: atKey });
  return {
    severity: 'error',
    rule,
    message,
    file: source.file,
    line: pos.line,
    column: pos.column,
    path: formatKeyPath(path),
    ...(fix ? { fix } : {}),
  };
}

export function ruleDiagnostic(source: YamlSource, issue: RuleIssue): Diagnostic {
  return diagnostic(source, issue.path, issue.rule, issue.message, issue.fix, issue.atKey ?? false);
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  expected?: string;
  params?: { rule?: string; fix?: string };
  errors?: Issue[][];
}

function issueDiagnostics(raw: unknown, prefix: KeyPath, context: SchemaContext): Diagnostic[] {
  const { source } = context;
  const issue = raw as Issue;
  const path: KeyPath = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  switch (issue.code) {
    case 'unrecognized_keys':
      return (issue.keys ?? []).map((key) => unknownKey(context, path, key));
    case 'invalid_type': {
      const actual = valueAt(source.data, path);
      if (actual === undefined) {
        return [diagnostic(source, path, 'schema/required', `${String(path[path.length - 1] ?? 'value')} is required`)];
      }
      const expected = issue.message.startsWith('Invalid input') ? typeName(issue.expected) : undefined;
      const message = expected ? `must be ${expected}, not ${describeValue(actual)}` : issue.message;
      return [diagnostic(source, path, 'schema/type', message)];
    }
    case 'invalid_union': {
      // Report the branch that matches the value's kind (text vs mapping), not every branch.
      const branches = issue.errors ?? [];
      const best =
        branches.find((b) => b.length > 0 && !(b[0].code === 'invalid_type' && b[0].path.length === 0)) ?? branches[branches.length - 1];
      if (!best || best.length === 0) return [diagnostic(source, path, 'schema/type', 'has the wrong form')];
      if (best.every((b) => b.code === 'invalid_type' && b.path.length === 0)) {
        const kinds = branches.map((b) => typeName(b[0]?.expected)).filter(Boolean);
        return [diagnostic(source, path, 'schema/type', `must be ${kinds.join(' or ')}, not ${describeValue(valueAt(source.data, path))}`)];
      }
      return best.flatMap((inner) => issueDiagnostics(inner, path, context));
    }
    case 'custom':
      return [diagnostic(source, path, issue.params?.rule ?? 'schema/value', issue.message, issue.params?.fix)];
    case 'invalid_key': {
      // A mapping key that fails its own check (a region name under amis:): report that check.
      const inner = (raw as { issues?: Issue[] }).issues ?? [];
      if (inner.length === 0) return [diagnostic(source, path, 'schema/value', 'is not an allowed key', undefined, true)];
      return inner.map((i) => diagnostic(source, path, i.params?.rule ?? 'schema/value', i.message, i.params?.fix, true));
    }
    default:
      return [diagnostic(source, path, 'schema/value', issue.message)];
  }
}

function unknownKey(context: SchemaContext, path: KeyPath, key: string): Diagnostic {
  const { source, schema } = context;
  const known = knownKeysAt(schema, path);
  const keyPath = [...path, key];
  if (context.legacyHints && path.length === 0 && LEGACY_ONLY_KEYS.includes(key)) {
    return diagnostic(
      source,
      keyPath,
      'schema/unknown-key',
      `"${key}" belongs to the legacy Prism format, and this file uses the prism-ami format`,
      `use ${LEGACY_TO_MODERN[key] ?? 'the prism-ami key'} instead (see docs/templates.md)`,
      true,
    );
  }
  const match = closestMatch(key, known);
  const fix = match ? `rename it to ${match}` : known.length > 0 ? `keys allowed here: ${known.join(', ')}` : undefined;
  return diagnostic(source, keyPath, 'schema/unknown-key', `unknown key "${key}".${didYouMean(key, known)}`, fix, true);
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let current = data;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

function typeName(expected: string | undefined): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a mapping (key: value lines)';
    case 'array':
      return 'a list';
    case undefined:
      return '';
    default:
      return expected;
  }
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

export function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.line}:${d.column}:${d.rule}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
