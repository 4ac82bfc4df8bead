import type { SweepReport } from '../actions/sweep.js';

export function formatSweepReport(report: SweepReport, dryRun: boolean): string {
  const lines: string[] = [];
  if (report.items.length === 0) lines.push('Nothing to sweep: no leftovers found.');
  for (const item of report.items) {
    const from = item.buildId ? ` (build ${item.buildId})` : item.source === 'scan' ? ' (found by scan)' : '';
    const status = {
      'would-remove': dryRun ? 'would remove' : 'to remove',
      removed: 'removed',
      failed: `FAILED: ${item.error ?? ''}`,
      kept: 'kept by --keep-on-failure (add --include-kept to remove)',
    }[item.status];
    lines.push(`${status.padEnd(12)} ${item.resource.label}${from}`);
  }
  if (report.activeRuns.length > 0) lines.push(`Left alone, still running: ${report.activeRuns.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
