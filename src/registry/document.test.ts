import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { isPrismError, type PrismError } from '../core/errors.js';
import { emptyRegistry, parseRegistry, serializeRegistry } from './document.js';
import { record, rollback } from './operations.js';
import { current, history } from './queries.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const SEED = readFileSync(fixture('seed/registry-example.golden.json'), 'utf8');
const AFTER_RECORD = fixture('registry/seed-after-record.golden.json');
const clock = fixedClock('2024-07-01T09:00:00Z');

function parseError(text: string): PrismError {
  try {
    parseRegistry(text, 'ami-registry.json');
  } catch (error) {
    if (isPrismError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe("the seed's example registry (golden)", () => {
  it('loads as written and round-trips to the same document', () => {
    const doc = parseRegistry(SEED, 'seed.json');
    expect(JSON.parse(serializeRegistry(doc))).toEqual(JSON.parse(SEED));
    expect(serializeRegistry(parseRegistry(serializeRegistry(doc), 'again.json'))).toBe(serializeRegistry(doc));
    // Key order is kept, so a diff of a written file shows only what changed.
    expect(Object.keys(doc)).toEqual(['version', 'last_updated', 'templates']);
    expect(Object.keys(doc.templates['r-research'])).toEqual(['version', 'description', 'amis', 'ports', 'estimated_cost_per_hour']);
  });

  it("answers queries from the seed's entries, which have no history yet", () => {
    const doc = parseRegistry(SEED, 'seed.json');
    expect(current(doc, { template: 'r-research', region: 'us-east-1', architecture: 'arm64' })).toEqual({
      ami_id: 'ami-0efgh5678',
      created: '2024-06-17T08:45:00Z',
      version: 'v1.2.3',
      validated: true,
      status: 'current',
      size_gb: 8,
    });
  });

  it('keeps every seed field when prism writes to it (golden after one record)', () => {
    const { document } = record(
      parseRegistry(SEED, 'seed.json'),
      {
        template: 'r-research',
        region: 'us-east-1',
        architecture: 'x86_64',
        amiId: 'ami-0xyz78900000000ab',
        created: '2024-07-01T08:30:00Z',
        version: 'v1.2.4',
        fingerprint: 'sha256:0f1e',
        sourceAmi: 'ami-0base1234abcd5678',
        buildId: 'build-0a1b2c3d4e5f',
        validated: true,
        validatedAt: '2024-07-01T08:40:00Z',
        sizeGb: 8,
      },
      clock,
    );
    const written = serializeRegistry(document);
    expect(written).toBe(readFileSync(AFTER_RECORD, 'utf8'));
    const back = parseRegistry(written, 'after.json');
    // The seed's arm64 entry is untouched; x86_64 shows the new image with the old one in its history.
    expect(back.templates['r-research'].amis['us-east-1'].arm64).toEqual(JSON.parse(SEED).templates['r-research'].amis['us-east-1'].arm64);
    expect(
      history(back, { template: 'r-research', region: 'us-east-1', architecture: 'x86_64' }).map((h) => [h.ami_id, h.status, h.version]),
    ).toEqual([
      ['ami-0abcd1234', 'superseded', 'v1.2.3'],
      ['ami-0xyz78900000000ab', 'current', 'v1.2.4'],
    ]);
    // And a rollback returns to the seed's image.
    const rolled = rollback(back, { template: 'r-research', region: 'us-east-1', architecture: 'x86_64' }, clock).document;
    expect(rolled.templates['r-research'].amis['us-east-1'].x86_64).toMatchObject({
      ami_id: 'ami-0abcd1234',
      created: '2024-06-17T08:30:00Z',
      validated: true,
      size_gb: 8,
    });
  });

  it('keeps fields other tools add', () => {
    const text = JSON.stringify({ version: '1.0', owner: 'research-computing', templates: { t: { amis: {}, notes: 'x' } } });
    const doc = parseRegistry(text, 'r.json');
    expect(JSON.parse(serializeRegistry(doc))).toEqual(JSON.parse(text));
  });

  it('an empty registry is valid', () => {
    expect(parseRegistry(serializeRegistry(emptyRegistry()), 'r.json')).toEqual(emptyRegistry());
  });
});

describe('a corrupt or foreign document', () => {
  it('is REGISTRY_INVALID with the line of bad JSON', () => {
    const error = parseError('{\n  "version": "1.0",\n  "templates": {,\n}');
    expect(error.code).toBe('REGISTRY_INVALID');
    expect(error.message).toBe('ami-registry.json is not valid JSON');
    expect(error.diagnostics[0]).toMatchObject({ rule: 'registry/json', line: 3 });
    expect(error.hint).toMatch(/left as it is/);
    expect(parseError('').message).toMatch(/is empty/);
    expect(parseError('[1, 2]').message).toMatch(/not a registry document/);
  });

  it('names the key path and line of a bad value', () => {
    const error = parseError(SEED.replace('"ami-0efgh5678"', '"ami-XYZ"').replace('"validated": true', '"validated": "yes"'));
    expect(error.code).toBe('REGISTRY_INVALID');
    expect(error.message).toBe('ami-registry.json has 2 problems');
    expect(error.diagnostics).toEqual([
      expect.objectContaining({
        path: 'templates.r-research.amis.us-east-1.x86_64.validated',
        line: 13,
        column: 26,
        message: 'must be true or false',
      }),
      expect.objectContaining({
        path: 'templates.r-research.amis.us-east-1.arm64.ami_id',
        line: 17,
        column: 23,
        message: '"ami-XYZ" is not an image ID (AMI IDs look like ami-0123456789abcdef0)',
      }),
    ]);
    const region = parseError(SEED.replace('"us-east-1": {', '"us-east-1a": {'));
    expect(region.diagnostics).toEqual([
      expect.objectContaining({
        path: 'templates.r-research.amis.us-east-1a',
        message: '"us-east-1a" is not a region name (e.g. us-east-1, or local)',
      }),
    ]);
  });

  it('refuses a history that contradicts the amis entry', () => {
    const doc = JSON.parse(readFileSync(AFTER_RECORD, 'utf8'));
    doc.templates['r-research'].amis['us-east-1'].x86_64.ami_id = 'ami-0abcd1234';
    const error = parseError(JSON.stringify(doc, null, 2));
    expect(error.diagnostics[0]).toMatchObject({
      rule: 'registry/consistency',
      path: 'templates.r-research.amis.us-east-1.x86_64',
      message: "shows ami-0abcd1234, but the history's current image is ami-0xyz78900000000ab",
    });
    doc.templates['r-research'].history['us-east-1'].x86_64[0].status = 'current';
    expect(parseError(JSON.stringify(doc)).diagnostics.map((d) => d.message)).toContain(
      '2 images are current (ami-0abcd1234, ami-0xyz78900000000ab); only one can be',
    );
  });

  it('refuses a newer schema with its own error', () => {
    const error = parseError(JSON.stringify({ version: '2.0', schema_version: 3, templates: { x: 'anything' } }));
    expect(error.code).toBe('REGISTRY_NEWER_SCHEMA');
    expect(error.message).toMatch(/registry schema 3; this version reads up to 2/);
    expect(error.exitCode).toBe(2);
  });
});
