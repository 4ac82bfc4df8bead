import type * as z from 'zod';
import type { Diagnostic } from '../core/diagnostic.js';
import type { TemplateDefinition } from './model.js';
import { normalizeLegacyTemplate, normalizeTemplate } from './normalize.js';
import { normalizePrismTemplate } from './prism/normalize.js';
import { checkPrismRules } from './prism/rules.js';
import { isPrismDocument, prismTemplateSchema, type RawPrismTemplate } from './prism/schema.js';
import { isLegacyDocument, legacyTemplateSchema, templateSchema } from './schema.js';
import { dedupe, describeValue, diagnostic, ruleDiagnostic, schemaDiagnostics } from './schema-diagnostics.js';
import { checkLegacyRules, checkTemplateRules } from './template-rules.js';
import { isMap, isScalar, isSeq } from 'yaml';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

export interface ParsedTemplate {
  definition: TemplateDefinition;
  source: YamlSource;
}

export type TemplateParseResult = { ok: true; parsed: ParsedTemplate } | { ok: false; diagnostics: Diagnostic[]; source?: YamlSource };

/**
 * Parses one template file (either format) into its definition. Pure: no file system. Every
 * problem is a located diagnostic; this never throws for bad input.
 */
export function parseTemplate(input: string | Uint8Array, file: string, slug: string): TemplateParseResult {
  const yaml = parseYamlSource(input, file);
  if (!yaml.ok) return { ok: false, diagnostics: yaml.diagnostics };
  const source = yaml.source;
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      source,
      diagnostics: [
        diagnostic(source, [], 'schema/type', `a template is a mapping of keys (name:, base_ami:, …), not ${describeValue(data)}`),
      ],
    };
  }

  keepNumbersAsWritten(source);
  const format = isPrismDocument(data) ? 'prism' : isLegacyDocument(data) ? 'legacy' : 'prism-ami';
  const schema: z.ZodType = { prism: prismTemplateSchema, legacy: legacyTemplateSchema, 'prism-ami': templateSchema }[format];
  const result = schema.safeParse(data);
  const diagnostics: Diagnostic[] = [];
  if (!result.success) {
    diagnostics.push(...schemaDiagnostics(result.error.issues, { source, schema, legacyHints: format === 'prism-ami' }));
  }
  const rules = { prism: checkPrismRules, legacy: checkLegacyRules, 'prism-ami': checkTemplateRules }[format](data);
  for (const issue of rules) diagnostics.push(ruleDiagnostic(source, issue));
  if (diagnostics.length > 0 || !result.success) return { ok: false, diagnostics: dedupe(diagnostics), source };

  const origin = { slug, file };
  const definition =
    format === 'prism'
      ? normalizePrismTemplate(result.data as RawPrismTemplate, origin, (result.data as RawPrismTemplate).inherits ?? [])
      : format === 'legacy'
        ? normalizeLegacyTemplate(result.data as never, origin)
        : normalizeTemplate(result.data as never, origin);
  return { ok: true, parsed: { definition, source } };
}

/** Keys whose values are text even when YAML reads a number (`version: 1.10`, `expected: 22.10`). */
const TEXT_KEYS: readonly (readonly (string | number)[])[] = [
  ['version'],
  ['validation_tests', '*', 'expected'],
  ['validation_tests', '*', 'expected_contains'],
  ['validation', '*', 'contains'],
  ['validation', '*', 'equals'],
  ['tags', '*'],
];

/**
 * YAML turns `1.10` into the number 1.1; for values compared as text that loses what the author
 * wrote. Puts the source text back for plain numeric scalars at those keys.
 */
function keepNumbersAsWritten(source: YamlSource): void {
  const data = source.data as Record<string, unknown>;
  const visit = (node: unknown, value: unknown, path: readonly (string | number)[], set: (v: string) => void): void => {
    if (path.length === 0) {
      if (typeof value === 'number' && isScalar(node) && node.range) set(source.text.slice(node.range[0], node.range[1]).trim());
      return;
    }
    const [head, ...rest] = path;
    if (head === '*') {
      if (isSeq(node) && Array.isArray(value)) node.items.forEach((item, i) => visit(item, value[i], rest, (v) => (value[i] = v)));
      else if (isMap(node) && value && typeof value === 'object') {
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          visit(pair.value, (value as Record<string, unknown>)[key], rest, (v) => ((value as Record<string, unknown>)[key] = v));
        }
      }
      return;
    }
    if (!isMap(node) || !value || typeof value !== 'object') return;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(head));
    if (pair) visit(pair.value, (value as Record<string, unknown>)[head], rest, (v) => ((value as Record<string, unknown>)[head] = v));
  };
  for (const path of TEXT_KEYS) visit(source.doc.contents, data, path, () => undefined);
}
