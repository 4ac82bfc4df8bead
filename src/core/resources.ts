/** Something a run created in the cloud or on this machine, with what removes it. */
export interface Resource {
  /** e.g. instance, security-group, image, snapshot, container, mount, directory. */
  kind: string;
  id: string;
  provider: string;
  region: string;
  /** Human label, e.g. "instance i-0abc (t3.medium)". */
  label: string;
  /** Provider-specific data needed to remove it later (paths, pids). */
  detail?: Record<string, string | number>;
}

export function resourceKey(r: Pick<Resource, 'provider' | 'region' | 'kind' | 'id'>): string {
  return `${r.provider}:${r.region}:${r.kind}:${r.id}`;
}

export interface AddOptions {
  /** The build machine (and what it runs on), which --keep-on-failure leaves for inspection. */
  keepOnFailure?: boolean;
  /**
   * Part of what the run makes (the image, its snapshots, its copies): removed if the run fails
   * before its products are committed, kept after.
   */
  product?: boolean;
}

export interface CleanupHandle {
  /** The resource outlives the run on purpose (the finished image): never clean it up. */
  commit(): Promise<void>;
  /** Remove it now (e.g. the build machine once its image is made). */
  removeNow(): Promise<void>;
  /** The resource is on its way out (e.g. termination asked for): --keep-on-failure no longer keeps it. */
  dropKeepOnFailure(): void;
}

/**
 * Where whatever creates a resource registers its removal, before anything else happens. The
 * engine's cleanup stack implements it; providers only see this interface.
 */
export interface CleanupRegistry {
  add(resource: Resource, remove: () => Promise<void>, options?: AddOptions): Promise<CleanupHandle>;
}
