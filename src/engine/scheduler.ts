import { PrismError } from '../core/errors.js';

/**
 * A work graph run with bounded concurrency (in the spirit of aws-cdk's work graph): nodes with
 * dependencies, each holding slots of named pools while it runs (`build`, `copy:us-east-2`), so
 * every kind of work has its own limit. Parents run before children; a failure blocks what
 * depends on it, and with `failFast` cancels everything else; an abort cancels what has not
 * started and tells running nodes through their signal.
 */

export type NodeState = 'queued' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'skipped' | 'cancelled';

export interface NodeContext<T> {
  /** Aborted on cancel or fail-fast. */
  signal: AbortSignal;
  /** The value a dependency finished with (undefined for a skipped one). */
  valueOf: (id: string) => T | undefined;
}

export interface WorkNode<T> {
  id: string;
  /** Nodes that must have succeeded (or been skipped) first. */
  needs: readonly string[];
  /** Pools this node takes a slot of while it runs. */
  pools: readonly string[];
  /** Already done (up to date): never runs, and satisfies what needs it. */
  skip?: boolean;
  /** Runs the work; `failed` or a thrown error fails the node, `cancelled` cancels it. */
  run: (ctx: NodeContext<T>) => Promise<{ state: 'succeeded' | 'failed' | 'cancelled'; value?: T }>;
}

export interface NodeResult<T> {
  id: string;
  state: Exclude<NodeState, 'queued' | 'running'>;
  value?: T;
  error?: unknown;
  /** For blocked nodes: the dependency that failed first. */
  blockedBy?: string;
}

export interface SchedulerOptions {
  /** Slots per pool; a pool not listed has one slot. */
  limit: (pool: string) => number;
  failFast?: boolean;
  signal: AbortSignal;
  /** Called on every state change (for progress views and tests). */
  onState?: (id: string, state: NodeState) => void;
}

export interface GraphResult<T> {
  results: Map<string, NodeResult<T>>;
  /** The order nodes started in. */
  started: string[];
}

/**
 * Which ready node goes first when slots free up: the one with the longest chain of work behind
 * it (critical path), then the deepest (a child whose parent just finished before unrelated
 * roots), then the order given.
 */
function priorities<T>(nodes: readonly WorkNode<T>[]): Map<string, [number, number, number]> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const n of nodes) for (const need of n.needs) dependents.get(need)!.push(n.id);
  const height = new Map<string, number>();
  const depth = new Map<string, number>();
  const heightOf = (id: string): number =>
    height.get(id) ?? (height.set(id, Math.max(0, ...dependents.get(id)!.map((d) => heightOf(d) + 1))), height.get(id)!);
  const depthOf = (id: string): number =>
    depth.get(id) ?? (depth.set(id, Math.max(0, ...byId.get(id)!.needs.map((d) => depthOf(d) + 1))), depth.get(id)!);
  return new Map(nodes.map((n, index) => [n.id, [heightOf(n.id), depthOf(n.id), -index]]));
}

function checkGraph<T>(nodes: readonly WorkNode<T>[]): void {
  const ids = new Set<string>();
  for (const n of nodes) {
    if (ids.has(n.id)) throw new PrismError('INTERNAL', `work graph: node ${n.id} appears twice`);
    ids.add(n.id);
  }
  for (const n of nodes)
    for (const need of n.needs)
      if (!ids.has(need)) throw new PrismError('INTERNAL', `work graph: ${n.id} needs ${need}, which is not in the graph`);
  const visiting = new Set<string>();
  const done = new Set<string>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const visit = (id: string, path: string[]): void => {
    if (done.has(id)) return;
    if (visiting.has(id)) throw new PrismError('INTERNAL', `work graph: cycle ${[...path, id].join(' → ')}`);
    visiting.add(id);
    for (const need of byId.get(id)!.needs) visit(need, [...path, id]);
    visiting.delete(id);
    done.add(id);
  };
  for (const n of nodes) visit(n.id, []);
}

export async function runGraph<T>(nodes: readonly WorkNode<T>[], options: SchedulerOptions): Promise<GraphResult<T>> {
  checkGraph(nodes);
  const rank = priorities(nodes);
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const state = new Map<string, NodeState>();
  const results = new Map<string, NodeResult<T>>();
  const used = new Map<string, number>();
  const started: string[] = [];
  const set = (id: string, next: NodeState) => {
    state.set(id, next);
    options.onState?.(id, next);
  };
  const finish = (result: NodeResult<T>) => {
    results.set(result.id, result);
    set(result.id, result.state);
  };
  for (const n of nodes) {
    if (n.skip) finish({ id: n.id, state: 'skipped' });
    else set(n.id, 'queued');
  }

  let wake: () => void = () => undefined;
  let running = 0;
  const free = (n: WorkNode<T>) => n.pools.every((p) => (used.get(p) ?? 0) < Math.max(1, options.limit(p)));
  const satisfied = (id: string) => state.get(id) === 'succeeded' || state.get(id) === 'skipped';
  const failedNeed = (n: WorkNode<T>): string | undefined =>
    n.needs.find((id) => state.get(id) === 'failed' || state.get(id) === 'blocked');
  const cancelledNeed = (n: WorkNode<T>): boolean => n.needs.some((id) => state.get(id) === 'cancelled');

  const start = (n: WorkNode<T>) => {
    running++;
    started.push(n.id);
    for (const p of n.pools) used.set(p, (used.get(p) ?? 0) + 1);
    set(n.id, 'running');
    const ctx: NodeContext<T> = { signal, valueOf: (id) => results.get(id)?.value };
    void Promise.resolve()
      .then(() => n.run(ctx))
      .then(
        (r) => finish({ id: n.id, state: r.state, ...(r.value !== undefined ? { value: r.value } : {}) }),
        (error: unknown) => finish({ id: n.id, state: signal.aborted ? 'cancelled' : 'failed', error }),
      )
      .finally(() => {
        running--;
        for (const p of n.pools) used.set(p, (used.get(p) ?? 1) - 1);
        if (options.failFast && state.get(n.id) === 'failed')
          stop.abort(new PrismError('CANCELLED', `stopped after ${n.id} failed (--fail-fast)`));
        wake();
      });
  };

  for (;;) {
    const queued = nodes.filter((n) => state.get(n.id) === 'queued');
    for (const n of queued) {
      // Blocked when what it needs failed; cancelled when the run stops before it could start.
      const failed = failedNeed(n);
      if (failed) finish({ id: n.id, state: 'blocked', blockedBy: results.get(failed)?.blockedBy ?? failed });
      else if (signal.aborted || cancelledNeed(n)) finish({ id: n.id, state: 'cancelled' });
    }
    const ready = nodes
      .filter((n) => state.get(n.id) === 'queued' && n.needs.every(satisfied))
      .sort((a, b) => compare(rank.get(b.id)!, rank.get(a.id)!));
    for (const n of ready) if (free(n)) start(n);
    if (running === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  return { results, started };
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
