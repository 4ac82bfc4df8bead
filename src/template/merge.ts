import { ARCHITECTURES } from '../core/types.js';
import type { Template, TemplateDefinition, ValidationTest } from './model.js';

/**
 * Applies the extends merge rules (docs/templates.md#extends). Pure. The caller has checked that
 * a root has a base and a child has none.
 */
export function mergeTemplate(definition: TemplateDefinition, parent: Template | undefined): Template {
  const template: Template = {
    slug: definition.slug,
    file: definition.file,
    format: definition.format,
    name: definition.name,
    description: definition.description,
    base: parent ? parent.base : definition.base!,
    architectures: definition.architectures ?? parent?.architectures ?? [...ARCHITECTURES],
    regions: definition.regions ?? parent?.regions ?? [],
    setup: definition.setup,
    tests: parent ? mergeTests(parent.tests, definition.tests) : definition.tests,
    ports: [...new Set([...(parent?.ports ?? []), ...(definition.ports ?? [])])],
    costs: { ...(parent?.costs ?? {}), ...(definition.costs ?? {}) },
    build: {
      instanceType: { ...(parent?.build.instanceType ?? {}), ...definition.build.instanceType },
      ...optional('volumeSizeGb', definition.build.volumeSizeGb ?? parent?.build.volumeSizeGb),
      ...optional('timeoutMinutes', definition.build.timeoutMinutes ?? parent?.build.timeoutMinutes),
      ...optional('retestOnFreshBoot', definition.build.retestOnFreshBoot ?? parent?.build.retestOnFreshBoot),
      ...optional('generalize', definition.build.generalize ?? parent?.build.generalize),
    },
    amis: definition.amis,
    tags: { ...(parent?.tags ?? {}), ...definition.tags },
    dependencies: definition.dependencies,
  };
  if (definition.version !== undefined) template.version = definition.version;
  if (definition.launchTime) template.launchTime = definition.launchTime;
  if (definition.prism?.inherits.length) template.inherits = definition.prism.inherits;
  if (definition.notBuilt) template.notBuilt = definition.notBuilt;
  if (parent) template.parent = parent;
  return template;
}

/** The parent's tests in order, a same-named child test in its place, then the child's new ones. */
function mergeTests(parentTests: readonly ValidationTest[], childTests: readonly ValidationTest[]): ValidationTest[] {
  const byName = new Map(childTests.map((t) => [t.name, t]));
  const merged = parentTests.map((t) => byName.get(t.name) ?? t);
  const inherited = new Set(parentTests.map((t) => t.name));
  return [...merged, ...childTests.filter((t) => !inherited.has(t.name))];
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
