import { DEFAULTS, type ValidationTest } from '../model.js';
import type { KeyPath } from '../yaml-source.js';
import type { PackageManager, RawPrismTemplate } from './schema.js';
import { MINIFORGE, serviceEnabled, shellQuote, SPACK_ROOT } from './setup.js';

/**
 * Validation tests derived from what a Prism template installs, since Prism's format has none:
 * every system package is installed, every conda, pip and spack package is there, every user
 * exists with its groups and shell, every enabled service is enabled (and active, and listening
 * on its port, after the boot that ends the setup).
 */

/** The package name of a requirement spec (`python=3.11`, `numpy>=1.26`, `torch[cuda]`). */
export function packageName(spec: string): string {
  return spec.trim().split(/[=<>!~\s[;@]/)[0] ?? spec;
}

/** A port as /proc/net/tcp writes it (four upper-case hex digits). */
function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

interface Derived {
  name: string;
  command: string;
  output?: ValidationTest['output'];
  exitCode?: number;
  retries?: number;
  path: KeyPath;
  derived: string;
}

export function prismDerivedTests(
  raw: RawPrismTemplate,
  manager: PackageManager,
  installer: 'apt' | 'dnf',
  origin: string,
): ValidationTest[] {
  const out: Derived[] = [];
  const packages = raw.packages ?? {};
  (packages.system ?? []).forEach((spec, i) => {
    const name = packageName(spec);
    const path = ['packages', 'system', i];
    const derived = `packages.system[${i}]`;
    if (installer === 'apt') {
      out.push({
        name: `package ${name} is installed`,
        command: `dpkg-query -W -f='\${Status}' ${shellQuote(name)}`,
        output: { kind: 'equals', value: 'install ok installed' },
        path,
        derived,
      });
    } else {
      out.push({ name: `package ${name} is installed`, command: `rpm -q --whatprovides ${shellQuote(name)}`, path, derived });
    }
  });
  if (manager === 'conda') {
    (packages.conda ?? []).forEach((spec, i) => {
      const name = packageName(spec);
      out.push({
        name: `conda package ${name} is installed`,
        command: `${MINIFORGE}/bin/conda list --full-name ${shellQuote(name)} | grep -q ${shellQuote(`^${name} `)}`,
        path: ['packages', 'conda', i],
        derived: `packages.conda[${i}]`,
      });
    });
  }
  if (manager === 'conda' || manager === 'pip') {
    const pip = manager === 'conda' ? `${MINIFORGE}/bin/pip` : 'pip3';
    (packages.pip ?? []).forEach((spec, i) => {
      const name = packageName(spec);
      out.push({
        name: `pip package ${name} is installed`,
        command: `${pip} show ${shellQuote(name)}`,
        path: ['packages', 'pip', i],
        derived: `packages.pip[${i}]`,
      });
    });
  }
  if (manager === 'spack') {
    (packages.spack ?? []).forEach((spec, i) => {
      out.push({
        name: `spack package ${packageName(spec)} is installed`,
        command: `${SPACK_ROOT}/bin/spack find ${shellQuote(spec)}`,
        path: ['packages', 'spack', i],
        derived: `packages.spack[${i}]`,
      });
    });
  }
  (raw.users ?? []).forEach((user, i) => {
    const name = shellQuote(user.name);
    const derived = `users[${i}]`;
    out.push({
      name: `user ${user.name} exists with shell ${user.shell || '/bin/bash'}`,
      command: `getent passwd ${name} | cut -d: -f7`,
      output: { kind: 'equals', value: user.shell || '/bin/bash' },
      path: ['users', i],
      derived,
    });
    for (const group of user.groups ?? []) {
      out.push({
        name: `user ${user.name} is in group ${group}`,
        command: `id -nG ${name} | tr ' ' '\\n' | grep -qx ${shellQuote(group)}`,
        path: ['users', i, 'groups'],
        derived,
      });
    }
  });
  (raw.services ?? []).forEach((service, i) => {
    if (!serviceEnabled(service)) return;
    const derived = `services[${i}]`;
    const path = ['services', i];
    out.push({
      name: `service ${service.name} is enabled`,
      command: `systemctl is-enabled ${service.name}`,
      output: { kind: 'equals', value: 'enabled' },
      path,
      derived,
    });
    const port = service.port ?? 0;
    if (port <= 0) return;
    out.push({
      name: `service ${service.name} is active after boot`,
      command: `systemctl is-active ${service.name}`,
      output: { kind: 'equals', value: 'active' },
      retries: 10,
      path,
      derived,
    });
    out.push({
      name: `port ${port} is listening (${service.name})`,
      command: `grep -sEq ':${hexPort(port)} [0-9A-F]+:0000 0A ' /proc/net/tcp /proc/net/tcp6`,
      retries: 10,
      path: ['services', i, 'port'],
      derived,
    });
  });

  const seen = new Set<string>();
  return out
    .filter((t) => !seen.has(t.name) && seen.add(t.name))
    .map((t): ValidationTest => ({
      name: t.name,
      command: t.command,
      ...(t.output ? { output: t.output } : {}),
      exitCode: t.exitCode ?? 0,
      timeoutSeconds: DEFAULTS.testTimeoutSeconds,
      retries: t.retries ?? DEFAULTS.testRetries,
      retryDelaySeconds: t.retries ? 3 : DEFAULTS.testRetryDelaySeconds,
      origin,
      sourcePath: t.path,
      derivedFrom: t.derived,
    }));
}
