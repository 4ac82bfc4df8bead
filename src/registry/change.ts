import type { RegistryDocument, Slot } from './model.js';
import type { Change } from './operations.js';
import { changedSlots, type PublishedParameter, type SsmPublisher } from './publish-ssm.js';
import type { RegistryStore, StoreUpdate } from './store.js';

export interface ChangeRegistryOptions<T> {
  /** Publish current images to SSM after the change. */
  publisher?: SsmPublisher;
  /** Slots to publish even when unchanged (so running a command again repairs a failed publication). */
  touched?: (result: T) => Slot[];
}

export interface ChangeOutcome<T> extends StoreUpdate<T> {
  published: PublishedParameter[];
}

/**
 * Applies a pure operation to a store, then publishes what changed. Publication reads the
 * registry again first, so when several writers race, the parameters end up showing the
 * registry's latest state rather than this writer's.
 */
export async function changeRegistry<T>(
  store: RegistryStore,
  change: (doc: RegistryDocument) => Change<T>,
  options: ChangeRegistryOptions<T> = {},
): Promise<ChangeOutcome<T>> {
  const outcome = await store.update(change);
  if (!options.publisher) return { ...outcome, published: [] };
  const slots = [...changedSlots(outcome.before, outcome.after), ...(options.touched?.(outcome.result) ?? [])];
  if (slots.length === 0) return { ...outcome, published: [] };
  const latest = outcome.changed ? await store.read() : outcome.after;
  return { ...outcome, published: await options.publisher.reconcile(latest, slots) };
}
