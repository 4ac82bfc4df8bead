import { describe, expect, it } from 'vitest';
import { fixedClock, type Clock } from '../core/clock.js';
import { isPrismError } from '../core/errors.js';
import { emptyRegistry } from './document.js';
import type { RegistryDocument, Slot } from './model.js';
import { prune, record, rollback, setValidated, type RecordInput } from './operations.js';
import { markDeleted, revoke } from './retire.js';
import { cleanupCandidates, current, currentMap, findImage, history, listImages } from './queries.js';

const clock = fixedClock('2025-01-02T03:04:05.678Z');
const slot: Slot = { template: 'r-research', region: 'us-east-1', architecture: 'x86_64' };

function image(n: number, extra: Partial<RecordInput> = {}): RecordInput {
  return {
    ...slot,
    amiId: `ami-${String(n).padStart(17, '0')}`,
    created: `2025-01-01T00:00:${String(n).padStart(2, '0')}Z`,
    version: `1.0.${n}`,
    validated: true,
    ...extra,
  };
}

const ami = (n: number) => `ami-${String(n).padStart(17, '0')}`;

/** Records images 1..n in order. */
function recorded(n: number, options: { validated?: (i: number) => boolean; at?: Clock } = {}): RegistryDocument {
  let doc = emptyRegistry();
  for (let i = 1; i <= n; i++) doc = record(doc, image(i, { validated: options.validated?.(i) ?? true }), options.at ?? clock).document;
  return doc;
}

const statuses = (doc: RegistryDocument, s: Slot = slot) => history(doc, s).map((h) => `${h.ami_id.slice(-2)}:${h.status}`);

