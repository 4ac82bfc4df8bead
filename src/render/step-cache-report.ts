import type { StepCachePruneReport, StepCacheReport } from '../actions/step-cache.js';
import { formatBytes } from './format.js';

export function formatStepCache(report: StepCacheReport): string {
  const lines = [
    `Step cache ${report.dir}: ${report.entries.length} entr${report.entries.length === 1 ? 'y' : 'ies'}, ${formatBytes(report.totalBytes)} of ${formatBytes(report.maxBytes)}`,
  ];
  if (report.entries.length === 0) lines.push('(empty: local builds fill it, one entry per setup step)');
  for (const e of report.entries) {
    lines.push(
      `  ${e.key.slice(0, 12)}  ${`${e.template} ${e.architecture}`.padEnd(28)} after step ${e.step} (${e.stepName})  ${formatBytes(e.sizeBytes).padStart(9)}  last used ${e.lastUsed.slice(0, 16).replace('T', ' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatStepCachePrune(report: StepCachePruneReport): string {
  const freed = report.removed.reduce((n, e) => n + e.sizeBytes, 0);
  const lines = [
    report.removed.length === 0
      ? 'Nothing to remove from the step cache.'
      : `Removed ${report.removed.length} step cache entr${report.removed.length === 1 ? 'y' : 'ies'} (${formatBytes(freed)}):`,
    ...report.removed.map((e) => `  ${e.key.slice(0, 12)}  ${e.template} ${e.architecture} after step ${e.step} (${e.stepName})`),
    `Left: ${report.entries.length} entr${report.entries.length === 1 ? 'y' : 'ies'}, ${formatBytes(report.totalBytes)} in ${report.dir}`,
  ];
  return `${lines.join('\n')}\n`;
}
