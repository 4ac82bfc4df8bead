import type { KeyPath } from '../yaml-source.js';
import type { PackageManager, RawPrismService, RawPrismTemplate, RawPrismUser } from './schema.js';

/**
 * The setup steps of a Prism template: what Prism's ScriptGenerator (pkg/templates/
 * script_generator.go) installs for its package manager, as separate steps, without what only
 * makes sense when an instance launches (starting services, progress markers, completion logs).
 * Where Prism's generators leave out something the template asks for (conda and spack drop
 * `packages.system`; pip and spack drop `post_install`), prism-ami installs it anyway: see
 * docs/templates.md#prisms-launcher-format.
 */

export interface GeneratedStep {
  name: string;
  script: string;
  timeoutSeconds: number;
  /** Where in the template the step comes from (lint and error positions). */
  sourcePath: KeyPath;
  /** Lines the generator put before the template's own text (post_install). */
  sourceLineOffset?: number;
  reboot?: boolean;
}

export const MINIFORGE = '/opt/miniforge';
const MINIFORGE_URL = 'https://github.com/conda-forge/miniforge/releases/latest/download/Miniforge3-Linux-$(uname -m).sh';
export const SPACK_ROOT = '/opt/spack';

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const HEADER = 'set -euo pipefail';
const APT_ENV = 'export DEBIAN_FRONTEND=noninteractive';

function script(...lines: (string | false | undefined)[]): string {
  return `${lines.filter((l): l is string => typeof l === 'string').join('\n')}\n`;
}

/** The package manager Prism would use: the template's, else the base's family (Prism refuses none). */
export function effectiveManager(raw: RawPrismTemplate, family: 'apt' | 'dnf' | undefined): PackageManager {
  return raw.package_manager ?? family ?? 'apt';
}

/** System packages go through apt or dnf: dnf only when the manager or the base says so. */
export function systemInstaller(manager: PackageManager, family: 'apt' | 'dnf' | undefined): 'apt' | 'dnf' {
  return manager === 'dnf' || (manager !== 'apt' && family === 'dnf') ? 'dnf' : 'apt';
}

function installSystem(installer: 'apt' | 'dnf', packages: readonly string[]): string {
  const words = packages.map(shellQuote).join(' ');
  return installer === 'apt' ? `apt-get install -y ${words}` : `dnf install -y ${words}`;
}

function baseStep(manager: PackageManager, installer: 'apt' | 'dnf'): GeneratedStep {
  const path: KeyPath = ['package_manager'];
  if (installer === 'dnf') {
    return {
      name: "Prism's base system (dnf)",
      sourcePath: path,
      timeoutSeconds: 3600,
      script: script(
        HEADER,
        'dnf upgrade -y',
        '# prism-ami: disable=script/masked-install-failure (EPEL exists on RHEL and Rocky only; Prism ignores its absence too)',
        'dnf install -y epel-release || true',
        'dnf install -y --allowerasing curl wget ca-certificates gcc gcc-c++ make git',
        manager === 'conda' && 'dnf install -y bzip2',
      ),
    };
  }
  const extra: Partial<Record<PackageManager, string>> = {
    conda: 'bzip2 ca-certificates',
    pip: 'python3 python3-pip python3-venv',
    spack: 'ca-certificates coreutils curl environment-modules gfortran git gpg lsb-release python3 python3-venv unzip zip xz-utils file',
  };
  return {
    name: "Prism's base system (apt)",
    sourcePath: path,
    timeoutSeconds: 3600,
    script: script(
      HEADER,
      APT_ENV,
      'apt-get update -y',
      'apt-get upgrade -y',
      `apt-get install -y curl wget software-properties-common build-essential${extra[manager] ? ` ${extra[manager]}` : ''}`,
    ),
  };
}