function expectError(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(isPrismError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    if (message) expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

describe('record', () => {
  it('makes the first image current and mirrors it in amis.<region>.<arch>', () => {
    const before = emptyRegistry();
    const { document, changed, result } = record(
      before,
      image(1, {
        fingerprint: 'sha256:ab',
        sourceAmi: 'ami-0base0000000000000',
        buildId: 'build-1',
        sizeGb: 8,
        description: 'R',
        ports: [22, 8787],
        costs: { x86_64: 0.0464 },
      }),
      clock,
    );
    expect(changed).toBe(true);
    expect(result).toEqual({ status: 'recorded' });
    expect(before).toEqual(emptyRegistry());
    expect(document.last_updated).toBe('2025-01-02T03:04:05Z');
    expect(document.schema_version).toBe(1);
    const entry = document.templates['r-research'];
    expect(entry.version).toBe('1.0.1');
    expect(entry.description).toBe('R');
    expect(entry.ports).toEqual([22, 8787]);
    expect(entry.estimated_cost_per_hour).toEqual({ x86_64: 0.0464 });
    expect(entry.amis['us-east-1'].x86_64).toEqual({
      ami_id: ami(1),
      created: '2025-01-01T00:00:01Z',
      validated: true,
      size_gb: 8,
      version: '1.0.1',
      fingerprint: 'sha256:ab',
      source_ami: 'ami-0base0000000000000',
      build_id: 'build-1',
    });
    expect(entry.history!['us-east-1'].x86_64).toEqual([
      {
        ami_id: ami(1),
        created: '2025-01-01T00:00:01Z',
        version: '1.0.1',
        fingerprint: 'sha256:ab',
        source_ami: 'ami-0base0000000000000',
        build_id: 'build-1',
        validated: true,
        status: 'current',
        size_gb: 8,
        recorded_at: '2025-01-02T03:04:05Z',
      },
    ]);
  });

  it('supersedes the current image with a new one', () => {
    const doc = recorded(1);
    const { document, result } = record(doc, image(2), clock);
    expect(result).toEqual({ status: 'recorded', previous: ami(1) });
    expect(statuses(document)).toEqual(['01:superseded', '02:current']);
    expect(document.templates['r-research'].amis['us-east-1'].x86_64!.ami_id).toBe(ami(2));
    expect(document.templates['r-research'].version).toBe('1.0.2');
    expect(statuses(doc)).toEqual(['01:current']);
  });

  it('is idempotent: recording the same image twice changes nothing', () => {
    const doc = recorded(2);
    for (const again of [image(2), image(1)]) {
      const { document, changed, result } = record(doc, again, fixedClock('2030-01-01T00:00:00Z'));
      expect(changed).toBe(false);
      expect(document).toBe(doc);
      expect(result.status).toBe('already-recorded');
    }
  });

  it('only fills in a missing validation when an image is recorded again', () => {
    const doc = recorded(1, { validated: () => false });
    const { document, changed } = record(doc, image(1, { validated: true, validatedAt: '2025-01-03T00:00:00Z' }), clock);
    expect(changed).toBe(true);
    expect(current(document, slot)).toMatchObject({ validated: true, validated_at: '2025-01-03T00:00:00Z', status: 'current' });
    expect(document.templates['r-research'].amis['us-east-1'].x86_64!.validated).toBe(true);
  });

  it('keeps slots apart: regions and architectures each have their own current image', () => {
    let doc = recorded(1);
    doc = record(doc, image(2, { region: 'eu-west-1' }), clock).document;
    doc = record(doc, image(3, { architecture: 'arm64' }), clock).document;
    expect(current(doc, slot)!.ami_id).toBe(ami(1));
    expect(current(doc, { ...slot, region: 'eu-west-1' })!.ami_id).toBe(ami(2));
    expect(current(doc, { ...slot, architecture: 'arm64' })!.ami_id).toBe(ami(3));
    expect(currentMap(doc, 'r-research')).toEqual({ 'eu-west-1': { x86_64: ami(2) }, 'us-east-1': { x86_64: ami(1), arm64: ami(3) } });
  });

  it('accepts local images in region local, and leaves them out of the template map', () => {
    const doc = record(emptyRegistry(), { ...image(1), region: 'local', amiId: 'limg-0123456789ab' }, clock).document;
    expect(current(doc, { ...slot, region: 'local' })!.ami_id).toBe('limg-0123456789ab');
    expect(currentMap(doc, 'r-research')).toEqual({});
    expectError(() => record(emptyRegistry(), { ...image(1), region: 'local' }, clock), 'USAGE', /local image ID/);
  });

  it.each<[string, Partial<RecordInput>, RegExp]>([
    ['a malformed AMI ID', { amiId: 'ami-xyz' }, /not an AMI ID/],
    ['an availability zone', { region: 'us-east-1a' }, /not a region/],
    ['an unknown architecture', { architecture: 'amd64' as 'x86_64' }, /not an architecture/],
    ['a bad slug', { template: 'R Research' }, /not a template slug/],
  ])('refuses %s', (_name, bad, message) => {
    expectError(() => record(emptyRegistry(), image(1, bad), clock), 'USAGE', message);
  });
});

describe('rollback', () => {
  it('makes the previous validated image current, and goes further back each time', () => {
    const doc = recorded(3);
    const first = rollback(doc, slot, clock);
    expect(first.result).toEqual({ from: ami(3), to: ami(2) });
    expect(statuses(first.document)).toEqual(['01:superseded', '02:current', '03:superseded']);
    expect(first.document.templates['r-research'].version).toBe('1.0.2');
    const second = rollback(first.document, slot, clock);
    expect(second.result).toEqual({ from: ami(2), to: ami(1) });
    expect(statuses(second.document)).toEqual(['01:current', '02:superseded', '03:superseded']);
    expectError(() => rollback(second.document, slot, clock), 'NOT_FOUND', /no earlier validated image/);
  });

  it('skips unvalidated, revoked and deleted images', () => {
    let doc = recorded(5, { validated: (i) => i !== 4 });
    doc = revoke(doc, { template: 'r-research', amiId: ami(3) }, clock).document;
    doc = markDeleted(doc, { template: 'r-research', amiId: ami(2) }, clock).document;
    const { result, document } = rollback(doc, slot, clock);
    expect(result.to).toBe(ami(1));
    expect(statuses(document)).toEqual(['01:current', '02:deleted', '03:revoked', '04:superseded', '05:superseded']);
  });

  it('rolls back to a named image, even a later one, but never to a revoked one', () => {
    const back = rollback(recorded(3), slot, clock).document;
    expect(rollback(back, { ...slot, to: ami(3) }, clock).result).toEqual({ from: ami(2), to: ami(3) });
    expect(rollback(back, { ...slot, to: ami(1) }, clock).result).toEqual({ from: ami(2), to: ami(1) });
    const same = rollback(back, { ...slot, to: ami(2) }, clock);
    expect(same.changed).toBe(false);
    const revoked = revoke(back, { template: 'r-research', amiId: ami(1) }, clock).document;
    expectError(() => rollback(revoked, { ...slot, to: ami(1) }, clock), 'USAGE', /revoked and cannot become current/);
    expectError(() => rollback(back, { ...slot, to: ami(9) }, clock), 'NOT_FOUND', /not in the history/);
  });

  it('says so when there is nothing to roll back', () => {
    expectError(() => rollback(emptyRegistry(), slot, clock), 'NOT_FOUND', /has no images/);
    expectError(() => rollback(recorded(1), slot, clock), 'NOT_FOUND', /no earlier validated image/);
  });
});

describe('revoke and markDeleted', () => {
  it('revoking the current image makes the previous valid one current', () => {
    const { document, result } = revoke(
      recorded(3, { validated: (i) => i !== 2 }),
      { template: 'r-research', amiId: ami(3), reason: 'CVE-2025-0001' },
      clock,
    );
    expect(result).toEqual([{ ...slot, amiId: ami(3), wasCurrent: true, replacedBy: ami(1) }]);
    expect(statuses(document)).toEqual(['01:current', '02:superseded', '03:revoked']);
    expect(history(document, slot)[2]).toMatchObject({ revoked_at: '2025-01-02T03:04:05Z', revoke_reason: 'CVE-2025-0001' });
  });

  it('revoking the only image leaves none, and removes the amis entry', () => {
    let doc = recorded(1);
    doc = record(doc, image(2, { architecture: 'arm64' }), clock).document;
    const { document, result } = revoke(doc, { template: 'r-research', amiId: ami(1) }, clock);
    expect(result).toEqual([{ ...slot, amiId: ami(1), wasCurrent: true }]);
    expect(current(document, slot)).toBeUndefined();
    expect(document.templates['r-research'].amis).toEqual({ 'us-east-1': { arm64: expect.objectContaining({ ami_id: ami(2) }) } });
    const again = revoke(document, { template: 'r-research', amiId: ami(2) }, clock).document;
    expect(again.templates['r-research'].amis).toEqual({});
  });

  it('a revoked image is never current again: recording it again changes nothing', () => {
    const doc = revoke(recorded(2), { template: 'r-research', amiId: ami(2) }, clock).document;
    const { changed, result } = record(doc, image(2), clock);
    expect(changed).toBe(false);
    expect(result).toEqual({ status: 'already-recorded', imageStatus: 'revoked' });
    expect(revoke(doc, { template: 'r-research', amiId: ami(2) }, clock).changed).toBe(false);
  });

  it('revoking a superseded image changes nothing else', () => {
    const { document } = revoke(recorded(3), { template: 'r-research', amiId: ami(1) }, clock);
    expect(statuses(document)).toEqual(['01:revoked', '02:superseded', '03:current']);
  });

  it('marks a deleted current image and falls back like revoke', () => {
    const { document, result } = markDeleted(recorded(2), { template: 'r-research', amiId: ami(2) }, clock);
    expect(result[0].replacedBy).toBe(ami(1));
    expect(history(document, slot)[1]).toMatchObject({ status: 'deleted', deleted_at: '2025-01-02T03:04:05Z' });
  });

  it('names what it cannot find', () => {
    expectError(
      () => revoke(recorded(1), { template: 'r-research', amiId: ami(7) }, clock),
      'NOT_FOUND',
      /not recorded for template "r-research"/,
    );
    expectError(() => revoke(recorded(1), { template: 'other', amiId: ami(1) }, clock), 'NOT_FOUND', /no template "other"/);
    expectError(() => revoke(recorded(1), { template: 'r-research', amiId: 'ami-nope' }, clock), 'USAGE', /not an AMI ID/);
  });
});

describe('setValidated', () => {
  it("sets and clears an image's validation, in the history and the mirror", () => {
    const doc = recorded(2, { validated: () => false });
    const on = setValidated(doc, { template: 'r-research', amiId: ami(2), validated: true }, clock);
    expect(on.result).toEqual([slot]);
    expect(current(on.document, slot)).toMatchObject({ validated: true, validated_at: '2025-01-02T03:04:05Z' });
    expect(on.document.templates['r-research'].amis['us-east-1'].x86_64).toMatchObject({
      validated: true,
      validated_at: '2025-01-02T03:04:05Z',
    });
    const off = setValidated(on.document, { template: 'r-research', amiId: ami(2), validated: false }, clock);
    expect(current(off.document, slot)!.validated_at).toBeUndefined();
    expect(setValidated(off.document, { template: 'r-research', amiId: ami(2), validated: false }, clock).changed).toBe(false);
  });
});

describe('prune and history queries', () => {
  it('drops deleted and old superseded images, keeps current, revoked and the newest superseded', () => {
    let doc = recorded(6);
    doc = revoke(doc, { template: 'r-research', amiId: ami(1) }, clock).document;
    doc = markDeleted(doc, { template: 'r-research', amiId: ami(4) }, clock).document;
    expect(cleanupCandidates(doc, { keepLatest: 1 }).map((r) => r.entry.ami_id)).toEqual([ami(3), ami(2)]);
    const { document, result } = prune(doc, { keepLatest: 1 }, clock);
    expect(result.map((r) => r.amiId)).toEqual([ami(2), ami(3), ami(4)]);
    expect(statuses(document)).toEqual(['01:revoked', '05:superseded', '06:current']);
    expect(prune(document, { keepLatest: 1 }, clock).changed).toBe(false);
    expectError(() => prune(doc, { keepLatest: -1 }, clock), 'USAGE');
  });

  it('lists current images, or the whole history newest first with --all', () => {
    let doc = recorded(2);
    doc = record(doc, image(3, { template: 'python-research', architecture: 'arm64' }), clock).document;
    expect(listImages(doc).map((r) => `${r.template}/${r.architecture}/${r.entry.ami_id.slice(-1)}`)).toEqual([
      'python-research/arm64/3',
      'r-research/x86_64/2',
    ]);
    expect(listImages(doc, { all: true, template: 'r-research' }).map((r) => r.entry.status)).toEqual(['current', 'superseded']);
    expect(listImages(doc, { architecture: 'arm64' })).toHaveLength(1);
    expect(listImages(doc, { region: 'eu-west-1' })).toHaveLength(0);
    expect(findImage(doc, ami(1))).toEqual([
      expect.objectContaining({ ...slot, entry: expect.objectContaining({ status: 'superseded' }) }),
    ]);
  });
});
