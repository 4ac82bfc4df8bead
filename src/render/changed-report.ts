import type { ChangedReport } from '../actions/changed.js';
import type { Reason } from '../changes/model.js';
import { style } from './style.js';

export function describeReason(reason: Reason): string {
  switch (reason.kind) {
    case 'changed':
      return 'changed';
    case 'extends':
      return `extends ${reason.parent}`;
    case 'inherits':
      return `inherits ${reason.parent}, which changed`;
    case 'parent-removed':
      return `extends ${reason.parent}, which was removed`;
    case 'shared':
      return `shared scripts changed (${reason.path})`;
    case 'requested':
      return 'requested';
    case 'no-history':
      return 'no earlier commit';
  }
}

/**
 * `prism ami changed` as text: stdout has one template to build per line with why (so it can be
 * piped); stderr says what HEAD was compared with, what was removed and what was ignored.
 */
export function formatChanged(report: ChangedReport, color: boolean): { out: string; err: string } {
  const s = style(color);
  let err = '';
  if (report.since) {
    const commit = report.since.commit ? ` ${report.since.commit.slice(0, 12)}` : '';
    err += s.dim(`Compared HEAD with${commit}: ${report.since.why}`) + '\n';
  }
  const width = Math.max(0, ...report.details.map((d) => d.template.length));
  let out = '';
  for (const d of report.details) {
    const why = d.reasons.map(describeReason).join('; ');
    const problem = d.problem ? `; ${s.yellow(`${d.problem} (the build will report its errors)`)}` : '';
    out += `${d.template.padEnd(width)}  ${why}${problem}\n`;
  }
  for (const slug of report.removed) err += `${s.dim('removed (not built):')} ${slug}\n`;
  for (const i of report.ignored) err += `${s.dim('ignored:')} ${i.template}: ${i.why}\n`;
  if (report.details.length === 0) err += 'No template to build.\n';
  return { out, err };
}
