import type { Diagnostic } from '../core/diagnostic.js';
import { formatKeyPath } from '../core/diagnostic.js';
import { PrismError } from '../core/errors.js';
import { consistencyIssues } from './consistency.js';
import { locateJson } from './locate-json.js';
import { CURRENT_SCHEMA_VERSION, DOCUMENT_FORMAT_VERSION, type RegistryDocument } from './model.js';
import { registrySchema } from './schema.js';

/** A registry with no templates: what a missing file or S3 object means. */
export function emptyRegistry(): RegistryDocument {
  return { version: DOCUMENT_FORMAT_VERSION, schema_version: 1, templates: {} };
}

/**
 * Reads a registry document. The document is kept exactly as written (key order, unknown
 * fields), so reading and writing it back changes nothing. Errors: REGISTRY_NEWER_SCHEMA for a
 * document from a newer prism, REGISTRY_INVALID with located diagnostics for anything else.
 */
export function parseRegistry(text: string, source: string): RegistryDocument {
  const invalid = (message: string, diagnostics: Diagnostic[]): never => {
    throw new PrismError('REGISTRY_INVALID', `${source} ${message}`, {
      diagnostics,
      hint: 'the file was left as it is; fix it by hand or restore the previous version (<file>.bak), see docs/registry.md',
    });
  };
  const at = (path: (string | number)[], rule: string, message: string): Diagnostic => {
    const pos = locateJson(text, path);
    return { severity: 'error', rule, message, file: source, line: pos.line, column: pos.column, path: formatKeyPath(path) };
  };
  if (text.trim() === '') invalid('is empty, not a registry document', [at([], 'registry/empty', 'the file is empty')]);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const match = /position (\d+)/.exec((error as Error).message);
    const pos = match ? offsetPosition(text, Number(match[1])) : { line: 1, column: 1 };
    invalid('is not valid JSON', [
      {
        severity: 'error',
        rule: 'registry/json',
        message: (error as Error).message,
        file: source,
        line: pos.line,
        column: pos.column,
        path: '',
      },
    ]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    invalid('is not a registry document', [at([], 'registry/schema', 'must be a JSON object with "version" and "templates"')]);
  }
  const schemaVersion = (data as { schema_version?: unknown }).schema_version;
  if (typeof schemaVersion === 'number' && schemaVersion > CURRENT_SCHEMA_VERSION) {
    throw new PrismError(
      'REGISTRY_NEWER_SCHEMA',
      `${source} was written by a newer prism-ami (registry schema ${schemaVersion}; this version reads up to ${CURRENT_SCHEMA_VERSION})`,
      { hint: 'upgrade prism-ami; the registry was not changed' },
    );
  }
  const result = registrySchema.safeParse(data);
  if (!result.success) {
    const diagnostics = result.error.issues.map((issue) => {
      // A bad record key (region, architecture, slug) carries its own reason inside.
      const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
      const message = inner ? `${JSON.stringify(String(issue.path.at(-1) ?? ''))} ${inner.replace(/^"[^"]*" /, '')}` : issue.message;
      return at(issue.path as (string | number)[], 'registry/schema', message);
    });
    invalid(`has ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`, diagnostics);
  }
  const doc = data as RegistryDocument;
  for (const entry of Object.values(doc.templates)) entry.amis ??= {};
  const issues = consistencyIssues(doc);
  if (issues.length > 0) {
    invalid(
      `is inconsistent`,
      issues.map((issue) => at(issue.path, 'registry/consistency', issue.message)),
    );
  }
  return doc;
}

/** The document as the file holds it: two-space JSON and a final newline. */
export function serializeRegistry(doc: RegistryDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function offsetPosition(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
