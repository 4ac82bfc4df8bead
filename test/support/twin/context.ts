import type { CleanupHandle, CleanupRegistry, Resource } from '../../../src/core/resources.js';
import type { ProviderContext } from '../../../src/providers/provider.js';

/**
 * What the local provider's container functions need to run outside a build: a cleanup registry
 * that removes everything still registered when the twin stops (newest first), a signal, a log.
 */
export class TwinCleanups implements CleanupRegistry {
  private readonly entries = new Map<number, { resource: Resource; remove: () => Promise<void> }>();
  private next = 0;

  add(resource: Resource, remove: () => Promise<void>): Promise<CleanupHandle> {
    const id = this.next++;
    this.entries.set(id, { resource, remove });
    const removeNow = async () => {
      const entry = this.entries.get(id);
      if (!entry) return;
      this.entries.delete(id);
      await entry.remove();
    };
    return Promise.resolve({
      commit: () => {
        this.entries.delete(id);
        return Promise.resolve();
      },
      removeNow,
      dropKeepOnFailure: () => undefined,
    });
  }

  /** What is still registered (labels), e.g. to show what a failed removal left. */
  get pending(): string[] {
    return [...this.entries.values()].map((e) => e.resource.label);
  }

  /** Removes everything still registered, newest first; every removal is tried, the errors are returned. */
  async removeAll(): Promise<string[]> {
    const errors: string[] = [];
    for (const id of [...this.entries.keys()].sort((a, b) => b - a)) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      this.entries.delete(id);
      await entry.remove().catch((error: unknown) => errors.push(`${entry.resource.label}: ${String(error)}`));
    }
    return errors;
  }
}

export function twinContext(cleanups: CleanupRegistry, signal: AbortSignal, logFile: string, log: (line: string) => void): ProviderContext {
  return { signal, logFile, cleanups, log, progress: log, emit: () => undefined };
}
