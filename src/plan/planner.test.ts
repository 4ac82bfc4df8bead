import { describe, expect, it } from 'vitest';
import { templateFromYaml } from '../../test/support/templates.js';
import { fixedClock } from '../core/clock.js';
import type { Architecture } from '../core/types.js';
import { emptyRegistry } from '../registry/document.js';
import type { RegistryDocument } from '../registry/model.js';
import { record } from '../registry/operations.js';
import { revoke } from '../registry/retire.js';
import { templateFingerprint } from '../template/fingerprint.js';
import type { Template } from '../template/model.js';
import type { BuildPlan, PlanItem } from './model.js';
import { baseImageKey, planBuilds, type PlanInput } from './planner.js';
import type { PriceTable } from './prices.js';

/**
 * The pure planner: templates, a registry document (built with the registry's own `record`
 * under a fixed clock), resolved base images and a clock in; a plan out. No I/O.
 */

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
const ARCHS: Architecture[] = ['x86_64', 'arm64'];
const NOW = new Date('2025-03-01T12:00:00Z');
const clock = fixedClock('2025-02-01T00:00:00Z');

const PRICES: PriceTable = {
  instance: { 't3.medium': 0.04, 't4g.medium': 0.03, 't3.large': 0.1 },
  snapshotPerGbMonth: 0.05,
  copyPerGb: 0.02,
};

/** Base images as they would be resolved now (the same id in every region, as moto seeds them). */
const BASE_X86 = 'ami-0b000000000000001';
const BASE_ARM = 'ami-0b000000000000002';
const NEW_BASE_X86 = 'ami-0b000000000000011';

function yaml(name: string, head: string, setup = 'echo hi'): string {
  return `name: ${name}
${head}
setup_script: |
  #!/bin/bash
  ${setup}
validation_tests:
  - name: ok
    command: "true"
    expected_exit_code: 0
`;
}

const regionsLine = `regions: [${REGIONS.join(', ')}]`;
const parent = templateFromYaml(
  yaml('Base', `base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}\n${regionsLine}\nbuild: {volume_size_gb: 20}`),
  'base',
);
const child = templateFromYaml(yaml('App', 'extends: base', 'echo app'), 'app', parent);
const other = templateFromYaml(yaml('Other', `base_ami: {source: al2023, architecture: [x86_64]}\n${regionsLine}`), 'other');

function bases(overrides: Record<string, string> = {}, templates: readonly Template[] = [parent, other]): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of templates) {
    for (const arch of t.architectures)
      for (const region of [...REGIONS, 'eu-west-1']) map.set(baseImageKey(t.slug, arch, region), arch === 'x86_64' ? BASE_X86 : BASE_ARM);
  }
  for (const [key, value] of Object.entries(overrides)) map.set(key, value);
  return map;
}

function plan(overrides: Partial<PlanInput> = {}): BuildPlan {
  return planBuilds({
    templates: [parent, child],
    registry: emptyRegistry(),
    baseImages: bases(),
    defaultRegions: ['us-east-1'],
    strategy: 'copy',
    prices: PRICES,
    buildMinutes: 30,
    defaultInstanceTypes: { x86_64: 't3.medium', arm64: 't4g.medium' },
    now: NOW,
    ...overrides,
  });
}

let serial = 0x100;
const nextAmi = () => `ami-0a${(serial++).toString(16).padStart(15, '0')}`;

interface Built {
  /** Region → image id. */
  ids: Record<string, string>;
}

/**
 * Records an image as build-all does: built in `buildRegion` from `source`, then copied to the
 * other regions (each copy's source is the built image).
 */
