import { open } from 'node:fs/promises';
import { PrismError } from '../../core/errors.js';
import type { Container } from './container.js';

/**
 * A file of a running container, read through `/proc/<leader>/root`: its own mounts included
 * (the /run tmpfs the package manifest is written to), which the overlay's merged folder does
 * not show. For prism-ami's own files, whose paths hold no symbolic links.
 */
export async function readContainerFile(container: Container, path: string, maxBytes: number): Promise<Buffer> {
  const file = `/proc/${container.leaderPid}/root${path}`;
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new PrismError('BUILD_FAILED', `reading ${path} in container ${container.name} failed: ${error.code ?? error.message}`);
  });
  try {
    const { size } = await handle.stat();
    if (size > maxBytes)
      throw new PrismError('BUILD_FAILED', `${path} in container ${container.name} is ${size} bytes, more than ${maxBytes}`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
