import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { AwsClients } from '../core/aws-clients.js';
import { emptyRegistry } from './document.js';
import { record, rollback } from './operations.js';
import { revoke } from './retire.js';
import { checkSsmPrefix, ssmPrefix } from '../config/settings.js';
import { changedSlots, parameterName, SsmPublisher } from './publish-ssm.js';
import { toRecordInput } from './record-build.js';

const clock = fixedClock('2025-01-01T00:00:00Z');
const base = {
  template: 'r-research',
  region: 'us-east-1',
  architecture: 'x86_64' as const,
  created: '2025-01-01T00:00:00Z',
  version: '1',
  validated: true,
};

describe('SSM publication, the pure parts', () => {
  it('names parameters <prefix>/<slug>/<arch>', () => {
    expect(parameterName('/prism/ami', { template: 'r-research', architecture: 'x86_64' })).toBe('/prism/ami/r-research/x86_64');
  });

  it('turns --publish-ssm [prefix] and publishSsm into a prefix, or off', () => {
    expect(ssmPrefix(undefined, undefined)).toBeUndefined();
    expect(ssmPrefix(true, undefined)).toBe('/prism/ami');
    expect(ssmPrefix(undefined, '/team/images')).toBe('/team/images');
    expect(ssmPrefix(false, true)).toBeUndefined();
    expect(ssmPrefix('/flag', '/config')).toBe('/flag');
    for (const bad of ['prism/ami', '/prism/ami/', '/aws/ami', '/ssm', '/a b', '/a/b/c/d/e/f/g/h/i/j/k/l/m'])
      expect(() => checkSsmPrefix(bad), bad).toThrow();
  });

  it('finds the slots whose current image changed', () => {
    const one = record(emptyRegistry(), { ...base, amiId: 'ami-0000000000000000a' }, clock).document;
    const two = record(one, { ...base, amiId: 'ami-0000000000000000b' }, clock).document;
    const arm = record(two, { ...base, architecture: 'arm64', amiId: 'ami-0000000000000000c' }, clock).document;
    expect(changedSlots(emptyRegistry(), one)).toEqual([{ template: 'r-research', region: 'us-east-1', architecture: 'x86_64' }]);
    expect(changedSlots(two, arm)).toEqual([{ template: 'r-research', region: 'us-east-1', architecture: 'arm64' }]);
    expect(
      changedSlots(arm, rollback(arm, { template: 'r-research', region: 'us-east-1', architecture: 'x86_64' }, clock).document),
    ).toHaveLength(1);
    const gone = revoke(one, { template: 'r-research', amiId: 'ami-0000000000000000a' }, clock).document;
    expect(changedSlots(one, gone)).toEqual([{ template: 'r-research', region: 'us-east-1', architecture: 'x86_64' }]);
    expect(changedSlots(arm, arm)).toEqual([]);
  });

  it('never publishes images of region local (no AWS call is made)', async () => {
    const doc = record(emptyRegistry(), { ...base, region: 'local', amiId: 'limg-0123456789ab' }, clock).document;
    const publisher = new SsmPublisher('/prism/ami', new AwsClients());
    expect(await publisher.reconcile(doc, [{ template: 'r-research', region: 'local', architecture: 'x86_64' }])).toEqual([]);
  });
});

describe('recordBuildImage input', () => {
  it("takes a template's description, ports and costs, and converts sizes and dates", () => {
    const template = { slug: 't', description: 'd', ports: [22], costs: { arm64: 0.1 } } as unknown as Parameters<
      typeof toRecordInput
    >[0]['template'];
    expect(
      toRecordInput({
        template,
        region: 'local',
        architecture: 'arm64',
        imageId: 'limg-0123456789ab',
        created: new Date('2025-01-02T03:04:05.678Z'),
        version: '2',
        validated: true,
        sizeBytes: 3 * 2 ** 30 + 2 ** 29,
      }),
    ).toEqual({
      template: 't',
      region: 'local',
      architecture: 'arm64',
      amiId: 'limg-0123456789ab',
      created: '2025-01-02T03:04:05Z',
      version: '2',
      validated: true,
      sizeGb: 3.5,
      description: 'd',
      ports: [22],
      costs: { arm64: 0.1 },
    });
  });
});
