import { describe, expect, it } from 'vitest';
import { isPrismError } from '../core/errors.js';
import { parseRegistryLocation } from './open-registry.js';

describe('which registry', () => {
  const cwd = '/work/project';

  it('reads file:PATH, bare paths and s3://bucket/key', () => {
    expect(parseRegistryLocation('file:///abs/r.json', cwd)).toEqual({ kind: 'file', path: '/abs/r.json' });
    expect(parseRegistryLocation('file:rel/r.json', cwd)).toEqual({ kind: 'file', path: '/work/project/rel/r.json' });
    expect(parseRegistryLocation('../r.json', cwd)).toEqual({ kind: 'file', path: '/work/r.json' });
    expect(parseRegistryLocation('s3://my-bucket/team/prism/ami-registry.json', cwd)).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      key: 'team/prism/ami-registry.json',
    });
  });

  it.each([
    ['s3://b/k', 'is not an S3 bucket name'],
    ['s3://my-bucket', 'names no object key'],
    ['s3://my-bucket/dir/', 'names no object key'],
    ['https://example.com/r.json', 'only file: and s3:// registries are supported'],
    ['file:', 'names no file'],
    ['', 'is empty'],
  ])('refuses %j', (value, message) => {
    try {
      parseRegistryLocation(value, cwd);
      throw new Error('expected an error');
    } catch (error) {
      expect(isPrismError(error, 'USAGE'), String(error)).toBe(true);
      expect((error as Error).message).toContain(message);
    }
  });
});
