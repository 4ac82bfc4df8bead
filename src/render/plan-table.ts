import type { BuildPlan } from '../plan/model.js';
import { style } from './style.js';
import { formatTable } from './table.js';

const usd = (n: number) => `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}`;

/** The plan as a table with reasons, then totals, the cost estimate and the saving. */
export function formatPlan(plan: BuildPlan, color: boolean): string {
  const s = style(color);
  if (plan.items.length === 0) return 'Nothing to do: no template matches.\n';
  const action = (a: string) => (a === 'build' ? s.yellow('build') : a === 'copy' ? s.cyan('copy') : s.green('skip'));
  const table = formatTable(
    ['TEMPLATE', 'ARCH', 'ACTION', 'BUILD IN', 'COPY TO', 'WHY'],
    plan.items.map((i) => [
      i.template,
      i.architecture,
      action(i.action),
      i.buildRegions.join(', ') || (i.sourceImage ? `(${i.sourceImage.region})` : '-'),
      i.copyTo.join(', ') || '-',
      i.reasons.map((r) => r.detail).join('; '),
    ]),
  );
  const t = plan.totals;
  const e = t.estimate;
  const p = plan.perRegion;
  const total = e.buildUsd + e.copyUsd;
  const perRegionTotal = p.estimate.buildUsd;
  const counts = `${t.builds} build${t.builds === 1 ? '' : 's'}, ${t.copies} cop${t.copies === 1 ? 'y' : 'ies'}, ${t.skips} up to date`;
  // Local builds cost no cloud money: no estimate.
  if (plan.items.every((i) => i.regions.every((r) => r === 'local'))) return `${table}\n${counts} (local provider)\n`;
  const lines = [
    '',
    `${counts} (strategy: ${plan.strategy})`,
    `Estimated cost: ${e.instanceHours.toFixed(1)} instance-hours${e.retestInstanceHours > 0 ? ` (${e.retestInstanceHours.toFixed(1)} of them fresh-boot re-tests)` : ''} ${usd(e.buildUsd)}, copies ${e.copyGb} GB ${usd(e.copyUsd)}, snapshots ${e.storageGbMonth} GB ${usd(e.storageUsdPerMonth)}/month`,
  ];
  if (plan.strategy === 'copy' && p.builds > t.builds) {
    const difference = perRegionTotal - total;
    lines.push(
      `Building in every region instead: ${p.builds} builds, ${p.estimate.instanceHours.toFixed(1)} instance-hours ${usd(perRegionTotal)}. ` +
        `Copying ${e.instanceHours > 0 ? `uses ${(p.estimate.instanceHours / e.instanceHours).toFixed(1)}× less instance time` : 'needs no build instance'} and makes identical images everywhere; ` +
        (difference >= 0 ? `it saves ${usd(difference)}.` : `its transfer costs ${usd(-difference)} more than the builds it saves.`),
    );
  }
  return `${table}${lines.join('\n')}\n`;
}
