import type { RawPrismTemplate } from './schema.js';

/**
 * `inherits` as Prism's TemplateRegistry merges it (pkg/templates/parser.go): the parents in the
 * order listed (each already merged with its own parents), then the child. Packages, users and
 * services are appended; `post_install` scripts are concatenated, parents first; ports are
 * unioned in order; tags, costs, the instance type and `package_manager` are taken from the last
 * template that sets them (so the child wins). Name, slug, description, base and version are the
 * child's. Prism's merge keeps nothing else of the parents; prism-ami also keeps the largest
 * `root_volume_gb` (a disk cannot shrink) and the parents' written validation_tests.
 */
export function mergePrismTemplates(parents: readonly RawPrismTemplate[], child: RawPrismTemplate): RawPrismTemplate {
  const chain = [...parents, child];
  const merged: RawPrismTemplate = { ...child };
  const lists = (pick: (t: RawPrismTemplate) => string[] | undefined): string[] | undefined => {
    const all = chain.flatMap((t) => pick(t) ?? []);
    return all.length > 0 ? all : undefined;
  };
  const packages = {
    system: lists((t) => t.packages?.system),
    conda: lists((t) => t.packages?.conda),
    pip: lists((t) => t.packages?.pip),
    spack: lists((t) => t.packages?.spack),
  };
  merged.packages = Object.fromEntries(Object.entries(packages).filter(([, v]) => v !== undefined));
  const users = chain.flatMap((t) => t.users ?? []);
  if (users.length > 0) merged.users = users;
  const services = chain.flatMap((t) => t.services ?? []);
  if (services.length > 0) merged.services = services;

  const scripts = chain.map((t) => t.post_install).filter((s): s is string => s !== undefined && s.trim() !== '');
  if (scripts.length > 0)
    merged.post_install = scripts.map((s) => s.replace(/\s+$/, '')).join('\n\n# --- next template in the inherits chain ---\n') + '\n';

  const last = <T>(pick: (t: RawPrismTemplate) => T | undefined): T | undefined => {
    let value: T | undefined;
    for (const t of chain) value = pick(t) ?? value;
    return value;
  };
  const packageManager = last((t) => t.package_manager);
  if (packageManager) merged.package_manager = packageManager;
  const tags = Object.assign({}, ...chain.map((t) => t.tags ?? {})) as Record<string, string>;
  if (Object.keys(tags).length > 0) merged.tags = tags;
  const amiConfig = last((t) => (t.ami_config?.amis ? t.ami_config : undefined));
  if (amiConfig) merged.ami_config = amiConfig;

  const ports = [...new Set(chain.flatMap((t) => t.instance_defaults?.ports ?? []))];
  const costs = Object.assign({}, ...chain.map((t) => t.instance_defaults?.estimated_cost_per_hour ?? {})) as Record<string, number>;
  const type = last((t) => t.instance_defaults?.type || undefined);
  const volumes = chain.map((t) => t.instance_defaults?.root_volume_gb).filter((v): v is number => v !== undefined);
  merged.instance_defaults = {
    ...(child.instance_defaults ?? {}),
    ...(ports.length > 0 ? { ports } : {}),
    ...(Object.keys(costs).length > 0 ? { estimated_cost_per_hour: costs } : {}),
    ...(type ? { type } : {}),
    ...(volumes.length > 0 ? { root_volume_gb: Math.max(...volumes) } : {}),
  };

  const byName = new Map<string, NonNullable<RawPrismTemplate['validation_tests']>[number]>();
  for (const t of chain) for (const test of t.validation_tests ?? []) byName.set(test.name, test);
  if (byName.size > 0) merged.validation_tests = [...byName.values()];
  delete merged.inherits;
  return merged;
}
