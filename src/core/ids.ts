import { randomBytes } from 'node:crypto';

/** A short random hex id; `prefix-` followed by `bytes * 2` hex digits. */
export function randomId(prefix: string, bytes = 6): string {
  return `${prefix}-${randomBytes(bytes).toString('hex')}`;
}

export function newBuildId(): string {
  return randomId('build');
}

/**
 * `ami-` and 8 to 17 lowercase letters or digits. Real IDs are hex; the seed's examples
 * (`ami-0efgh5678`) are not, and the seed's registry must load as written.
 */
export const AMI_ID_PATTERN = /^ami-[0-9a-z]{8,17}$/;

/** Local images (the local provider's store): `limg-` and 12 hex digits. */
export const LOCAL_IMAGE_ID_PATTERN = /^limg-[0-9a-f]{12}$/;