function built(
  doc: RegistryDocument,
  template: Template,
  architecture: Architecture,
  options: {
    regions?: readonly string[];
    buildRegion?: string;
    fingerprint?: string;
    validated?: boolean;
    source?: string;
    sizeGb?: number;
    created?: string;
  } = {},
): { doc: RegistryDocument } & Built {
  const regions = options.regions ?? REGIONS;
  const buildRegion = options.buildRegion ?? regions[0];
  const fingerprint = options.fingerprint ?? templateFingerprint(template, architecture);
  const source = options.source ?? (template.parent ? 'ami-0c000000000000001' : architecture === 'x86_64' ? BASE_X86 : BASE_ARM);
  const ids: Record<string, string> = {};
  const common = {
    template: template.slug,
    architecture,
    created: options.created ?? '2025-01-15T10:00:00Z',
    version: '1.0.0',
    fingerprint,
    validated: options.validated ?? true,
    ...(options.sizeGb !== undefined ? { sizeGb: options.sizeGb } : {}),
  };
  ids[buildRegion] = nextAmi();
  doc = record(doc, { ...common, region: buildRegion, amiId: ids[buildRegion], sourceAmi: source }, clock).document;
  for (const region of regions.filter((r) => r !== buildRegion)) {
    ids[region] = nextAmi();
    doc = record(doc, { ...common, region, amiId: ids[region], sourceAmi: ids[buildRegion] }, clock).document;
  }
  return { doc, ids };
}

/** The registry after a complete build-all of these templates in every architecture. */
function allBuilt(templates: readonly Template[] = [parent, child], extra: Parameters<typeof built>[3] = {}): RegistryDocument {
  let doc = emptyRegistry();
  for (const t of templates) for (const arch of t.architectures) doc = built(doc, t, arch, extra).doc;
  return doc;
}

const item = (p: BuildPlan, key: string): PlanItem => {
  const found = p.items.find((i) => i.key === key);
  if (!found) throw new Error(`no item ${key} in ${p.items.map((i) => i.key).join(', ')}`);
  return found;
};
const codes = (i: PlanItem) => i.reasons.map((r) => r.code);
const summary = (p: BuildPlan) => p.items.map((i) => `${i.key}:${i.action}:${codes(i).join('+')}`);

