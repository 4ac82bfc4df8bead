import type { ConvertReport } from '../actions/convert.js';

/** `convert`'s human form: one line per template written, and why the others were skipped. */
export function formatConvertReport(report: ConvertReport): { out: string; err?: string } {
  const written = report.templates.filter((t) => t.file);
  const skipped = report.templates.filter((t) => t.skipped);
  const out = written.map((t) => `✅ ${t.from} → ${t.file}\n`).join('');
  const err = skipped.map((t) => `⏭️  ${t.from} not converted: ${t.skipped}\n`).join('');
  const summary = `${written.length} converted${skipped.length > 0 ? `, ${skipped.length} skipped` : ''} (into ${report.out})\n`;
  return { out: out + summary, ...(err ? { err } : {}) };
}
