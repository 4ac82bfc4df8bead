import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { emptyRegistry, parseRegistry, serializeRegistry } from './document.js';
import { lineageOf } from './lineage.js';
import type { RegistryDocument } from './model.js';
import { record, rollback, setValidated, type RecordInput } from './operations.js';
import { current, history, upToDateImage } from './queries.js';
import { failValidation, revoke } from './retire.js';

const clock = fixedClock('2025-01-02T03:04:05Z');
const ami = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const T = 'r-research';

/** A build in us-east-1 and its copies to us-east-2 and us-west-2, as build-all records them. */
function build(doc: RegistryDocument, n: number, buildId: string, extra: Partial<RecordInput> = {}): RegistryDocument {
  const base = {
    template: T,
    architecture: 'x86_64' as const,
    created: `2025-01-01T00:00:0${n}Z`,
    version: `1.0.${n}`,
    validated: true,
    fingerprint: `fp-${n}`,
    buildId,
    ...extra,
  };
  doc = record(doc, { ...base, region: 'us-east-1', amiId: ami(n * 10), sourceAmi: 'ami-0base000000000001' }, clock).document;
  doc = record(doc, { ...base, region: 'us-east-2', amiId: ami(n * 10 + 1), sourceAmi: ami(n * 10) }, clock).document;
  return record(doc, { ...base, region: 'us-west-2', amiId: ami(n * 10 + 2), sourceAmi: ami(n * 10) }, clock).document;
}

const where = (doc: RegistryDocument, region: string) => current(doc, { template: T, region, architecture: 'x86_64' })?.ami_id;

describe('the lineage of an image: one build and its region copies', () => {
  it('is found from the image or from any of its copies, by build ID and by copied-from', () => {
    const doc = build(build(emptyRegistry(), 1, 'build-a'), 2, 'build-b');
    const ids = (amiId: string) => lineageOf(doc, T, amiId).map((m) => `${m.region}:${m.amiId}`);
    expect(ids(ami(10))).toEqual([`us-east-1:${ami(10)}`, `us-east-2:${ami(11)}`, `us-west-2:${ami(12)}`]);
    expect(ids(ami(11))).toEqual(ids(ami(10)));
    expect(ids(ami(22))).toEqual([`us-east-1:${ami(20)}`, `us-east-2:${ami(21)}`, `us-west-2:${ami(22)}`]);
  });

  it('follows copied-from alone for images recorded without a build ID', () => {
    let doc = emptyRegistry();
    const base = { template: T, architecture: 'x86_64' as const, created: '2025-01-01T00:00:00Z', version: '1', validated: true };
    doc = record(doc, { ...base, region: 'us-east-1', amiId: ami(1) }, clock).document;
    doc = record(doc, { ...base, region: 'eu-west-1', amiId: ami(2), sourceAmi: ami(1) }, clock).document;
    doc = record(doc, { ...base, region: 'us-west-2', amiId: ami(3) }, clock).document;
    expect(lineageOf(doc, T, ami(2)).map((m) => m.amiId)).toEqual([ami(2), ami(1)]);
  });
});

describe('revoke', () => {
  it('revokes the whole lineage in every region, and the previous build becomes current everywhere', () => {
    const doc = build(build(emptyRegistry(), 1, 'build-a'), 2, 'build-b');
    const { document, result } = revoke(doc, { template: T, amiId: ami(21), reason: 'CVE' }, clock);
    expect(result.map((r) => `${r.region}:${r.amiId}→${r.replacedBy}`)).toEqual([
      `us-east-1:${ami(20)}→${ami(10)}`,
      `us-east-2:${ami(21)}→${ami(11)}`,
      `us-west-2:${ami(22)}→${ami(12)}`,
    ]);
    expect(['us-east-1', 'us-east-2', 'us-west-2'].map((r) => where(document, r))).toEqual([ami(10), ami(11), ami(12)]);
  });

  it('with scope image, only the named image (the narrow form of --only-this-region)', () => {
    const doc = build(emptyRegistry(), 1, 'build-a');
    const { document, result } = revoke(doc, { template: T, amiId: ami(10), scope: 'image' }, clock);
    expect(result.map((r) => r.amiId)).toEqual([ami(10)]);
    expect(where(document, 'us-east-1')).toBeUndefined();
    expect(where(document, 'us-east-2')).toBe(ami(11));
  });
});

describe('a failed validation takes the image out of service', () => {
  it('the image is failed-validation and not validated; the previous valid image is current; it is not up to date', () => {
    const doc = build(build(emptyRegistry(), 1, 'build-a'), 2, 'build-b');
    const { document, result } = failValidation(doc, { template: T, amiId: ami(20) }, clock);
    expect(result).toEqual([
      { template: T, region: 'us-east-1', architecture: 'x86_64', amiId: ami(20), wasCurrent: true, replacedBy: ami(10) },
    ]);
    const failed = history(document, { template: T, region: 'us-east-1', architecture: 'x86_64' }).find((h) => h.ami_id === ami(20));
    expect(failed).toMatchObject({ status: 'failed-validation', validated: false, failed_validation_at: '2025-01-02T03:04:05Z' });
    expect(where(document, 'us-east-1')).toBe(ami(10));
    expect(upToDateImage(document, { template: T, region: 'us-east-1', architecture: 'x86_64' }, 'fp-2')).toBeUndefined();
    // Its copies are not touched: they were not the ones validated.
    expect(where(document, 'us-east-2')).toBe(ami(21));
  });

  it('rollback never chooses it; passing validation again makes it a candidate, not current', () => {
    const doc = failValidation(build(build(emptyRegistry(), 1, 'build-a'), 2, 'build-b'), { template: T, amiId: ami(20) }, clock).document;
    const slot = { template: T, region: 'us-east-1', architecture: 'x86_64' as const };
    expect(() => rollback(doc, { ...slot, to: ami(20) }, clock)).toThrow(/failed-validation/);
    const passed = setValidated(doc, { template: T, amiId: ami(20), validated: true, at: '2025-01-03T00:00:00Z' }, clock).document;
    expect(history(passed, slot).find((h) => h.ami_id === ami(20))).toMatchObject({ status: 'superseded', validated: true });
    expect(where(passed, 'us-east-1')).toBe(ami(10));
  });

  it('a document holding one is written as schema 2, read back as such; others stay schema 1', () => {
    const plain = build(emptyRegistry(), 1, 'build-a');
    expect(plain.schema_version).toBe(1);
    const failed = failValidation(plain, { template: T, amiId: ami(10) }, clock).document;
    expect(failed.schema_version).toBe(2);
    expect(parseRegistry(serializeRegistry(failed), 'r.json').templates[T]).toBeDefined();
  });
});
