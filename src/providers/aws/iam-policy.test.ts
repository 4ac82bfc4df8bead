import { describe, expect, it } from 'vitest';
import { builderPolicy, instanceProfilePolicy } from './iam-policy.js';

/**
 * The builder policy, parsed as IAM would read it: every call that creates or destroys something
 * is allowed only under a `prism:managed=true` tag condition (on the resource, or in the request
 * that creates it), except on the resource types a call only uses and prism-ami cannot tag.
 */

/** Calls that create or destroy: none may be allowed on an untagged resource of ours. */
const GUARDED = [
  'ec2:RunInstances',
  'ec2:CreateSecurityGroup',
  'ec2:CreateImage',
  'ec2:CopyImage',
  'ec2:TerminateInstances',
  'ec2:RebootInstances',
  'ec2:DeleteSecurityGroup',
  'ec2:DeregisterImage',
  'ec2:DeleteSnapshot',
  'ec2:ModifyImageAttribute',
  'ec2:CreateTags',
  'ssm:SendCommand',
  'ssm:CancelCommand',
];

/**
 * Resource types a call only uses and nobody at prism-ami can tag (docs/aws.md "Permissions"):
 * public base images, the VPC's subnets and groups (dry runs launch with the default group), the
 * VPC a group is made in, and AWS's own Run Command document.
 */
const USE_ONLY: Record<string, string[]> = {
  'ec2:RunInstances': ['image', 'subnet', 'security-group'],
  'ec2:CreateSecurityGroup': ['vpc'],
  'ssm:SendCommand': ['document'],
};

const RESOURCE_TAG = ['aws:ResourceTag/prism:managed', 'ec2:ResourceTag/prism:managed', 'ssm:resourceTag/prism:managed'];
const REQUEST_TAG = 'aws:RequestTag/prism:managed';
const CREATING = ['RunInstances', 'CreateSecurityGroup', 'CreateImage', 'CopyImage'];

type Statement = ReturnType<typeof builderPolicy>['Statement'][number];

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether an Action entry (which may hold * and ? wildcards) covers the action. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(action);
}

/** `arn:aws:ec2:*:*:instance/*` → instance; `*` → * (every type). */
function resourceType(arn: string): string {
  if (arn === '*') return '*';
  return /^arn:[^:]+:[^:]+:[^:]*:[^:]*:([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/** StringEquals on one of these keys with exactly "true". */
function requiresTrue(statement: Statement, keys: string[]): boolean {
  const equals = statement.Condition?.StringEquals ?? {};
  return keys.some((key) => {
    const value = list(equals[key]);
    return value.length === 1 && value[0] === 'true';
  });
}

/** Every (statement, resource) pair that lets `action` through. */
function grants(action: string): { statement: Statement; resource: string }[] {
  return builderPolicy()
    .Statement.filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => covers(a, action)))
    .flatMap((statement) => list(statement.Resource).map((resource) => ({ statement, resource })));
}

describe('builderPolicy', () => {
  it('uses no NotAction, NotResource or Deny that could hide a broader grant from these checks', () => {
    for (const s of builderPolicy().Statement as Record<string, unknown>[]) {
      expect(s.Effect, String(s.Sid)).toBe('Allow');
      expect(s).not.toHaveProperty('NotAction');
      expect(s).not.toHaveProperty('NotResource');
    }
  });

  it.each(GUARDED)('allows %s only under a prism:managed tag condition', (action) => {
    const found = grants(action);
    expect(found.length, `${action} is not allowed at all`).toBeGreaterThan(0);
    const untagged = found
      .filter(({ statement, resource }) => {
        if (USE_ONLY[action]?.includes(resourceType(resource))) return false;
        if (requiresTrue(statement, RESOURCE_TAG)) return false;
        if (action === 'ec2:CreateTags') {
          // Tags on existing resources need the resource tag; a request tag alone would let anyone
          // mark any resource as ours and then delete it. Without one, only tags on create.
          const createAction = list(statement.Condition?.StringEquals?.['ec2:CreateAction']);
          return !(createAction.length > 0 && createAction.every((a) => CREATING.includes(a)) && requiresTrue(statement, [REQUEST_TAG]));
        }
        return !requiresTrue(statement, [REQUEST_TAG]);
      })
      .map(({ statement, resource }) => `${statement.Sid}: ${resource}`);
    expect(untagged, `${action} allowed without a prism:managed condition`).toEqual([]);
  });

  it.each([
    ['ec2:RunInstances', ['instance', 'volume', 'network-interface']],
    ['ec2:CreateSecurityGroup', ['security-group']],
    ['ec2:CreateImage', ['image', 'snapshot']],
    ['ec2:CopyImage', ['image', 'snapshot']],
  ])('lets %s create %j only with prism:managed=true in the request', (action, types) => {
    for (const type of types) {
      const allowing = grants(action).filter(({ resource }) => resourceType(resource) === type || resource === '*');
      expect(allowing.length, `${action} on ${type}`).toBeGreaterThan(0);
      // The new resource has no tags yet: only a request-tag statement can allow it.
      expect(
        allowing.filter(({ statement }) => requiresTrue(statement, [REQUEST_TAG])).length,
        `${action} needs aws:RequestTag/prism:managed on ${type}`,
      ).toBeGreaterThan(0);
    }
  });

  it('images only build instances of ours, and copies only images of ours', () => {
    const on = (action: string, type: string) => grants(action).filter(({ resource }) => resourceType(resource) === type);
    const instance = on('ec2:CreateImage', 'instance');
    expect(instance.length).toBeGreaterThan(0);
    expect(instance.every(({ statement }) => requiresTrue(statement, ['ec2:ResourceTag/prism:managed']))).toBe(true);
    // The source image of a copy is an image too: it is allowed by its tag, never unconditioned
    // (an unconditioned image statement would also let an untagged copy through).
    const images = on('ec2:CopyImage', 'image');
    expect(images.some(({ statement }) => requiresTrue(statement, RESOURCE_TAG))).toBe(true);
    expect(images.every(({ statement }) => requiresTrue(statement, [...RESOURCE_TAG, REQUEST_TAG]))).toBe(true);
  });

  it('tags on create only in the creating calls, and only with prism:managed=true', () => {
    const onCreate = builderPolicy().Statement.filter((s) => s.Condition?.StringEquals?.['ec2:CreateAction']);
    expect(onCreate.length).toBeGreaterThan(0);
    for (const s of onCreate) {
      expect(list(s.Action)).toEqual(['ec2:CreateTags']);
      expect(list(s.Condition!.StringEquals['ec2:CreateAction']).sort()).toEqual([...CREATING].sort());
      expect(requiresTrue(s, [REQUEST_TAG])).toBe(true);
    }
  });

  it('passes only the build role, only to EC2: the named role, else prism-builder', () => {
    const pass = (roleName?: string) =>
      builderPolicy(roleName ? { roleName } : {}).Statement.filter((s) => list(s.Action).includes('iam:PassRole'));
    expect(pass().map((s) => s.Resource)).toEqual(['arn:aws:iam::*:role/prism-builder']);
    const named = pass('image-builder');
    expect(named.map((s) => s.Resource)).toEqual(['arn:aws:iam::*:role/image-builder']);
    expect(named[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    expect(instanceProfilePolicy({ roleName: 'image-builder' }).roleName).toBe('image-builder');
  });
});
