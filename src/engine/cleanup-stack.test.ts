import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { CleanupStack } from './cleanup-stack.js';
import { resourceKey, type Resource } from '../core/resources.js';
import { Journal, readJournals } from './journal.js';

function resource(kind: string, id: string): Resource {
  return { kind, id, provider: 'local', region: 'local', label: `${kind} ${id}` };
}

/** Removal functions that record what they removed, in order; `failing` ids throw. */
function remover(failing: string[] = []) {
  const removed: string[] = [];
  const remove = (id: string) => async () => {
    if (failing.includes(id)) throw new Error(`cannot remove ${id}`);
    removed.push(id);
  };
  return { removed, remove };
}

type Events = [string, string, string?][];

function stackWithEvents(journal?: Journal): { stack: CleanupStack; events: Events } {
  const events: Events = [];
  const stack = new CleanupStack({
    ...(journal ? { journal } : {}),
    onEvent: (r, status, error) => events.push(error === undefined ? [r.id, status] : [r.id, status, error]),
  });
  return { stack, events };
}

async function journalLines(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  // Node reaps the child before it emits 'exit', so the pid names no process any more.
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return pid;
}

describe('CleanupStack', () => {
  it('removes everything newest first and reports each removal', async () => {
    const { removed, remove } = remover();
    const { stack, events } = stackWithEvents();
    for (const id of ['a', 'b', 'c']) await stack.add(resource('thing', id), remove(id));
    expect(stack.pending().map((r) => r.id)).toEqual(['a', 'b', 'c']);
    const result = await stack.unwind();
    expect(removed).toEqual(['c', 'b', 'a']);
    expect(result.removed.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(result.kept).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(events).toEqual([
      ['c', 'removed'],
      ['b', 'removed'],
      ['a', 'removed'],
    ]);
    expect(stack.pending()).toEqual([]);
    // A second unwind has nothing left to do.
    expect((await stack.unwind()).removed).toEqual([]);
    expect(removed).toEqual(['c', 'b', 'a']);
  });

  it('reports a failing removal and still runs the rest', async () => {
    const { removed, remove } = remover(['b']);
    const { stack, events } = stackWithEvents();
    for (const id of ['a', 'b', 'c']) await stack.add(resource('thing', id), remove(id));
    const result = await stack.unwind();
    expect(removed).toEqual(['c', 'a']);
    expect(result.failed).toEqual([{ resource: resource('thing', 'b'), error: 'cannot remove b' }]);
    expect(result.removed.map((r) => r.id)).toEqual(['c', 'a']);
    expect(events).toEqual([
      ['c', 'removed'],
      ['b', 'failed', 'cannot remove b'],
      ['a', 'removed'],
    ]);
  });

  it('keeps keepOnFailure entries with keepMachine, and removes the rest', async () => {
    const { removed, remove } = remover();
    const { stack, events } = stackWithEvents();
    await stack.add(resource('security-group', 'sg'), remove('sg'));
    await stack.add(resource('instance', 'i-1'), remove('i-1'), { keepOnFailure: true });
    await stack.add(resource('volume', 'vol'), remove('vol'));
    const result = await stack.unwind({ keepMachine: true });
    expect(removed).toEqual(['vol', 'sg']);
    expect(result.kept.map((r) => r.id)).toEqual(['i-1']);
    expect(events).toContainEqual(['i-1', 'kept']);
    expect(stack.pending()).toEqual([]);
  });

  it('removes keepOnFailure entries when the machine is not to be kept', async () => {
    for (const options of [{}, { keepMachine: false }]) {
      const { removed, remove } = remover();
      const stack = new CleanupStack();
      await stack.add(resource('instance', 'i-1'), remove('i-1'), { keepOnFailure: true });
      const result = await stack.unwind(options);
      expect(removed).toEqual(['i-1']);
      expect(result.kept).toEqual([]);
    }
  });

  it('commitProducts keeps products out of the unwind; before it they are removed', async () => {
    const committed = remover();
    const stack = new CleanupStack();
    await stack.add(resource('instance', 'i-1'), committed.remove('i-1'));
    await stack.add(resource('image', 'ami-1'), committed.remove('ami-1'), { product: true });
    await stack.add(resource('snapshot', 'snap-1'), committed.remove('snap-1'), { product: true });
    await stack.commitProducts();
    expect(stack.pending().map((r) => r.id)).toEqual(['i-1']);
    const result = await stack.unwind();
    expect(committed.removed).toEqual(['i-1']);
    expect(result.removed.map((r) => r.id)).toEqual(['i-1']);

    const uncommitted = remover();
    const failed = new CleanupStack();
    await failed.add(resource('instance', 'i-2'), uncommitted.remove('i-2'));
    await failed.add(resource('image', 'ami-2'), uncommitted.remove('ami-2'), { product: true });
    await failed.unwind({ keepMachine: true });
    expect(uncommitted.removed).toEqual(['ami-2', 'i-2']);
  });

  it('a handle commit keeps that one resource out of the unwind', async () => {
    const { removed, remove } = remover();
    const stack = new CleanupStack();
    await stack.add(resource('thing', 'a'), remove('a'));
    const handle = await stack.add(resource('thing', 'b'), remove('b'));
    await handle.commit();
    await stack.unwind();
    expect(removed).toEqual(['a']);
  });

  it('removeNow removes at once and not again at unwind', async () => {
    const { removed, remove } = remover();
    const { stack, events } = stackWithEvents();
    await stack.add(resource('thing', 'a'), remove('a'));
    const handle = await stack.add(resource('thing', 'b'), remove('b'));
    await stack.add(resource('thing', 'c'), remove('c'));
    await handle.removeNow();
    expect(removed).toEqual(['b']);
    expect(events).toEqual([['b', 'removed']]);
    expect(stack.pending().map((r) => r.id)).toEqual(['a', 'c']);
    await handle.removeNow();
    const result = await stack.unwind();
    expect(removed).toEqual(['b', 'c', 'a']);
    expect(result.removed.map((r) => r.id)).toEqual(['c', 'a']);
  });

  it('removeNow that fails throws and leaves the resource for the unwind to try again', async () => {
    let attempts = 0;
    const stack = new CleanupStack();
    const handle = await stack.add(resource('thing', 'a'), async () => {
      attempts++;
      if (attempts === 1) throw new Error('busy');
    });
    await expect(handle.removeNow()).rejects.toThrow('busy');
    expect(stack.pending().map((r) => r.id)).toEqual(['a']);
    const result = await stack.unwind();
    expect(attempts).toBe(2);
    expect(result.removed.map((r) => r.id)).toEqual(['a']);
  });

  describe('with a real journal', () => {
    it('records created, removed and kept, and leaves a journal of what stayed', async () => {
      const dir = await tempDir();
      const journal = await Journal.open(dir, { buildId: 'build-test1', provider: 'local', description: 'build demo x86_64 in local' });
      const { remove } = remover();
      const stack = new CleanupStack({ journal });
      const machine = resource('container', 'prism-1');
      await stack.add(resource('directory', '/work/x'), remove('dir'));
      await stack.add(machine, remove('prism-1'), { keepOnFailure: true });
      await stack.add(resource('image', 'limg-1'), remove('limg-1'), { product: true });
      await stack.unwind({ keepMachine: true });
      await journal.end('failed', 1);

      expect(journal.file).toBe(join(dir, 'build-test1.jsonl'));
      const lines = await journalLines(journal.file);
      expect(lines.map((l) => l.type)).toEqual(['run', 'created', 'created', 'created', 'removed', 'kept', 'removed', 'end']);
      expect(lines[0]).toMatchObject({ buildId: 'build-test1', pid: process.pid, host: hostname(), provider: 'local' });
      expect(lines[1]).toMatchObject({ resource: resource('directory', '/work/x') });
      expect(lines[4]).toMatchObject({ key: resourceKey(resource('image', 'limg-1')) });
      expect(lines[5]).toMatchObject({ key: resourceKey(machine), why: 'keep-on-failure' });
      expect(lines[6]).toMatchObject({ key: resourceKey(resource('directory', '/work/x')) });
      expect(lines[7]).toMatchObject({ status: 'failed' });

      const [run] = await readJournals(dir);
      expect(run).toMatchObject({ buildId: 'build-test1', ended: true, active: false, leftovers: [], kept: [machine] });
    });

    it('records a committed product as kept, not as a leftover', async () => {
      const dir = await tempDir();
      const journal = await Journal.open(dir, { buildId: 'build-test2', provider: 'local', description: 'd' });
      const stack = new CleanupStack({ journal });
      await stack.add(resource('image', 'limg-2'), async () => undefined, { product: true });
      await stack.commitProducts();
      const lines = await journalLines(journal.file);
      expect(lines.at(-1)).toMatchObject({ type: 'kept', key: resourceKey(resource('image', 'limg-2')), why: 'product' });
      const [run] = await readJournals(dir);
      expect(run.leftovers).toEqual([]);
      expect(run.kept).toEqual([]);
      expect(run.active).toBe(true);
    });

    it('lists a failed removal as a leftover', async () => {
      const dir = await tempDir();
      const journal = await Journal.open(dir, { buildId: 'build-test3', provider: 'aws', description: 'd' });
      const stack = new CleanupStack({ journal });
      const { remove } = remover(['sg-1']);
      await stack.add(resource('security-group', 'sg-1'), remove('sg-1'));
      await stack.add(resource('instance', 'i-1'), remove('i-1'));
      const result = await stack.unwind();
      await journal.end('failed', result.failed.length);
      const [run] = await readJournals(dir);
      expect(run.leftovers).toEqual([resource('security-group', 'sg-1')]);
    });

    it('deletes a journal with nothing left at end', async () => {
      const dir = await tempDir();
      const journal = await Journal.open(dir, { buildId: 'build-test4', provider: 'local', description: 'd' });
      const stack = new CleanupStack({ journal });
      await stack.add(resource('thing', 'a'), async () => undefined);
      expect(await readdir(dir)).toEqual(['build-test4.jsonl']);
      await stack.unwind();
      await journal.end('succeeded', 0);
      expect(await readdir(dir)).toEqual([]);
      expect(await readJournals(dir)).toEqual([]);
    });

    it('readJournals reports the leftovers of a run whose process died, and none for a finished run', async () => {
      const dir = await tempDir();
      const pid = await deadPid();
      const started = new Date().toISOString();
      const orphan = resource('container', 'prism-dead');
      const removedOne = resource('mount', '/m');
      const lines = (entries: object[]) => `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
      await writeFile(
        join(dir, 'build-dead.jsonl'),
        lines([
          { type: 'run', buildId: 'build-dead', pid, host: hostname(), started, provider: 'local', description: 'build x' },
          { type: 'created', resource: removedOne, at: started },
          { type: 'created', resource: orphan, at: started },
          { type: 'removed', key: resourceKey(removedOne), at: started },
        ]) + 'not json at all\n',
      );
      await writeFile(
        join(dir, 'build-done.jsonl'),
        lines([
          { type: 'run', buildId: 'build-done', pid, host: hostname(), started, provider: 'local', description: 'build y' },
          { type: 'created', resource: removedOne, at: started },
          { type: 'removed', key: resourceKey(removedOne), at: started },
          { type: 'end', status: 'succeeded', at: started },
        ]),
      );
      // A live process's run is active: its resources are in use.
      await writeFile(
        join(dir, 'build-live.jsonl'),
        lines([
          { type: 'run', buildId: 'build-live', pid: process.pid, host: hostname(), started, provider: 'local', description: 'build z' },
          { type: 'created', resource: orphan, at: started },
        ]),
      );
      await writeFile(join(dir, 'notes.txt'), 'ignored');

      const runs = await readJournals(dir);
      expect(runs.map((r) => r.buildId)).toEqual(['build-dead', 'build-done', 'build-live']);
      const [dead, done, live] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
      expect(dead).toMatchObject({ pid, ended: false, active: false, leftovers: [orphan], kept: [] });
      expect(done).toMatchObject({ ended: true, active: false, leftovers: [] });
      expect(live).toMatchObject({ ended: false, active: true, leftovers: [orphan] });
    });

    it('readJournals of a missing folder is empty', async () => {
      expect(await readJournals(join(await tempDir(), 'nope'))).toEqual([]);
    });
  });
});
