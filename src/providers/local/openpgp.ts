import { createHash } from 'node:crypto';

/** A primary key of an OpenPGP keyring: its v4 fingerprint (40 hex digits, upper case). */
export interface KeyringKey {
  fingerprint: string;
  version: number;
}

/**
 * The primary keys of a binary OpenPGP keyring (RFC 4880 §4 packets; a `.gpg` keyring as apt and
 * debootstrap use it). Only what is needed to check a keyring against pinned fingerprints: the
 * v4 fingerprint is SHA-1 over 0x99, the two-byte body length and the public-key packet body
 * (RFC 4880 §12.2). Keys of other versions are listed with an empty fingerprint, so a check
 * against pinned v4 fingerprints refuses them. Throws on a malformed keyring.
 */
export function keyringKeys(data: Uint8Array): KeyringKey[] {
  const keys: KeyringKey[] = [];
  let offset = 0;
  while (offset < data.length) {
    const header = data[offset];
    if ((header & 0x80) === 0) throw new Error(`not an OpenPGP packet at byte ${offset}`);
    let tag: number;
    let length: number;
    let bodyStart: number;
    if (header & 0x40) {
      tag = header & 0x3f;
      const first = data[offset + 1];
      if (first < 192) [length, bodyStart] = [first, offset + 2];
      else if (first < 224) [length, bodyStart] = [((first - 192) << 8) + data[offset + 2] + 192, offset + 3];
      else if (first === 255) [length, bodyStart] = [readUint32(data, offset + 2), offset + 6];
      else throw new Error(`partial-length packet at byte ${offset}: not a keyring`);
    } else {
      tag = (header >> 2) & 0x0f;
      const type = header & 0x03;
      if (type === 3) throw new Error(`indeterminate-length packet at byte ${offset}: not a keyring`);
      const size = [1, 2, 4][type];
      length = size === 1 ? data[offset + 1] : size === 2 ? (data[offset + 1] << 8) | data[offset + 2] : readUint32(data, offset + 1);
      bodyStart = offset + 1 + size;
    }
    const end = bodyStart + length;
    if (end > data.length) throw new Error(`packet at byte ${offset} runs past the end of the keyring`);
    if (tag === 6) {
      const body = data.subarray(bodyStart, end);
      const version = body[0] ?? 0;
      keys.push({ version, fingerprint: version === 4 ? v4Fingerprint(body) : '' });
    }
    offset = end;
  }
  return keys;
}

function v4Fingerprint(body: Uint8Array): string {
  const prefix = Buffer.from([0x99, (body.length >> 8) & 0xff, body.length & 0xff]);
  return createHash('sha1').update(prefix).update(body).digest('hex').toUpperCase();
}

function readUint32(data: Uint8Array, at: number): number {
  return ((data[at] << 24) >>> 0) + (data[at + 1] << 16) + (data[at + 2] << 8) + data[at + 3];
}
