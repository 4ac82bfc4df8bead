import type { Diagnostic } from '../core/diagnostic.js';
import { style as makeStyle } from './style.js';

/** `file:line:col: error [rule] path: message` with the fix on the next line. */
export function formatDiagnostics(list: readonly Diagnostic[], color: boolean): string {
  const s = makeStyle(color);
  return list
    .map((d) => {
      const severity = d.severity === 'error' ? s.red('error') : s.yellow('warning');
      const path = d.path ? `${s.bold(d.path)}: ` : '';
      const fix = d.fix ? `\n    ${s.dim('fix:')} ${d.fix}` : '';
      return `${s.bold(`${d.file}:${d.line}:${d.column}`)}: ${severity} ${s.dim(`[${d.rule}]`)} ${path}${d.message}${fix}\n`;
    })
    .join('');
}