describe('planBuilds', () => {
  it('new templates: one build per architecture in the first region, copies to the rest, parents first', () => {
    const p = plan();
    expect(summary(p)).toEqual([
      'base/x86_64:build:new',
      'base/arm64:build:new',
      'app/x86_64:build:parent-rebuilt+new',
      'app/arm64:build:parent-rebuilt+new',
    ]);
    for (const i of p.items) {
      expect(i.buildRegions).toEqual(['us-east-1']);
      expect(i.copyTo).toEqual(['us-east-2', 'us-west-1', 'us-west-2']);
      expect(i.regions).toEqual(REGIONS);
    }
    expect(item(p, 'app/x86_64').parent).toBe('base/x86_64');
    expect(item(p, 'base/x86_64').parent).toBeUndefined();
    expect(item(p, 'base/x86_64').baseImage).toBe(BASE_X86);
    expect(item(p, 'base/arm64').baseImage).toBe(BASE_ARM);
    expect(item(p, 'app/arm64').baseImage).toBeUndefined();
    expect(item(p, 'base/arm64').instanceType).toBe('t4g.medium');
    expect(p.totals).toMatchObject({ builds: 4, copies: 12, skips: 0 });
    expect(p.strategy).toBe('copy');
    expect(p.createdAt).toBe('2025-03-01T12:00:00.000Z');
  });

  it('skips when every region holds a validated current image with the same fingerprint', () => {
    const p = plan({ registry: allBuilt() });
    expect(summary(p)).toEqual([
      'base/x86_64:skip:up-to-date',
      'base/arm64:skip:up-to-date',
      'app/x86_64:skip:up-to-date',
      'app/arm64:skip:up-to-date',
    ]);
    expect(item(p, 'base/x86_64').reasons[0].detail).toBe('validated image with this fingerprint in all 4 regions');
    expect(p.items.every((i) => i.buildRegions.length === 0 && i.copyTo.length === 0)).toBe(true);
    expect(p.totals).toMatchObject({ builds: 0, copies: 0, skips: 4 });
    expect(p.totals.estimate).toEqual({
      instanceHours: 0,
      retestInstanceHours: 0,
      buildUsd: 0,
      copyGb: 0,
      copyUsd: 0,
      storageGbMonth: 0,
      storageUsdPerMonth: 0,
    });
    expect(p.perRegion.builds).toBe(0);
  });

  it('changed: a different fingerprint rebuilds, and the child (whose fingerprint follows its parent) with it', () => {
    const edited = templateFromYaml(
      yaml(
        'Base',
        `base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}\n${regionsLine}\nbuild: {volume_size_gb: 20}`,
        'echo edited',
      ),
      'base',
    );
    const editedChild = templateFromYaml(yaml('App', 'extends: base', 'echo app'), 'app', edited);
    const p = plan({ templates: [edited, editedChild], registry: allBuilt() });
    expect(codes(item(p, 'base/x86_64'))).toEqual(['changed']);
    expect(item(p, 'base/x86_64').reasons[0].detail).toBe('template changed since 1.0.0');
    expect(codes(item(p, 'app/arm64'))).toEqual(['parent-rebuilt', 'changed']);
    expect(item(p, 'app/arm64').reasons[1].detail).toBe('template or its parent changed since 1.0.0');
    expect(p.items.every((i) => i.action === 'build' && i.buildRegions.join() === 'us-east-1' && i.copyTo.length === 3)).toBe(true);

    // Only the child edited: the parent stays skipped.
    const appEdited = templateFromYaml(yaml('App', 'extends: base', 'echo app v2'), 'app', parent);
    const q = plan({ templates: [parent, appEdited], registry: allBuilt() });
    expect(summary(q)).toEqual([
      'base/x86_64:skip:up-to-date',
      'base/arm64:skip:up-to-date',
      'app/x86_64:build:changed',
      'app/arm64:build:changed',
    ]);
  });

  it('not-validated: the same fingerprint but no validated image anywhere rebuilds', () => {
    let doc = allBuilt([parent]);
    doc = built(doc, child, 'x86_64', { validated: false }).doc;
    doc = built(doc, child, 'arm64').doc;
    const p = plan({ registry: doc });
    expect(summary(p)).toEqual([
      'base/x86_64:skip:up-to-date',
      'base/arm64:skip:up-to-date',
      'app/x86_64:build:not-validated',
      'app/arm64:skip:up-to-date',
    ]);
    expect(item(p, 'app/x86_64').reasons[0].detail).toBe('the current image is not validated');
  });

  it('base-changed: the base image resolved now differs from the one the current image was built from', () => {
    const p = plan({ registry: allBuilt(), baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-east-1')]: NEW_BASE_X86 }) });
    expect(summary(p)).toEqual([
      'base/x86_64:build:base-changed',
      'base/arm64:skip:up-to-date',
      'app/x86_64:build:parent-rebuilt',
      'app/arm64:skip:up-to-date',
    ]);
    expect(item(p, 'base/x86_64').reasons[0].detail).toBe(`base image in us-east-1: ${BASE_X86} → ${NEW_BASE_X86}`);
    expect(item(p, 'base/x86_64').baseImage).toBe(NEW_BASE_X86);
    expect(item(p, 'app/x86_64').reasons[0].detail).toBe('base is rebuilt');
    // A base image that could not be resolved is not a change.
    const unknown = bases();
    unknown.delete(baseImageKey('base', 'x86_64', 'us-east-1'));
    expect(summary(plan({ registry: allBuilt(), baseImages: unknown })).every((s) => s.includes(':skip:'))).toBe(true);
  });

  it('base-changed follows a region copy back to the image it was copied from', () => {
    // Built in us-west-2 and copied; the template's build region (us-east-1) holds a copy whose
    // source is the us-west-2 image, not a base image.
    let doc = emptyRegistry();
    for (const arch of ARCHS) doc = built(doc, parent, arch, { buildRegion: 'us-west-2' }).doc;
    const unchanged = plan({ templates: [parent], registry: doc });
    expect(summary(unchanged)).toEqual(['base/x86_64:skip:up-to-date', 'base/arm64:skip:up-to-date']);

    // Base AMIs have other IDs in other regions: the copy's base is compared in the region the
    // image was built in (us-west-2), not in today's build region.
    const elsewhere = plan({
      templates: [parent],
      registry: doc,
      baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-east-1')]: NEW_BASE_X86 }),
    });
    expect(summary(elsewhere)).toEqual(['base/x86_64:skip:up-to-date', 'base/arm64:skip:up-to-date']);
    const changed = plan({
      templates: [parent],
      registry: doc,
      baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-west-2')]: NEW_BASE_X86 }),
    });
    expect(summary(changed)).toEqual(['base/x86_64:build:base-changed', 'base/arm64:skip:up-to-date']);
    expect(item(changed, 'base/x86_64').reasons[0].detail).toBe(`base image in us-west-2: ${BASE_X86} → ${NEW_BASE_X86}`);

    // A copy of a copy is followed too.
    let chain = emptyRegistry();
    const first = built(chain, parent, 'x86_64', { regions: ['us-west-2'] });
    chain = first.doc;
    const hop = nextAmi();
    chain = record(
      chain,
      {
        template: 'base',
        region: 'us-west-1',
        architecture: 'x86_64',
        amiId: hop,
        created: '2025-01-15T10:00:00Z',
        version: '1.0.0',
        fingerprint: templateFingerprint(parent, 'x86_64'),
        sourceAmi: first.ids['us-west-2'],
        validated: true,
      },
      clock,
    ).document;
    for (const region of ['us-east-1', 'us-east-2']) {
      chain = record(
        chain,
        {
          template: 'base',
          region,
          architecture: 'x86_64',
          amiId: nextAmi(),
          created: '2025-01-15T10:00:00Z',
          version: '1.0.0',
          fingerprint: templateFingerprint(parent, 'x86_64'),
          sourceAmi: hop,
          validated: true,
        },
        clock,
      ).document;
    }
    const x86 = { architectures: ['x86_64'] as Architecture[] };
    expect(summary(plan({ templates: [parent], registry: chain, ...x86 }))).toEqual(['base/x86_64:skip:up-to-date']);
    expect(
      summary(
        plan({
          templates: [parent],
          registry: chain,
          ...x86,
          baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-west-2')]: NEW_BASE_X86 }),
        }),
      ),
    ).toEqual(['base/x86_64:build:base-changed']);
  });

  it('parent-rebuilt: a child is rebuilt with its parent, and the parent is planned (first) when only the child is asked for', () => {
    const doc = allBuilt();
    const p = plan({ templates: [child], registry: doc, force: new Set(['base']) });
    expect(p.items.map((i) => [i.key, i.requested])).toEqual([
      ['base/x86_64', false],
      ['base/arm64', false],
      ['app/x86_64', true],
      ['app/arm64', true],
    ]);
    expect(summary(p)).toEqual([
      'base/x86_64:build:forced',
      'base/arm64:build:forced',
      'app/x86_64:build:parent-rebuilt',
      'app/arm64:build:parent-rebuilt',
    ]);

    // Order does not depend on the order the templates are given in.
    expect(plan({ templates: [child, parent] }).items.map((i) => i.key)).toEqual(
      plan({ templates: [parent, child] }).items.map((i) => i.key),
    );
    // Three generations: each child after its parent.
    const grandchild = templateFromYaml(yaml('Leaf', 'extends: app', 'echo leaf'), 'aaa-leaf', child);
    expect(plan({ templates: [grandchild] }).items.map((i) => i.key)).toEqual([
      'base/x86_64',
      'base/arm64',
      'app/x86_64',
      'app/arm64',
      'aaa-leaf/x86_64',
      'aaa-leaf/arm64',
    ]);
  });

  it('forced: every template, or only the ones named', () => {
    const doc = allBuilt([parent, child, other]);
    const all = plan({ templates: [parent, child, other], registry: doc, force: 'all' });
    expect(all.items.every((i) => i.action === 'build' && codes(i)[0] === 'forced')).toBe(true);
    expect(item(all, 'base/x86_64').reasons[0].detail).toBe('rebuild asked for (--force)');
    expect(all.totals).toMatchObject({ builds: 5, copies: 15, skips: 0 });

    const some = plan({ templates: [parent, child, other], registry: doc, force: new Set(['app']) });
    expect(summary(some)).toEqual([
      'base/x86_64:skip:up-to-date',
      'base/arm64:skip:up-to-date',
      'app/x86_64:build:forced',
      'app/arm64:build:forced',
      'other/x86_64:skip:up-to-date',
    ]);
    expect(plan({ templates: [parent, child, other], registry: doc, force: new Set() }).totals.builds).toBe(0);
  });

  it('a template added to a region: copied there from the region that has it, not built', () => {
    // Built when the templates had only us-east-2; now they list four regions.
    let doc = emptyRegistry();
    for (const t of [parent, child]) for (const arch of ARCHS) doc = built(doc, t, arch, { regions: ['us-east-2'] }).doc;
    const p = plan({ registry: doc });
    expect(summary(p)).toEqual([
      'base/x86_64:copy:missing-regions',
      'base/arm64:copy:missing-regions',
      'app/x86_64:copy:missing-regions',
      'app/arm64:copy:missing-regions',
    ]);
    const baseX86 = item(p, 'base/x86_64');
    expect(baseX86.sourceImage).toEqual({ region: 'us-east-2', imageId: doc.templates.base.amis['us-east-2'].x86_64!.ami_id });
    expect(baseX86.copyTo).toEqual(['us-east-1', 'us-west-1', 'us-west-2']);
    expect(baseX86.buildRegions).toEqual([]);
    expect(baseX86.reasons[0].detail).toBe('up to date in us-east-2; missing in us-east-1, us-west-1, us-west-2');
    expect(p.totals).toMatchObject({ builds: 0, copies: 12, skips: 0 });
    expect(p.totals.estimate.instanceHours).toBe(0);

    // One region added to a template present in the other three: one copy, from the build region.
    let three = emptyRegistry();
    for (const arch of ARCHS) three = built(three, parent, arch, { regions: REGIONS.slice(0, 3) }).doc;
    const q = plan({ templates: [parent], registry: three });
    expect(item(q, 'base/arm64')).toMatchObject({
      action: 'copy',
      copyTo: ['us-west-2'],
      sourceImage: { region: 'us-east-1', imageId: three.templates.base.amis['us-east-1'].arm64!.ami_id },
    });
  });

  it('--strategy per-region: builds in every region that needs it, copies nothing; the plan compares it with copying', () => {
    const p = plan({ strategy: 'per-region' });
    expect(p.strategy).toBe('per-region');
    for (const i of p.items) {
      expect(i.action).toBe('build');
      expect(i.buildRegions).toEqual(REGIONS);
      expect(i.copyTo).toEqual([]);
    }
    expect(p.totals).toMatchObject({ builds: 16, copies: 0 });
    expect(p.perRegion.builds).toBe(16);

    // The copy plan carries what building everywhere would take.
    const c = plan();
    expect(c.totals.builds).toBe(4);
    expect(c.perRegion.builds).toBe(16);
    expect(c.perRegion.estimate.instanceHours).toBe(16 * 0.5);
    expect(c.perRegion.estimate.instanceHours / c.totals.estimate.instanceHours).toBe(4);
    expect(c.perRegion.estimate.copyGb).toBe(0);
    expect(c.perRegion.estimate).toEqual(p.totals.estimate);

    // The images were built in us-east-1 and copied: a new base there is a change for every region
    // (each copy traces back to it); a new base only in us-west-1 is not, its image did not use it.
    const changed = plan({
      strategy: 'per-region',
      templates: [parent],
      registry: allBuilt([parent]),
      baseImages: bases({ [baseImageKey('base', 'arm64', 'us-east-1')]: 'ami-0b000000000000022' }),
    });
    expect(summary(changed)).toEqual(['base/x86_64:skip:up-to-date', 'base/arm64:build:base-changed']);
    expect(item(changed, 'base/arm64').buildRegions).toEqual(REGIONS);
    expect(item(changed, 'base/arm64').reasons).toHaveLength(1);
    const westOnly = plan({
      strategy: 'per-region',
      templates: [parent],
      registry: allBuilt([parent]),
      baseImages: bases({ [baseImageKey('base', 'arm64', 'us-west-1')]: 'ami-0b000000000000022' }),
    });
    expect(summary(westOnly)).toEqual(['base/x86_64:skip:up-to-date', 'base/arm64:skip:up-to-date']);
  });

  it('--strategy per-region with a region added: builds only there, for the parent and the child', () => {
    let doc = emptyRegistry();
    for (const t of [parent, child]) for (const arch of ARCHS) doc = built(doc, t, arch, { regions: REGIONS.slice(0, 3) }).doc;
    const p = plan({ strategy: 'per-region', registry: doc });
    expect(summary(p)).toEqual([
      'base/x86_64:build:missing-regions',
      'base/arm64:build:missing-regions',
      'app/x86_64:build:missing-regions',
      'app/arm64:build:missing-regions',
    ]);
    for (const i of p.items) expect([i.buildRegions, i.copyTo]).toEqual([['us-west-2'], []]);
    expect(p.totals).toMatchObject({ builds: 4, copies: 0 });
  });

  it('onlyOutdated keeps only what a security rebuild does: base changed, and the children rebuilt with it', () => {
    const editedOther = templateFromYaml(
      yaml('Other', `base_ami: {source: al2023, architecture: [x86_64]}\n${regionsLine}`, 'echo edited'),
      'other',
    );
    const input = {
      templates: [parent, child, editedOther],
      registry: allBuilt([parent, child, other]),
      baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-east-1')]: NEW_BASE_X86 }),
    };
    expect(summary(plan(input))).toEqual([
      'base/x86_64:build:base-changed',
      'base/arm64:skip:up-to-date',
      'app/x86_64:build:parent-rebuilt',
      'app/arm64:skip:up-to-date',
      'other/x86_64:build:changed',
    ]);
    const outdated = plan({ ...input, onlyOutdated: true });
    expect(summary(outdated)).toEqual(['base/x86_64:build:base-changed', 'app/x86_64:build:parent-rebuilt']);
    expect(outdated.totals).toMatchObject({ builds: 2, copies: 6, skips: 0 });
    // Nothing outdated: an empty plan.
    expect(plan({ ...input, baseImages: bases(), onlyOutdated: true }).items).toEqual([]);
  });

  it('--regions, --architectures and --build-region override the templates', () => {
    const regions = plan({ regions: ['eu-west-1', 'us-east-1'] });
    expect(
      regions.items.every(
        (i) => i.regions.join() === 'eu-west-1,us-east-1' && i.buildRegions.join() === 'eu-west-1' && i.copyTo.join() === 'us-east-1',
      ),
    ).toBe(true);

    const arm = plan({ architectures: ['arm64'] });
    expect(arm.items.map((i) => i.key)).toEqual(['base/arm64', 'app/arm64']);
    expect(plan({ templates: [other], architectures: ['arm64'] }).items).toEqual([]);

    const west = plan({ buildRegion: 'us-west-2', baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-west-2')]: NEW_BASE_X86 }) });
    expect(item(west, 'base/x86_64')).toMatchObject({
      buildRegions: ['us-west-2'],
      copyTo: ['us-east-1', 'us-east-2', 'us-west-1'],
      baseImage: NEW_BASE_X86,
    });
    // The base compared is the one where the current image was built (us-east-1), whatever the
    // build region is now.
    const rebuilt = plan({
      buildRegion: 'us-west-2',
      registry: allBuilt(),
      baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-east-1')]: NEW_BASE_X86 }),
    });
    expect(summary(rebuilt)[0]).toBe('base/x86_64:build:base-changed');
    const westNew = plan({
      buildRegion: 'us-west-2',
      registry: allBuilt(),
      baseImages: bases({ [baseImageKey('base', 'x86_64', 'us-west-2')]: NEW_BASE_X86 }),
    });
    expect(summary(westNew)[0]).toBe('base/x86_64:skip:up-to-date');
    // A build region the template does not use: its first region.
    expect(item(plan({ buildRegion: 'eu-west-1' }), 'base/x86_64').buildRegions).toEqual(['us-east-1']);

    // A template without regions uses the default ones.
    const nowhere = templateFromYaml(yaml('Nowhere', 'base_ami: {source: debian-12}'), 'nowhere');
    expect(item(plan({ templates: [nowhere], defaultRegions: ['eu-central-1', 'eu-west-1'] }), 'nowhere/x86_64')).toMatchObject({
      regions: ['eu-central-1', 'eu-west-1'],
      buildRegions: ['eu-central-1'],
      copyTo: ['eu-west-1'],
    });
  });

  it("estimates cost: instance-hours × the build instance type's price, copied GB, snapshot GB-month", () => {
    const large = templateFromYaml(
      yaml(
        'Large',
        `base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}\n${regionsLine}\nbuild: {instance_type: {x86_64: t3.large, arm64: m9.unknown}}`,
      ),
      'large',
    );
    // No volume size in the template: the recorded image size (never less than 8 GB).
    let doc = emptyRegistry();
    doc = built(doc, large, 'x86_64', { fingerprint: 'sha256:old', sizeGb: 12 }).doc;
    const p = plan({ templates: [parent, large], registry: doc });

    const baseX86 = item(p, 'base/x86_64').estimate;
    expect(baseX86.instanceHours).toBe(0.5);
    expect(baseX86.buildUsd).toBeCloseTo(0.5 * 0.04, 10);
    expect(baseX86.copyGb).toBe(3 * 20);
    expect(baseX86.copyUsd).toBeCloseTo(60 * 0.02, 10);
    expect(baseX86.storageGbMonth).toBe(4 * 20);
    expect(baseX86.storageUsdPerMonth).toBeCloseTo(80 * 0.05, 10);
    expect(item(p, 'base/arm64').estimate.buildUsd).toBeCloseTo(0.5 * 0.03, 10);

    expect(item(p, 'large/x86_64')).toMatchObject({ instanceType: 't3.large', volumeGb: 12 });
    expect(item(p, 'large/x86_64').estimate).toMatchObject({ instanceHours: 0.5, copyGb: 36, storageGbMonth: 48 });
    expect(item(p, 'large/x86_64').estimate.buildUsd).toBeCloseTo(0.05, 10);
    expect(item(p, 'large/arm64')).toMatchObject({ instanceType: 'm9.unknown', volumeGb: 8 });
    // An instance type without a price costs nothing in the estimate (rather than failing).
    expect(item(p, 'large/arm64').estimate.buildUsd).toBe(0);

    const t = p.totals.estimate;
    expect(t.instanceHours).toBe(2);
    expect(t.buildUsd).toBeCloseTo(0.5 * (0.04 + 0.03 + 0.1 + 0), 10);
    expect(t.copyGb).toBe(60 + 60 + 36 + 24);
    expect(t.copyUsd).toBeCloseTo(180 * 0.02, 10);
    expect(t.storageGbMonth).toBe(80 + 80 + 48 + 32);
    expect(t.storageUsdPerMonth).toBeCloseTo(240 * 0.05, 10);

    // Building in every region: four times the instance time, no transfer.
    expect(p.perRegion.estimate.instanceHours).toBe(8);
    expect(p.perRegion.estimate.buildUsd).toBeCloseTo(2 * (0.04 + 0.03 + 0.1), 10);
    expect(p.perRegion.estimate.copyUsd).toBe(0);

    // Build minutes and prices are inputs.
    const slow = plan({
      templates: [parent],
      buildMinutes: 90,
      prices: { instance: { 't3.medium': 1, 't4g.medium': 2 }, snapshotPerGbMonth: 0.1, copyPerGb: 0.5 },
    });
    expect(slow.totals.estimate).toEqual({
      instanceHours: 3,
      retestInstanceHours: 0,
      buildUsd: 1.5 * 1 + 1.5 * 2,
      copyGb: 120,
      copyUsd: 60,
      storageGbMonth: 160,
      storageUsdPerMonth: 16,
    });

    // The fresh-boot re-test's machine is instance time too, unless a template or the run skips it.
    const retested = plan({ templates: [parent], retestMinutes: 6 });
    expect(retested.totals.estimate.retestInstanceHours).toBeCloseTo(0.2, 10);
    expect(retested.totals.estimate.instanceHours).toBeCloseTo(1 + 0.2, 10);
    expect(retested.items.every((i) => i.retest)).toBe(true);
    const optedOut = { ...parent, build: { ...parent.build, retestOnFreshBoot: false } };
    expect(plan({ templates: [optedOut], retestMinutes: 6 }).totals.estimate.retestInstanceHours).toBe(0);
    expect(plan({ templates: [parent], retestMinutes: 6, retest: false }).totals.estimate).toMatchObject({
      retestInstanceHours: 0,
      instanceHours: 1,
    });

    // Copying only: no instance time.
    let added = emptyRegistry();
    for (const arch of ARCHS) added = built(added, parent, arch, { regions: ['us-east-1'] }).doc;
    const copies = plan({ templates: [parent], registry: added });
    expect(copies.totals.estimate).toMatchObject({ instanceHours: 0, buildUsd: 0, copyGb: 120, storageGbMonth: 160 });
  });

  it('is deterministic: the same input gives the same plan, and the input is not changed', () => {
    const input = (): Partial<PlanInput> => ({
      templates: [other, child, parent],
      registry: allBuilt([parent]),
      baseImages: bases({ [baseImageKey('base', 'arm64', 'us-east-1')]: 'ami-0b000000000000099' }),
      force: new Set(['other']),
    });
    const a = input();
    const before = structuredClone(a.registry);
    const first = plan(a);
    expect(plan(a)).toEqual(first);
    expect(plan(input())).toEqual(first);
    expect(a.registry).toEqual(before);
    expect(JSON.stringify(plan({ ...input(), templates: [parent, child, other] }))).toBe(JSON.stringify(first));
    expect(summary(first)).toEqual([
      'base/x86_64:skip:up-to-date',
      'base/arm64:build:base-changed',
      'app/x86_64:build:new',
      'app/arm64:build:parent-rebuilt+new',
      'other/x86_64:build:forced+new',
    ]);
  });

  it('a revoked build is not copied back: with one region revoked (--only-this-region), the item is rebuilt, not copied', () => {
    let doc = emptyRegistry();
    const made = built(doc, parent, 'x86_64');
    doc = revoke(made.doc, { template: 'base', amiId: made.ids['us-east-1'], scope: 'image' }, clock).document;
    const p = plan({ templates: [parent], architectures: ['x86_64'], registry: doc });
    expect(summary(p)).toEqual(['base/x86_64:build:revoked']);
    expect(item(p, 'base/x86_64').reasons[0].detail).toContain(`${made.ids['us-east-1']} of the same build was revoked in us-east-1`);
    // Without the revoke, the missing region would get a copy.
    const missing = built(emptyRegistry(), parent, 'x86_64', { regions: REGIONS.slice(1) }).doc;
    expect(summary(plan({ templates: [parent], architectures: ['x86_64'], registry: missing }))).toEqual([
      'base/x86_64:copy:missing-regions',
    ]);
  });

  it('says when the last image was taken out of service, rather than "no image yet"', () => {
    const made = built(emptyRegistry(), parent, 'x86_64');
    const doc = revoke(made.doc, { template: 'base', amiId: made.ids['us-east-1'] }, clock).document;
    const p = plan({ templates: [parent], architectures: ['x86_64'], registry: doc });
    expect(item(p, 'base/x86_64').reasons).toEqual([
      { code: 'new', detail: 'no current image (the last one was revoked, deleted or failed validation)' },
    ]);
  });

  it('the per-region comparison counts what --strategy per-region would build (only the missing regions of a copy-only item)', () => {
    const doc = built(allBuilt([parent]), other, 'x86_64', { regions: REGIONS.slice(0, 3) }).doc;
    const copy = plan({ templates: [parent, other], registry: doc });
    const perRegion = plan({ templates: [parent, other], registry: doc, strategy: 'per-region' });
    expect(summary(copy)).toEqual(['base/x86_64:skip:up-to-date', 'base/arm64:skip:up-to-date', 'other/x86_64:copy:missing-regions']);
    expect(copy.perRegion.builds).toBe(perRegion.totals.builds);
    expect(copy.perRegion.builds).toBe(1);
    const fresh = plan({ templates: [parent, other] });
    expect(fresh.perRegion.builds).toBe(plan({ templates: [parent, other], strategy: 'per-region' }).totals.builds);
  });

  it("a child's disk is its parent's image size when it has no image yet, not 8 GiB", () => {
    const p = plan();
    expect(item(p, 'base/x86_64').volumeGb).toBe(20);
    expect(item(p, 'app/x86_64').volumeGb).toBe(20);
  });
});