function miniforgeStep(): GeneratedStep {
  return {
    name: 'Miniforge (conda)',
    sourcePath: ['package_manager'],
    timeoutSeconds: 1800,
    script: script(
      HEADER,
      `wget -q -O /tmp/miniforge.sh "${MINIFORGE_URL}"`,
      `bash /tmp/miniforge.sh -b -p ${MINIFORGE}`,
      'rm -f /tmp/miniforge.sh',
      `echo 'export PATH="${MINIFORGE}/bin:$PATH"' > /etc/profile.d/miniforge.sh`,
      `${MINIFORGE}/bin/conda init bash`,
    ),
  };
}

function spackStep(): GeneratedStep {
  return {
    name: 'Spack',
    sourcePath: ['package_manager'],
    timeoutSeconds: 1800,
    script: script(
      HEADER,
      `git clone --depth 1 --branch releases/v0.21 -c feature.manyFiles=true https://github.com/spack/spack.git ${SPACK_ROOT}`,
      `cat > /etc/profile.d/spack.sh <<'EOF'`,
      `export SPACK_ROOT=${SPACK_ROOT}`,
      '. "$SPACK_ROOT/share/spack/setup-env.sh"',
      'EOF',
      `${SPACK_ROOT}/bin/spack compiler find`,
      `${SPACK_ROOT}/bin/spack external find`,
    ),
  };
}

function usersStep(users: readonly RawPrismUser[], manager: PackageManager): GeneratedStep {
  const lines: string[] = [HEADER];
  for (const user of users) {
    const name = shellQuote(user.name);
    lines.push(`id -u ${name} >/dev/null 2>&1 || useradd -m -s ${shellQuote(user.shell || '/bin/bash')} ${name}`);
    for (const group of user.groups ?? []) {
      const g = shellQuote(group);
      // Prism's usermod fails when the group does not exist (wheel on Ubuntu); the group is made.
      lines.push(`getent group ${g} >/dev/null || groupadd ${g}`, `usermod -aG ${g} ${name}`);
    }
    if (manager === 'conda') {
      lines.push(`sudo -u ${name} -H ${MINIFORGE}/bin/conda init bash`);
    } else if (manager === 'spack') {
      lines.push(`echo '. /etc/profile.d/spack.sh' >> /home/${user.name}/.bashrc`, `chown ${name}: /home/${user.name}/.bashrc`);
    }
  }
  return { name: 'users', sourcePath: ['users'], timeoutSeconds: 600, script: script(...lines) };
}

/**
 * Whether a step is Prism's set-up for the package manager (the base system, Miniforge, Spack)
 * rather than something the template itself asks for.
 */
export function isManagerStep(step: { sourcePath: KeyPath }): boolean {
  return step.sourcePath[0] === 'package_manager';
}

/**
 * A Prism template with nothing of its own to build (all it sets up is launch-time): what the
 * image would be instead, for `show` and lint; undefined when the template builds something, is
 * not in Prism's format, or is not built at all (ami-based).
 */
export function nothingToBuild(template: {
  format: string;
  notBuilt?: unknown;
  setup: readonly { name: string; sourcePath: KeyPath }[];
}): string | undefined {
  const { format, notBuilt, setup } = template;
  if (format !== 'prism' || notBuilt || !setup.every(isManagerStep)) return undefined;
  return setup.length === 0 ? 'the base image as it is' : `only ${setup.map((s) => s.name).join(', ')}`;
}

/** Prism enables a service that has a port even when it says `enable: false` (parser.go). */
export function serviceEnabled(service: RawPrismService): boolean {
  return service.enable === true || (service.port ?? 0) > 0;
}

