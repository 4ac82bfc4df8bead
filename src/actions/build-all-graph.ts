import { errorMessage } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import type { RunOutcome } from '../engine/pipeline.js';
import type { GraphResult, NodeResult, WorkNode } from '../engine/scheduler.js';
import type { BuildPlan, PlanItem } from '../plan/model.js';
import type { CreatedImage, ImageRecord } from '../providers/provider.js';

/** An image in a region, and its facts: what a build or copy makes, and a copy starts from. */
export interface MadeImage {
  image: CreatedImage;
  record: ImageRecord;
}

/** What a node leaves for the nodes after it: its run, and the image when it made one. */
export interface NodeValue {
  outcome: RunOutcome;
  made?: MadeImage;
}

type NodeRun = Promise<{ state: 'succeeded' | 'failed' | 'cancelled'; value: NodeValue }>;

/** The work build-all hands the scheduler, per plan item and region. */
export interface GraphWork {
  build(item: PlanItem, region: string, signal: AbortSignal): NodeRun;
  copy(item: PlanItem, source: MadeImage | 'existing', region: string, signal: AbortSignal): NodeRun;
}

export type TargetResult = 'built' | 'copied' | 'up to date' | 'failed' | 'blocked' | 'cancelled';

export interface TargetRow {
  template: string;
  architecture: Architecture;
  region: string;
  result: TargetResult;
  imageId?: string;
  durationMs: number;
  error?: string;
}

interface NodeInfo {
  item: PlanItem;
  region: string;
  kind: 'build' | 'copy' | 'have';
}

const nodeId = (kind: NodeInfo['kind'], item: PlanItem, region: string) => `${kind}:${item.key}@${region}`;

/**
 * The plan as a work graph. Per item and region one node gives the item's image there: `have`
 * (already up to date: skipped), `build`, or `copy` (after its build, or from the existing image
 * for copy-only items). A child's build needs only its parent's node in the child's build
 * region, not the parent's copies elsewhere.
 */
export function planGraph(plan: BuildPlan, work: GraphWork): { nodes: WorkNode<NodeValue>[]; info: Map<string, NodeInfo> } {
  const nodes: WorkNode<NodeValue>[] = [];
  const info = new Map<string, NodeInfo>();
  const byKey = new Map(plan.items.map((i) => [i.key, i]));
  const add = (kind: NodeInfo['kind'], item: PlanItem, region: string, node: Omit<WorkNode<NodeValue>, 'id'>) => {
    const id = nodeId(kind, item, region);
    nodes.push({ id, ...node });
    info.set(id, { item, region, kind });
  };
  const producer = (item: PlanItem, region: string): string | undefined => {
    if (item.buildRegions.includes(region)) return nodeId('build', item, region);
    if (item.copyTo.includes(region)) return nodeId('copy', item, region);
    return item.regions.includes(region) ? nodeId('have', item, region) : undefined;
  };
  for (const item of plan.items) {
    const parent = item.parent ? byKey.get(item.parent) : undefined;
    for (const region of item.regions) {
      if (!item.buildRegions.includes(region) && !item.copyTo.includes(region))
        add('have', item, region, { needs: [], pools: [], skip: true, run: never });
    }
    for (const region of item.buildRegions) {
      // The parent's image where this child is built; where the parent has none, its builds.
      const needs = parent ? [producer(parent, region) ?? parent.buildRegions.map((r) => nodeId('build', parent, r))].flat() : [];
      add('build', item, region, {
        needs: needs.filter((n) => n !== undefined),
        pools: ['build'],
        run: ({ signal }) => work.build(item, region, signal),
      });
    }
    for (const region of item.copyTo) {
      const from = item.action === 'copy' ? undefined : nodeId('build', item, item.buildRegions[0]);
      add('copy', item, region, {
        needs: from ? [from] : [],
        pools: [`copy:${region}`],
        run: ({ signal, valueOf }) => work.copy(item, from ? valueOf(from)!.made! : 'existing', region, signal),
      });
    }
  }
  return { nodes, info };
}

function never(): Promise<never> {
  return Promise.reject(new Error('a skipped node never runs'));
}

/** A row per template, architecture and region, in plan order. */
export function graphRows(
  plan: BuildPlan,
  graph: GraphResult<NodeValue>,
  info: Map<string, NodeInfo>,
  upToDate: (item: PlanItem, region: string) => string | undefined,
  durations: Map<string, number>,
): TargetRow[] {
  const rows: TargetRow[] = [];
  const describe = (id: string) => {
    const i = info.get(id)!;
    return `${i.item.template} ${i.item.architecture} ${i.kind === 'copy' ? `copy to ${i.region}` : i.region}`;
  };
  for (const [id, node] of info) {
    const result = graph.results.get(id)!;
    const row = {
      template: node.item.template,
      architecture: node.item.architecture,
      region: node.region,
      durationMs: durations.get(id) ?? 0,
    };
    if (node.kind === 'have') {
      const imageId = upToDate(node.item, node.region);
      rows.push({ ...row, result: 'up to date', ...(imageId ? { imageId } : {}) });
      continue;
    }
    rows.push({ ...row, ...resultOf(node.kind, result, describe) });
  }
  const order = new Map(plan.items.map((item, i) => [item.key, i]));
  return rows.sort(
    (a, b) =>
      order.get(`${a.template}/${a.architecture}`)! - order.get(`${b.template}/${b.architecture}`)! || a.region.localeCompare(b.region),
  );
}

function resultOf(
  kind: 'build' | 'copy',
  result: NodeResult<NodeValue>,
  describe: (id: string) => string,
): Pick<TargetRow, 'result' | 'imageId' | 'error'> {
  const made = result.value?.made;
  const runError = result.value?.outcome.error;
  const error = runError ? errorMessage(runError) : result.error !== undefined ? errorMessage(result.error) : undefined;
  const withError = error ? { error } : {};
  switch (result.state) {
    case 'succeeded':
      return { result: kind === 'build' ? 'built' : 'copied', imageId: made!.image.id };
    case 'failed':
      // A build whose image exists but could not be recorded still made its image.
      return made?.image
        ? { result: kind === 'build' ? 'built' : 'copied', imageId: made.image.id, ...withError }
        : { result: 'failed', ...withError };
    case 'blocked':
      return { result: 'blocked', error: `${describe(result.blockedBy!)} failed` };
    default:
      return { result: 'cancelled' };
  }
}

/** succeeded: every target done; partial: some failed; failed: nothing that had to be made was. */
export function overallStatus(rows: readonly TargetRow[], interrupted: boolean): 'succeeded' | 'partial' | 'failed' | 'cancelled' {
  if (interrupted) return 'cancelled';
  const work = rows.filter((r) => r.result !== 'up to date');
  const good = work.filter((r) => (r.result === 'built' || r.result === 'copied') && !r.error);
  if (good.length === work.length) return 'succeeded';
  return good.length === 0 ? 'failed' : 'partial';
}
