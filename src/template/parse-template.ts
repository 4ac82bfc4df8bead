import type * as z from 'zod';
import type { Diagnostic } from '../core/diagnostic.js';
import type { TemplateDefinition } from './model.js';
import { normalizeLegacyTemplate, normalizeTemplate } from './normalize.js';
import { isLegacyDocument, legacyTemplateSchema, templateSchema } from './schema.js';
import { dedupe, describeValue, diagnostic, ruleDiagnostic, schemaDiagnostics } from './schema-diagnostics.js';
import { checkLegacyRules, checkTemplateRules } from './template-rules.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

export interface ParsedTemplate {
  definition: TemplateDefinition;
  source: YamlSource;
}

export type TemplateParseResult =
  | { ok: true; parsed: ParsedTemplate }
  | { ok: false; diagnostics: Diagnostic[]; source?: YamlSource };

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

  const legacy = isLegacyDocument(data);
  const schema: z.ZodType = legacy ? legacyTemplateSchema : templateSchema;
  const result = schema.safeParse(data);
  const diagnostics: Diagnostic[] = [];
  if (!result.success) {
    diagnostics.push(...schemaDiagnostics(result.error.issues, { source, schema, legacyHints: !legacy }));
  }
  const rules = legacy ? checkLegacyRules(data) : checkTemplateRules(data);
  for (const issue of rules) diagnostics.push(ruleDiagnostic(source, issue));
  if (diagnostics.length > 0 || !result.success) return { ok: false, diagnostics: dedupe(diagnostics), source };

  const origin = { slug, file };
  const definition = legacy
    ? normalizeLegacyTemplate(result.data as never, origin)
    : normalizeTemplate(result.data as never, origin);
  return { ok: true, parsed: { definition, source } };
}

