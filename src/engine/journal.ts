import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../core/file-lock.js';
import { resourceKey, type Resource } from '../core/resources.js';

type JournalEntry =
  | { type: 'run'; buildId: string; pid: number; host: string; started: string; provider: string; description: string }
  | { type: 'created'; resource: Resource; at: string }
  | { type: 'removed'; key: string; at: string }
  | { type: 'kept'; key: string; at: string; why: string }
  | { type: 'end'; status: string; at: string };

/**
 * The run journal: an append-only file per run listing every resource as it is created and as it
 * is removed. If the run dies (crash, SIGKILL, lost machine), `prism ami sweep` finds what it
 * left from here.
 */
export class Journal {
  readonly file: string;
  private queue: Promise<void> = Promise.resolve();

  private constructor(file: string) {
    this.file = file;
  }

  static async open(dir: string, run: { buildId: string; provider: string; description: string }): Promise<Journal> {
    await mkdir(dir, { recursive: true });
    const journal = new Journal(join(dir, `${run.buildId}.jsonl`));
    await journal.append({ type: 'run', ...run, pid: process.pid, host: hostname(), started: new Date().toISOString() });
    return journal;
  }

  created(resource: Resource): Promise<void> {
    return this.append({ type: 'created', resource, at: new Date().toISOString() });
  }

  removed(resource: Resource): Promise<void> {
    return this.append({ type: 'removed', key: resourceKey(resource), at: new Date().toISOString() });
  }

  /** A resource that outlives the run on purpose (the image it made, a kept build machine). */
  kept(resource: Resource, why: string): Promise<void> {
    return this.append({ type: 'kept', key: resourceKey(resource), at: new Date().toISOString(), why });
  }

  /** Ends the run; a journal with nothing left is deleted. */
  async end(status: string, leftovers: number): Promise<void> {
    await this.append({ type: 'end', status, at: new Date().toISOString() });
    if (leftovers === 0) await rm(this.file, { force: true });
  }

  private append(entry: JournalEntry): Promise<void> {
    // Serialised, and each line is written before the caller goes on.
    this.queue = this.queue.then(() => appendFile(this.file, `${JSON.stringify(entry)}\n`, { flush: true }));
    return this.queue;
  }
}

export interface JournalRun {
  file: string;
  buildId: string;
  pid: number;
  host: string;
  started: string;
  provider: string;
  description: string;
  ended: boolean;
  /** The run's process is still alive on this host: its resources are in use. */
  active: boolean;
  /** Created and neither removed nor kept on purpose. */
  leftovers: Resource[];
  /** Kept on purpose by --keep-on-failure (removable by sweep on request). */
  kept: Resource[];
}

/** Reads every journal in a folder; unreadable lines are skipped, never fatal. */
export async function readJournals(dir: string): Promise<JournalRun[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const runs: JournalRun[] = [];
  for (const name of names.filter((n) => n.endsWith('.jsonl')).sort()) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch(() => '');
    const created = new Map<string, Resource>();
    const kept = new Map<string, Resource>();
    let header: Extract<JournalEntry, { type: 'run' }> | undefined;
    let ended = false;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue;
      }
      if (entry.type === 'run') header = entry;
      else if (entry.type === 'created') created.set(resourceKey(entry.resource), entry.resource);
      else if (entry.type === 'removed') {
        created.delete(entry.key);
        kept.delete(entry.key);
      } else if (entry.type === 'kept') {
        const resource = created.get(entry.key);
        created.delete(entry.key);
        if (resource && entry.why === 'keep-on-failure') kept.set(entry.key, resource);
      } else if (entry.type === 'end') ended = true;
    }
    if (!header) continue;
    const active = !ended && header.host === hostname() && processAlive(header.pid);
    runs.push({
      file,
      buildId: header.buildId,
      pid: header.pid,
      host: header.host,
      started: header.started,
      provider: header.provider,
      description: header.description,
      ended,
      active,
      leftovers: [...created.values()],
      kept: [...kept.values()],
    });
  }
  return runs;
}
