/** A problem found at a place in a file: what template lint, schema checks and config report. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable rule id, e.g. `schema/unknown-key` or `script/literal-password`. */
  rule: string;
  message: string;
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Key path in the document, e.g. `validation_tests[1].expected`; empty for the whole file. */
  path: string;
  /** One line on how to fix it. */
  fix?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}`;
  const path = d.path ? `${d.path}: ` : '';
  const fix = d.fix ? `\n    fix: ${d.fix}` : '';
  return `${where}: ${d.severity} [${d.rule}] ${path}${d.message}${fix}`;
}

export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}

/** Formats a key path (`['validation_tests', 1, 'expected']`) the way users write it. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
