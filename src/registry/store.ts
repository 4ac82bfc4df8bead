import type { RegistryDocument } from './model.js';
import type { ManifestStore } from './manifest/store.js';
import type { Change } from './operations.js';

/**
 * Where a registry document lives. `update` is a read-modify-write that never loses a
 * concurrent update: the file store holds a lock, the S3 store retries on a conditional-write
 * conflict (so `change` may run more than once and must be pure). Nothing is written when the
 * change reports `changed: false` or throws.
 */
export interface RegistryStore {
  /** `file:/abs/path.json` or `s3://bucket/key`, for messages. */
  readonly location: string;
  /** The document; an empty registry when there is none yet. */
  read(): Promise<RegistryDocument>;
  update<T>(change: (doc: RegistryDocument) => Change<T>): Promise<StoreUpdate<T>>;
  /** The image manifests kept next to the document (a sidecar per image ID). */
  readonly manifests: ManifestStore;
  /** Releases clients and handles. */
  close(): void;
}

export interface StoreUpdate<T> {
  before: RegistryDocument;
  after: RegistryDocument;
  changed: boolean;
  result: T;
  /** Attempts it took (1 unless a conditional write lost a race). */
  attempts: number;
}
