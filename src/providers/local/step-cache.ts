import { mkdir, readdir, readFile, rename, utimes, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeTree, runHost } from './host.js';

/** What the cache knows about one entry (`entry.json` next to its layer). */
export interface StepCacheEntry {
  key: string;
  template: string;
  /** 1-based position and name of the setup step the layer is the state after. */
  step: number;
  stepName: string;
  architecture: string;
  sizeBytes: number;
  created: string;
  /** When a build last started from it (the file's mtime; pruning removes the least recent first). */
  lastUsed: string;
}

const ENTRY = 'entry.json';
const LAYER = 'layer';

/**
 * The local step cache: the overlay's upper layer after each setup step, named by the step's
 * chain key (engine/step-keys.ts), so a rebuild starts from the state after the longest
 * unchanged prefix of steps instead of from the base. Entries are written to a temporary name
 * and renamed, so a reader never sees half of one, and two builds writing the same key keep one.
 * `cp -a` keeps owners, modes, xattrs and overlay whiteouts (deleted base files stay deleted).
 */
export class StepCache {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** The last key of `keys` whose state is cached, with its position (0-based). */
  async longestPrefix(keys: readonly string[]): Promise<{ index: number; entry: StepCacheEntry; layer: string } | undefined> {
    for (let index = keys.length - 1; index >= 0; index--) {
      const entry = await this.read(keys[index]);
      if (entry) return { index, entry, layer: join(this.dir, keys[index], LAYER) };
    }
    return undefined;
  }

  /** Copies a cached layer into an empty upper layer (before the overlay is mounted). */
  async restore(key: string, upper: string, signal?: AbortSignal): Promise<boolean> {
    const from = join(this.dir, key, LAYER);
    const copied = await runHost('cp', ['-a', '--', `${from}/.`, upper], { signal });
    if (copied.code !== 0) return false;
    const now = new Date();
    await utimes(join(this.dir, key, ENTRY), now, now).catch(() => undefined);
    return true;
  }

  /** Stores the upper layer as the state after a step, then prunes to the size bound. */
  async save(
    key: string,
    upper: string,
    info: Omit<StepCacheEntry, 'key' | 'sizeBytes' | 'created' | 'lastUsed'>,
    signal?: AbortSignal,
  ): Promise<void> {
    if (await this.read(key)) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = join(this.dir, `.${key}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(temp);
      await runHost('cp', ['-a', '--', upper, join(temp, LAYER)], { check: true, signal });
      const du = await runHost('du', ['-s', '-B1', join(temp, LAYER)]);
      const now = new Date().toISOString();
      const entry: StepCacheEntry = { key, ...info, sizeBytes: Number(du.stdout.split(/\s+/)[0]) || 0, created: now, lastUsed: now };
      await writeFile(join(temp, ENTRY), `${JSON.stringify(entry, null, 2)}\n`);
      await rename(temp, join(this.dir, key)).catch((error: NodeJS.ErrnoException) => {
        // Another build stored the same state first: keep theirs.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await removeTree(temp).catch(() => undefined);
    }
    await this.prune({ maxBytes: this.maxBytes, keep: key });
  }

  /** Every entry, the most recently used first. */
  async list(): Promise<StepCacheEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries = await Promise.all(names.filter((n) => !n.startsWith('.')).map((n) => this.read(n)));
    return entries.filter((e): e is StepCacheEntry => e !== undefined).sort((a, b) => b.lastUsed.localeCompare(a.lastUsed));
  }

  /**
   * Removes entries: all of them, those unused since `olderThan`, or the least recently used
   * until the rest fit in `maxBytes`. Half-written entries of dead builds go too.
   */
  async prune(options: { all?: boolean; olderThan?: Date; maxBytes?: number; keep?: string }): Promise<StepCacheEntry[]> {
    const removed: StepCacheEntry[] = [];
    let total = 0;
    for (const entry of await this.list()) {
      const stale = options.olderThan !== undefined && new Date(entry.lastUsed) < options.olderThan;
      const over = options.maxBytes !== undefined && total + entry.sizeBytes > options.maxBytes && entry.key !== options.keep;
      if (options.all || stale || over) {
        await removeTree(join(this.dir, entry.key));
        removed.push(entry);
      } else total += entry.sizeBytes;
    }
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!name.endsWith('.tmp')) continue;
      const age = Date.now() - (await stat(join(this.dir, name)).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (options.all || age > 24 * 3_600_000) await removeTree(join(this.dir, name));
    }
    return removed;
  }

  private async read(key: string): Promise<StepCacheEntry | undefined> {
    const file = join(this.dir, key, ENTRY);
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      return { ...(JSON.parse(text) as StepCacheEntry), lastUsed: info.mtime.toISOString() };
    } catch {
      return undefined;
    }
  }
}
