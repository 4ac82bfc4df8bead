import type { DryRunReport } from '../actions/dry-run.js';

export function formatDryRunReport(report: DryRunReport): string {
  const lines = [`🔍 Dry run: ${report.template} (${report.architecture}) in ${report.region}`, ''];
  for (const c of report.checks) lines.push(`${c.ok ? '✅' : '❌'} ${c.check}: ${c.detail}`);
  lines.push('');
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push(
    failed === 0
      ? 'Everything a build needs is in place. Nothing was created.'
      : `${failed} check${failed === 1 ? '' : 's'} failed. Nothing was created.`,
  );
  return `${lines.join('\n')}\n`;
}