function jupyterUnit(service: RawPrismService, user: string): string[] {
  const home = `/home/${user}`;
  return [
    `sudo -u ${shellQuote(user)} -H ${MINIFORGE}/bin/jupyter lab --generate-config -y`,
    `cat >> ${home}/.jupyter/jupyter_lab_config.py <<'EOF'`,
    "c.ServerApp.token = ''",
    "c.ServerApp.password = ''",
    'EOF',
    `cat > /etc/systemd/system/jupyter.service <<'EOF'`,
    '[Unit]',
    'Description=Jupyter Lab',
    'After=network.target',
    '[Service]',
    'Type=simple',
    `User=${user}`,
    `Environment=PATH=${MINIFORGE}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    `WorkingDirectory=${home}`,
    `ExecStart=${MINIFORGE}/bin/jupyter lab --ip=127.0.0.1 --port=${service.port ?? 8888} --no-browser`,
    'Restart=always',
    '[Install]',
    'WantedBy=multi-user.target',
    'EOF',
    'systemctl daemon-reload',
  ];
}

function servicesStep(raw: RawPrismTemplate, manager: PackageManager): GeneratedStep {
  const lines: string[] = [HEADER];
  const users = raw.users ?? [];
  for (const service of raw.services ?? []) {
    const name = service.name;
    if (manager === 'conda' && name === 'jupyter') {
      // Prism's conda generator writes a unit for Jupyter run by the user "researcher".
      const user = users.find((u) => u.name === 'researcher')?.name ?? users[0]?.name ?? 'root';
      lines.push(...jupyterUnit(service, user));
    }
    if (service.config && service.config.length > 0) {
      lines.push(`mkdir -p /etc/${name}`, `printf '%s\\n' ${service.config.map(shellQuote).join(' ')} > /etc/${name}/${name}.conf`);
    }
    if (serviceEnabled(service)) lines.push(`systemctl enable ${name}`);
  }
  return { name: 'services', sourcePath: ['services'], timeoutSeconds: 600, script: script(...lines) };
}

function listStep(name: string, path: KeyPath, command: string, timeoutSeconds = 3600): GeneratedStep {
  return { name, sourcePath: path, timeoutSeconds, script: script(HEADER, APT_ENV, command) };
}

/** The steps that build what a (merged) Prism template installs. */
export function prismSetupSteps(raw: RawPrismTemplate, family: 'apt' | 'dnf' | undefined): GeneratedStep[] {
  const manager = effectiveManager(raw, family);
  const installer = systemInstaller(manager, family);
  const packages = raw.packages ?? {};
  const steps: GeneratedStep[] = [];
  if (manager !== 'ami') steps.push(baseStep(manager, installer));
  if (manager === 'conda') steps.push(miniforgeStep());
  if (manager === 'spack') steps.push(spackStep());
  if (packages.system?.length) steps.push(listStep('system packages', ['packages', 'system'], installSystem(installer, packages.system)));
  if (manager === 'conda' && packages.conda?.length) {
    const words = packages.conda.map(shellQuote).join(' ');
    steps.push(listStep('conda packages', ['packages', 'conda'], `${MINIFORGE}/bin/conda install -y ${words}`));
  }
  if ((manager === 'conda' || manager === 'pip') && packages.pip?.length) {
    const pip = manager === 'conda' ? `${MINIFORGE}/bin/pip` : 'pip3';
    steps.push(listStep('pip packages', ['packages', 'pip'], `${pip} install ${packages.pip.map(shellQuote).join(' ')}`));
  }
  if (manager === 'spack' && packages.spack?.length) {
    const lines = packages.spack.map((p) => `${SPACK_ROOT}/bin/spack install ${shellQuote(p)}`).join('\n');
    steps.push(listStep('spack packages', ['packages', 'spack'], lines, 4 * 3600));
  }
  if (raw.users?.length) steps.push(usersStep(raw.users, manager));
  if (raw.services?.length) steps.push(servicesStep(raw, manager));
  if (raw.post_install !== undefined && raw.post_install.trim() !== '') {
    steps.push({
      name: 'post_install',
      sourcePath: ['post_install'],
      sourceLineOffset: 2,
      timeoutSeconds: 3600,
      script: `${HEADER}\n${manager === 'conda' ? `export PATH="${MINIFORGE}/bin:$PATH"` : APT_ENV}\n${raw.post_install}`,
    });
  }
  // Services with a port must be running after boot: the last step reboots, so the tests see them
  // as an instance launched from the image would.
  if (steps.length > 0 && (raw.services ?? []).some((s) => serviceEnabled(s) && (s.port ?? 0) > 0)) steps[steps.length - 1].reboot = true;
  return steps;
}
