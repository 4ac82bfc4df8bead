import type { CleanupReport } from '../actions/cleanup.js';
import { style } from './style.js';
import { formatTable } from './table.js';

export function formatCleanupReport(report: CleanupReport, dryRun: boolean, color: boolean): string {
  const s = style(color);
  if (report.items.length === 0) return 'No images found.\n';
  const status = (i: CleanupReport['items'][number]) =>
    i.status === 'deleted'
      ? s.red('deleted')
      : i.status === 'failed'
        ? s.red(`FAILED: ${i.error ?? ''}`)
        : i.status === 'kept'
          ? s.green('keep')
          : dryRun
            ? s.yellow('would delete')
            : s.yellow('delete');
  const table = formatTable(
    ['TEMPLATE', 'REGION', 'ARCH', 'IMAGE', 'CREATED', 'ACTION', 'WHY'],
    report.items.map((i) => [i.template, i.region, i.architecture, i.imageId, i.created.replace(/\.\d{3}Z$/, 'Z'), status(i), i.why]),
  );
  const deleted = report.items.filter((i) => i.status === 'deleted').length;
  const would = report.items.filter((i) => i.status === 'would-delete').length;
  const tail = report.confirmed
    ? `${deleted} deleted (with their snapshots).`
    : would > 0
      ? `${would} would be deleted. Nothing was deleted.`
      : '';
  return `${table}${tail ? `\n${tail}\n` : ''}`;
}
