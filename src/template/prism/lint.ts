import type { Diagnostic } from '../../core/diagnostic.js';
import { formatKeyPath } from '../../core/diagnostic.js';
import type { Template } from '../model.js';
import type { ParsedTemplate } from '../parse-template.js';
import { locate, type KeyPath } from '../yaml-source.js';
import { prismBase } from './bases.js';
import { PLACEHOLDER } from './normalize.js';
import type { RawPrismTemplate } from './schema.js';
import { nothingToBuild, serviceEnabled } from './setup.js';

/**
 * Lint rules for Prism's format: what cannot be built (an error: builds refuse it), and where
 * prism-ami's reading differs from what Prism's launcher does with the same file (warnings).
 */
export function prismLintDiagnostics(parsed: ParsedTemplate, template: Template, display: string): Diagnostic[] {
  const prism = parsed.definition.prism;
  if (!prism) return [];
  const raw = prism.raw;
  const out: Diagnostic[] = [];
  const add = (severity: Diagnostic['severity'], path: KeyPath, rule: string, message: string, fix: string, atKey = false): void => {
    const pos = locate(parsed.source, path, { key: atKey });
    out.push({ severity, rule, message, fix, file: display, line: pos.line, column: pos.column, path: formatKeyPath(path) });
  };

  if (template.notBuilt) add('error', ['base'], template.notBuilt.rule, template.notBuilt.message, template.notBuilt.fix);
  const base = prismBase(raw.base);
  const manager = raw.package_manager;
  if (base.ok && base.family && (manager === 'apt' || manager === 'dnf') && manager !== base.family) {
    add(
      'error',
      ['package_manager'],
      'prism/package-manager-base',
      `package_manager is ${manager}, but ${typeof raw.base === 'string' ? raw.base : 'the base'} uses ${base.family}: the setup would fail`,
      `use package_manager: ${base.family} (and ${base.family === 'apt' ? 'Debian/Ubuntu' : 'RPM'} package names), or a base that has ${manager}`,
    );
  }
  if (manager === undefined && !template.notBuilt) {
    add(
      'warning',
      ['name'],
      'prism/package-manager',
      `no package_manager: Prism refuses to generate a script for this template; prism-ami uses ${base.ok && base.family ? base.family : 'apt'}`,
      'add package_manager: apt (or dnf, conda, pip, spack)',
      true,
    );
  }
  differences(raw, add);
  const instead = nothingToBuild(template);
  if (instead) {
    const at = (template.launchTime ?? []).map((f) => f.key).join(', ');
    add(
      'warning',
      ['name'],
      'prism/nothing-to-build',
      `nothing to build: the image would be ${instead}; everything this template sets up happens at launch${at ? ` (${at})` : ''}`,
      'move what the image should contain into packages, users, services or post_install',
      true,
    );
  }
  return out;
}

type Add = (severity: Diagnostic['severity'], path: KeyPath, rule: string, message: string, fix: string, atKey?: boolean) => void;

/** Where Prism's generators and prism-ami read the same file differently (docs/templates.md). */
function differences(raw: RawPrismTemplate, add: Add): void {
  const manager = raw.package_manager;
  const dropsSystem = manager === 'conda' || manager === 'spack';
  if (dropsSystem && raw.packages?.system?.length) {
    add(
      'warning',
      ['packages', 'system'],
      'prism/generator-difference',
      `Prism's ${manager} script leaves out packages.system; prism-ami installs them into the image`,
      'nothing to do if the image should have them; otherwise remove them',
      true,
    );
  }
  if ((manager === 'pip' || manager === 'spack') && raw.post_install?.trim()) {
    add(
      'warning',
      ['post_install'],
      'prism/generator-difference',
      `Prism's ${manager} script never runs post_install; prism-ami runs it in the build`,
      'nothing to do if the image should have what it installs',
      true,
    );
  }
  if (raw.user_data !== undefined && (raw.packages || raw.users || raw.services || raw.post_install)) {
    add(
      'warning',
      ['user_data'],
      'prism/generator-difference',
      "Prism launches with user_data instead of the script it generates, so its instances never get this template's packages, users or services; the image built here has them, and user_data still runs at launch",
      'nothing to do once Prism launches this image',
      true,
    );
  }
  (raw.services ?? []).forEach((service, i) => {
    if (service.enable === false && serviceEnabled(service)) {
      add(
        'warning',
        ['services', i, 'enable'],
        'prism/service-enabled',
        `${service.name} has a port, so Prism enables it despite enable: false; prism-ami does the same`,
        'remove its port, or write enable: true',
      );
    }
  });
  if (raw.post_install && PLACEHOLDER.test(raw.post_install)) {
    add(
      'warning',
      ['post_install'],
      'prism/launch-time',
      'post_install uses {{…}} launch parameters, so it is left out of the image and runs at launch only',
      'move the parts that need no parameter into packages or a post_install without placeholders',
      true,
    );
  }
}
