import { randomBytes } from 'node:crypto';

/** A short random hex id; `prefix-` followed by `bytes * 2` hex digits. */
export function randomId(prefix: string, bytes = 6): string {
  return `${prefix}-${randomBytes(bytes).toString('hex')}`;
}

export function newBuildId(): string {
  return randomId('build');
}
