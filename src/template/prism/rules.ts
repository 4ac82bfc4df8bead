import type { RuleIssue } from '../template-rules.js';

type Dict = Record<string, unknown>;

const asDict = (v: unknown): Dict | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : undefined);
const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/**
 * The checks Prism's parser makes before it accepts a template (pkg/templates/parser.go,
 * validatePackageConsistency and validateInheritance): a template Prism refuses is refused here.
 */
export function checkPrismRules(data: unknown): RuleIssue[] {
  const root = asDict(data);
  if (!root) return [];
  const issues: RuleIssue[] = [];
  const packages = asDict(root.packages) ?? {};
  const manager = root.package_manager;
  if ((manager === 'apt' || manager === 'dnf') && (count(packages.conda) > 0 || count(packages.spack) > 0)) {
    issues.push({
      path: ['packages', count(packages.conda) > 0 ? 'conda' : 'spack'],
      atKey: true,
      rule: 'prism/package-consistency',
      message: `package_manager is ${manager}, but the template lists ${count(packages.conda) > 0 ? 'conda' : 'spack'} packages (Prism refuses this template)`,
      fix: `use package_manager: ${count(packages.conda) > 0 ? 'conda' : 'spack'}, or move the packages to packages.system`,
    });
  }
  if (manager === 'ami' && ['system', 'conda', 'spack'].some((k) => count(packages[k]) > 0)) {
    issues.push({
      path: ['packages'],
      atKey: true,
      rule: 'prism/package-consistency',
      message: 'an ami package_manager template installs no packages (Prism refuses this template)',
      fix: 'remove packages, or use the package manager that installs them',
    });
  }
  const inherits = Array.isArray(root.inherits) ? root.inherits : [];
  inherits.forEach((parent, i) => {
    if (parent === root.name || (typeof root.slug === 'string' && parent === root.slug)) {
      issues.push({
        path: ['inherits', i],
        rule: 'prism/inherits-self',
        message: `the template inherits from itself ("${String(parent)}")`,
        fix: 'name another template',
      });
    }
  });
  return issues;
}
