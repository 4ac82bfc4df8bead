import { describe, expect, it } from 'vitest';
import { runGraph, type NodeState, type WorkNode } from './scheduler.js';

type Outcome = 'succeeded' | 'failed' | 'cancelled' | 'throw' | 'hang';

/** A node whose work waits a tick (or until aborted, for 'hang') and ends as told. */
function node(
  id: string,
  options: {
    needs?: string[];
    pools?: string[];
    outcome?: Outcome;
    skip?: boolean;
    log?: string[];
    live?: Map<string, { now: number; max: number }>;
  } = {},
): WorkNode<string> {
  const pools = options.pools ?? ['build'];
  const count = (delta: number) => {
    for (const pool of pools) {
      const c = options.live?.get(pool);
      if (!c) continue;
      c.now += delta;
      c.max = Math.max(c.max, c.now);
    }
  };
  return {
    id,
    needs: options.needs ?? [],
    pools,
    ...(options.skip ? { skip: true } : {}),
    run: async ({ signal, valueOf }) => {
      options.log?.push(`start ${id}`);
      count(1);
      try {
        if (options.outcome === 'hang') {
          await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
        }
        await new Promise((r) => setTimeout(r, 5));
        if (options.outcome === 'throw') throw new Error(`${id} broke`);
        const parents = (options.needs ?? []).map((n) => valueOf(n) ?? '-').join(',');
        return {
          state: options.outcome === 'failed' || options.outcome === 'cancelled' ? options.outcome : 'succeeded',
          value: `${id}(${parents})`,
        };
      } finally {
        count(-1);
        options.log?.push(`end ${id}`);
      }
    },
  };
}

const limits = (table: Record<string, number>) => (pool: string) => table[pool] ?? 1;
const run = (nodes: WorkNode<string>[], options: { limit?: Record<string, number>; failFast?: boolean; signal?: AbortSignal } = {}) =>
  runGraph(nodes, {
    limit: limits(options.limit ?? { build: 4 }),
    signal: options.signal ?? new AbortController().signal,
    ...(options.failFast ? { failFast: true } : {}),
  });

describe('runGraph', () => {
  it("runs parents before children and hands children their parents' values", async () => {
    const log: string[] = [];
    const { results } = await run([node('child', { needs: ['parent'], log }), node('parent', { log })]);
    expect(log).toEqual(['start parent', 'end parent', 'start child', 'end child']);
    expect(results.get('child')).toMatchObject({ state: 'succeeded', value: 'child(parent())' });
  });

  it('keeps every pool within its limit, each on its own', async () => {
    const live = new Map([
      ['build', { now: 0, max: 0 }],
      ['copy:us-east-2', { now: 0, max: 0 }],
      ['copy:us-west-2', { now: 0, max: 0 }],
    ]);
    const nodes = [
      ...Array.from({ length: 6 }, (_, i) => node(`b${i}`, { pools: ['build'], live })),
      ...Array.from({ length: 7 }, (_, i) => node(`c${i}`, { pools: ['copy:us-east-2'], live })),
      ...Array.from({ length: 7 }, (_, i) => node(`w${i}`, { pools: ['copy:us-west-2'], live })),
    ];
    const { results } = await run(nodes, { limit: { build: 2, 'copy:us-east-2': 3, 'copy:us-west-2': 3 } });
    expect([...results.values()].every((r) => r.state === 'succeeded')).toBe(true);
    expect(live.get('build')!.max).toBe(2);
    expect(live.get('copy:us-east-2')!.max).toBe(3);
    expect(live.get('copy:us-west-2')!.max).toBe(3);
  });

  it('a failure blocks what depends on it, directly or not, and nothing else', async () => {
    const { results } = await run([
      node('parent', { outcome: 'failed' }),
      node('child', { needs: ['parent'] }),
      node('grandchild', { needs: ['child'] }),
      node('other'),
    ]);
    expect(results.get('parent')?.state).toBe('failed');
    expect(results.get('child')).toMatchObject({ state: 'blocked', blockedBy: 'parent' });
    expect(results.get('grandchild')).toMatchObject({ state: 'blocked', blockedBy: 'parent' });
    expect(results.get('other')?.state).toBe('succeeded');
  });

  it('a thrown error is a failure that keeps the error', async () => {
    const { results } = await run([node('a', { outcome: 'throw' })]);
    expect(results.get('a')?.state).toBe('failed');
    expect(String(results.get('a')?.error)).toContain('a broke');
  });

  it('skipped nodes satisfy their dependents and never run', async () => {
    const log: string[] = [];
    const { results } = await run([node('parent', { skip: true, log }), node('child', { needs: ['parent'], log })]);
    expect(results.get('parent')?.state).toBe('skipped');
    expect(results.get('child')?.state).toBe('succeeded');
    expect(log).toEqual(['start child', 'end child']);
  });

  it('--fail-fast: the first failure cancels the running nodes (through their signal) and the queued ones', async () => {
    const { results, started } = await run(
      [node('bad', { outcome: 'failed' }), node('slow', { outcome: 'hang' }), node('later'), node('latest')],
      { limit: { build: 2 }, failFast: true },
    );
    expect(results.get('bad')?.state).toBe('failed');
    expect(results.get('slow')?.state).toBe('cancelled');
    expect(results.get('later')?.state).toBe('cancelled');
    expect(results.get('latest')?.state).toBe('cancelled');
    expect(started).toEqual(['bad', 'slow']);
  });

  it('an abort cancels what has not started and reaches what runs', async () => {
    const controller = new AbortController();
    const states: [string, NodeState][] = [];
    const pending = runGraph([node('a', { outcome: 'hang' }), node('b', { needs: ['a'] })], {
      limit: () => 1,
      signal: controller.signal,
      onState: (id, state) => states.push([id, state]),
    });
    setTimeout(() => controller.abort(), 20);
    const { results } = await pending;
    expect(results.get('a')?.state).toBe('cancelled');
    expect(results.get('b')?.state).toBe('cancelled');
    expect(states).toContainEqual(['a', 'running']);
    expect(states).not.toContainEqual(['b', 'running']);
  });

  it('a ready child goes before unrelated queued roots (it is on the longer chain)', async () => {
    const { started } = await run([node('parent'), node('u1'), node('u2'), node('u3'), node('child', { needs: ['parent'] })], {
      limit: { build: 1 },
    });
    expect(started[0]).toBe('parent');
    expect(started[1]).toBe('child');
  });

  it('refuses a graph with a cycle or an unknown dependency', async () => {
    await expect(run([node('a', { needs: ['b'] }), node('b', { needs: ['a'] })])).rejects.toThrow(/cycle/);
    await expect(run([node('a', { needs: ['missing'] })])).rejects.toThrow(/not in the graph/);
  });
});
