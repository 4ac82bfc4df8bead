import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { PrismError } from '../../core/errors.js';
import { acquireLock, type LockHolder } from '../../core/file-lock.js';
import { emptyRegistry, parseRegistry, serializeRegistry } from '../document.js';
import type { RegistryDocument } from '../model.js';
import { FileManifestStore } from '../manifest/store.js';
import type { Change } from '../operations.js';
import type { RegistryStore, StoreUpdate } from '../store.js';

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export interface FileStoreOptions {
  /** How long an update waits for another process's lock (default 30 s). */
  lockTimeoutMs?: number;
  /** Called once when the lock is busy, with its holder. */
  onWait?: (holder: LockHolder | undefined) => void;
  signal?: AbortSignal;
}

/**
 * `file:PATH`: updates hold `<file>.lock` (core/file-lock), read the file, write the new
 * document to a temp file, fsync and rename it over the old one, so readers see the old or the
 * new document, never a mix. The previous document is kept as `<file>.bak`. A missing file is an
 * empty registry; a corrupt one is an error and is never overwritten.
 */
export class FileRegistryStore implements RegistryStore {
  readonly location: string;
  readonly manifests: FileManifestStore;

  constructor(
    readonly path: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.location = `file:${path}`;
    this.manifests = new FileManifestStore(path);
  }

  async read(): Promise<RegistryDocument> {
    return (await this.readRaw()).document;
  }

  async update<T>(change: (doc: RegistryDocument) => Change<T>): Promise<StoreUpdate<T>> {
    const lock = await acquireLock(`${this.path}.lock`, {
      timeoutMs: this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      purpose: 'registry update',
      ...(this.options.onWait ? { onWait: this.options.onWait } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    }).catch((error: unknown) => {
      throw this.ioError(error, 'lock');
    });
    try {
      const { text, document } = await this.readRaw();
      const { document: after, changed, result } = change(document);
      if (changed) {
        try {
          if (text !== undefined) await writeFileAtomic(`${this.path}.bak`, text);
          await writeFileAtomic(this.path, serializeRegistry(after));
        } catch (error) {
          throw this.ioError(error, 'write');
        }
      }
      return { before: document, after, changed, result, attempts: 1 };
    } finally {
      await lock.release();
    }
  }

  close(): void {}

  private async readRaw(): Promise<{ text?: string; document: RegistryDocument }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { document: emptyRegistry() };
      throw this.ioError(error, 'read');
    }
    return { text, document: parseRegistry(text, this.path) };
  }

  private ioError(error: unknown, doing: 'lock' | 'read' | 'write'): unknown {
    if (error instanceof PrismError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? 'the folder does not exist: create it, or fix --registry / PRISM_AMI_REGISTRY / registry in the config'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'check the permissions of the file and its folder'
          : code === 'EISDIR'
            ? 'the registry path is a folder; name a file, e.g. file:./ami-registry.json'
            : 'check the path given with --registry';
    return new PrismError('REGISTRY_UNREACHABLE', `cannot ${doing} the registry ${this.path}: ${(error as Error).message}`, {
      hint,
      cause: error,
    });
  }
}
