import { errorMessage } from '../core/errors.js';
import type { AddOptions, CleanupHandle, CleanupRegistry, Resource } from '../core/resources.js';
import type { Journal } from './journal.js';

interface Entry {
  resource: Resource;
  remove: () => Promise<void>;
  keepOnFailure: boolean;
  product: boolean;
}

export interface UnwindResult {
  removed: Resource[];
  kept: Resource[];
  failed: { resource: Resource; error: string }[];
}

/**
 * What a run has created, newest last. Every step that creates something registers its removal
 * here (and in the journal) before the next step runs; `unwind` removes them in reverse order.
 */
export class CleanupStack implements CleanupRegistry {
  private readonly entries: Entry[] = [];
  private readonly journal: Journal | undefined;
  private readonly onEvent: ((resource: Resource, status: 'removed' | 'kept' | 'failed', error?: string) => void) | undefined;

  constructor(
    options: { journal?: Journal; onEvent?: (resource: Resource, status: 'removed' | 'kept' | 'failed', error?: string) => void } = {},
  ) {
    this.journal = options.journal;
    this.onEvent = options.onEvent;
  }

  /** Registers a resource that now exists, before anything else happens. */
  async add(resource: Resource, remove: () => Promise<void>, options: AddOptions = {}): Promise<CleanupHandle> {
    const entry: Entry = { resource, remove, keepOnFailure: options.keepOnFailure ?? false, product: options.product ?? false };
    this.entries.push(entry);
    await this.journal?.created(resource);
    return {
      commit: async () => {
        this.drop(entry);
        await this.journal?.kept(resource, 'product');
      },
      removeNow: async () => {
        if (!this.entries.includes(entry)) return;
        this.drop(entry);
        await this.removeOne(entry, { removed: [], kept: [], failed: [] }, true);
      },
      dropKeepOnFailure: () => {
        entry.keepOnFailure = false;
      },
    };
  }

  /** The run's products are finished: they outlive it from now on. */
  async commitProducts(): Promise<void> {
    for (const entry of this.entries.filter((e) => e.product)) {
      this.drop(entry);
      await this.journal?.kept(entry.resource, 'product');
    }
  }

  /**
   * From now on a machine kept by --keep-on-failure depends on the run's products (it boots from
   * the image): they are kept with it.
   */
  keepProductsWithMachine(): void {
    for (const entry of this.entries) if (entry.product) entry.keepOnFailure = true;
  }

  /** What would remain if the process died now. */
  pending(): Resource[] {
    return this.entries.map((e) => e.resource);
  }

  /**
   * Removes everything still registered, newest first. A removal that fails is reported and the
   * rest still run. With `keepMachine`, entries marked keepOnFailure stay (and stay journaled).
   */
  async unwind(options: { keepMachine?: boolean } = {}): Promise<UnwindResult> {
    const result: UnwindResult = { removed: [], kept: [], failed: [] };
    while (this.entries.length > 0) {
      const entry = this.entries.pop()!;
      if (options.keepMachine && entry.keepOnFailure) {
        result.kept.push(entry.resource);
        this.onEvent?.(entry.resource, 'kept');
        await this.journal?.kept(entry.resource, 'keep-on-failure');
        continue;
      }
      await this.removeOne(entry, result, false);
    }
    return result;
  }

  private async removeOne(entry: Entry, result: UnwindResult, rethrow: boolean): Promise<void> {
    try {
      await entry.remove();
      result.removed.push(entry.resource);
      this.onEvent?.(entry.resource, 'removed');
      await this.journal?.removed(entry.resource);
    } catch (error) {
      result.failed.push({ resource: entry.resource, error: errorMessage(error) });
      this.onEvent?.(entry.resource, 'failed', errorMessage(error));
      if (rethrow) {
        // Keep it registered so the final unwind tries again.
        this.entries.push(entry);
        throw error;
      }
    }
  }

  private drop(entry: Entry): void {
    const index = this.entries.indexOf(entry);
    if (index !== -1) this.entries.splice(index, 1);
  }
}
