import type { LintReport } from '../template/lint/lint-templates.js';
import { formatDiagnostics } from './diagnostics.js';
import { style } from './style.js';

export function formatLintReport(report: LintReport, color: boolean): string {
  const s = style(color);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary =
    `${plural(report.templates.length, 'template')} checked: ` +
    `${report.errors > 0 ? s.red(plural(report.errors, 'error')) : '0 errors'}, ` +
    `${report.warnings > 0 ? s.yellow(plural(report.warnings, 'warning')) : '0 warnings'}` +
    (report.shellcheck === 'ran'
      ? ''
      : report.shellcheck === 'off'
        ? s.dim(' (shellcheck turned off)')
        : s.dim(" (shellcheck not installed: script checks are prism-ami's own only; apt-get install shellcheck)"));
  const clean = report.templates.filter((t) => t.errors === 0 && t.warnings === 0).map((t) => t.slug);
  const cleanLine = clean.length > 0 ? `${s.green('✓')} ${clean.join(', ')}\n` : '';
  return `${formatDiagnostics(report.diagnostics, color)}${report.diagnostics.length > 0 ? '\n' : ''}${cleanLine}${summary}\n`;
}
