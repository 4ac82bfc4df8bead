import type { CleanupStack } from './cleanup-stack.js';
import type { Resource } from '../core/resources.js';

/**
 * The runs in progress in this process, so a second Ctrl-C can say what may be left before the
 * process exits without cleaning up.
 */
export class RunTracker {
  private readonly stacks = new Set<CleanupStack>();
  private readonly providers = new Set<string>();

  add(stack: CleanupStack, provider: string): () => void {
    this.stacks.add(stack);
    this.providers.add(provider);
    return () => this.stacks.delete(stack);
  }

  pending(): Resource[] {
    return [...this.stacks].flatMap((s) => s.pending());
  }

  providerNames(): string[] {
    return [...this.providers];
  }
}
