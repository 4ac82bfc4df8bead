import { describe, expect, it } from 'vitest';
import { yamlLines } from '../../../test/support/files.js';
import { parseTemplate } from '../parse-template.js';
import type { TemplateDefinition } from '../model.js';

function parse(text: string, slug = 'demo'): TemplateDefinition {
  const result = parseTemplate(text, 'demo.yml', slug);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`).join('\n'));
  return result.parsed.definition;
}

/** A Prism template using every field the issue lists. */
const EVERY_FIELD = yamlLines(
  'name: "Every Field"',
  'slug: "every-field"',
  'description: "all of it"',
  'long_description: "GUI text"',
  'base: "ubuntu-22.04"',
  'package_manager: "apt"',
  'icon: "🧪"',
  'category: "Testing"',
  'complexity: "simple"',
  'connection_type: "web"',
  'packages:',
  '  system: ["nginx", "jq=1.6*"]',
  'users:',
  '  - name: "alice"',
  '    groups: ["sudo", "docker"]',
  '  - name: "bob"',
  '    shell: "/bin/sh"',
  'services:',
  '  - name: "nginx"',
  '    port: 8080',
  '    config: ["listen 8080;", "it\'s $HOME"]',
  '  - name: "cron"',
  '    enable: true',
  '  - name: "idle"',
  'post_install: |',
  '  echo done > /etc/done',
  'user_data: |',
  '  #!/bin/bash',
  '  echo {{IDLE_THRESHOLD_MINUTES}}',
  'parameters:',
  '  size: {type: string, default: "M"}',
  'research_user: {auto_create: true, install_ssh_keys: true}',
  'files: [{source: a, destination: b}]',
  'idle_detection: {enabled: true}',
  'instance_defaults:',
  '  type: "t3.large"',
  '  ports: [22, 443]',
  '  root_volume_gb: 40',
  '  estimated_cost_per_hour: {x86_64: 0.0832, arm64: 0.0672}',
  'version: 1.10',
  'tags: {team: "lab"}',
  'unknown_key_prism_ignores: true',
);

describe("Prism's launcher format", () => {
  it('is detected as its own format and normalised to the image model', () => {
    const t = parse(EVERY_FIELD, 'every-field');
    expect(t.format).toBe('prism');
    expect(t.name).toBe('Every Field');
    expect(t.version).toBe('1.10');
    expect(t.base).toEqual({ kind: 'alias', alias: 'ubuntu-22.04-lts' });
    expect(t.build.volumeSizeGb).toBe(40);
    expect(t.build.instanceType).toEqual({});
    // SSH always, the enabled services' ports, then instance_defaults.ports (Prism's getPortMapping).
    expect(t.ports).toEqual([22, 8080, 443]);
    expect(t.costs).toEqual({ x86_64: 0.0832, arm64: 0.0672 });
    expect(t.tags).toEqual({ team: 'lab' });
    expect(t.setup.map((s) => s.name)).toEqual(["Prism's base system (apt)", 'system packages', 'users', 'services', 'post_install']);
  });

  it("generates the steps Prism's apt generator would, without launch-time work", () => {
    const steps = parse(EVERY_FIELD).setup;
    const script = (name: string) => steps.find((s) => s.name === name)!.script;
    expect(script("Prism's base system (apt)")).toContain('apt-get install -y curl wget software-properties-common build-essential');
    expect(script('system packages')).toContain("apt-get install -y nginx 'jq=1.6*'");
    expect(script('users')).toContain('useradd -m -s /bin/bash alice');
    expect(script('users')).toContain('useradd -m -s /bin/sh bob');
    expect(script('users')).toContain('getent group docker >/dev/null || groupadd docker');
    expect(script('users')).toContain('usermod -aG docker alice');
    // Config lines are written as given (no shell expansion), then the service is enabled, not started.
    expect(script('services')).toContain(`printf '%s\\n' 'listen 8080;' 'it'\\''s $HOME' > /etc/nginx/nginx.conf`);
    expect(script('services')).toContain('systemctl enable nginx');
    expect(script('services')).toContain('systemctl enable cron');
    expect(script('services')).not.toContain('systemctl enable idle');
    expect(steps.map((s) => s.script).join('\n')).not.toMatch(/systemctl start/);
    expect(script('post_install')).toBe('set -euo pipefail\nexport DEBIAN_FRONTEND=noninteractive\necho done > /etc/done\n');
    expect(steps.find((s) => s.name === 'post_install')!.sourceLineOffset).toBe(2);
    // A service with a port is running after boot: the last step reboots.
    expect(steps.map((s) => s.reboot)).toEqual([false, false, false, false, true]);
    expect(steps.map((s) => s.script).join('\n')).not.toContain('IDLE_THRESHOLD');
  });

  it('derives validation tests from what it installs, named so failures read well', () => {
    const tests = parse(EVERY_FIELD).tests;
    expect(tests.map((t) => t.name)).toEqual([
      'package nginx is installed',
      'package jq is installed',
      'user alice exists with shell /bin/bash',
      'user alice is in group sudo',
      'user alice is in group docker',
      'user bob exists with shell /bin/sh',
      'service nginx is enabled',
      'service nginx is active after boot',
      'port 8080 is listening (nginx)',
      'service cron is enabled',
    ]);
    const byName = new Map(tests.map((t) => [t.name, t]));
    expect(byName.get('package jq is installed')).toMatchObject({
      command: "dpkg-query -W -f='${Status}' jq",
      output: { kind: 'equals', value: 'install ok installed' },
      derivedFrom: 'packages.system[1]',
    });
    expect(byName.get('port 8080 is listening (nginx)')).toMatchObject({
      command: "grep -sEq ':1F90 [0-9A-F]+:0000 0A ' /proc/net/tcp /proc/net/tcp6",
      retries: 10,
    });
    expect(byName.get('service nginx is active after boot')).toMatchObject({ output: { kind: 'equals', value: 'active' }, retries: 10 });
  });

  it('lists the launch-time fields, which are not built', () => {
    expect(parse(EVERY_FIELD).launchTime!.map((f) => f.key)).toEqual([
      'parameters',
      'user_data',
      'research_user',
      'files',
      'idle_detection',
      'instance_defaults.type',
      'services (start)',
    ]);
  });

  it('leaves a post_install with {{…}} parameters out of the build', () => {
    const t = parse(
      yamlLines(
        'name: P',
        'base: ubuntu-24.04',
        'package_manager: apt',
        'packages: {system: [curl]}',
        'post_install: |',
        '  echo "{{.test_message}}"',
      ),
    );
    expect(t.setup.map((s) => s.name)).toEqual(["Prism's base system (apt)", 'system packages']);
    expect(t.launchTime!.map((f) => f.key)).toContain('post_install');
    expect(t.base).toEqual({ kind: 'alias', alias: 'ubuntu-24.04-lts' });
  });

  it('merges written validation_tests with the derived ones (the written one wins on a name)', () => {
    const t = parse(
      yamlLines(
        'name: W',
        'base: debian',
        'package_manager: apt',
        'packages: {system: [nginx]}',
        'validation_tests:',
        '  - {name: package nginx is installed, command: nginx -v, expected_exit_code: 0}',
        '  - {name: page, command: curl -s localhost, expected_contains: Welcome}',
      ),
    );
    expect(t.base).toEqual({ kind: 'alias', alias: 'debian-12' });
    expect(t.tests.map((x) => [x.name, x.command])).toEqual([
      ['package nginx is installed', 'nginx -v'],
      ['page', 'curl -s localhost'],
    ]);
  });

  it('installs conda through Miniforge, with pip, a Jupyter unit, and what Prism drops', () => {
    const t = parse(
      yamlLines(
        'name: C',
        'base: ubuntu-22.04',
        'package_manager: conda',
        'packages: {conda: ["python=3.11", numpy], pip: [plotly], system: [tmux]}',
        'users: [{name: researcher}]',
        'services: [{name: jupyter, port: 8888}]',
        'post_install: "echo hi"',
      ),
    );
    expect(t.setup.map((s) => s.name)).toEqual([
      "Prism's base system (apt)",
      'Miniforge (conda)',
      'system packages',
      'conda packages',
      'pip packages',
      'users',
      'services',
      'post_install',
    ]);
    const script = (name: string) => t.setup.find((s) => s.name === name)!.script;
    expect(script('Miniforge (conda)')).toContain('bash /tmp/miniforge.sh -b -p /opt/miniforge');
    expect(script('conda packages')).toContain('/opt/miniforge/bin/conda install -y python=3.11 numpy');
    expect(script('pip packages')).toContain('/opt/miniforge/bin/pip install plotly');
    expect(script('services')).toContain('User=researcher');
    expect(script('services')).toContain('--port=8888');
    expect(t.tests.map((x) => x.name)).toEqual(
      expect.arrayContaining([
        'package tmux is installed',
        'conda package python is installed',
        'conda package numpy is installed',
        'pip package plotly is installed',
        'service jupyter is active after boot',
      ]),
    );
  });

  it("installs with dnf as Prism's dnf generator does, without its apt-get autoremove; tests ask rpm", () => {
    const t = parse(
      yamlLines(
        'name: D',
        'base: amazonlinux-2023',
        'package_manager: dnf',
        'packages: {system: [htop, "python3-devel"]}',
        'users: [{name: researcher, groups: [wheel]}]',
        'post_install: "echo hi > /etc/hi"',
      ),
    );
    expect(t.setup.map((s) => s.name)).toEqual(["Prism's base system (dnf)", 'system packages', 'users', 'post_install']);
    const script = (name: string) => t.setup.find((s) => s.name === name)!.script;
    expect(script("Prism's base system (dnf)")).toContain('dnf upgrade -y');
    expect(script('system packages')).toContain('dnf install -y htop python3-devel');
    expect(t.setup.map((s) => s.script).join('\n')).not.toMatch(/apt-get/);
    expect(script('users')).toContain('getent group wheel >/dev/null || groupadd wheel');
    expect(t.tests.find((x) => x.name === 'package htop is installed')!.command).toBe('rpm -q --whatprovides htop');
  });

  it('pip: pip3 on the base Python, the system packages (as Prism), and the post_install Prism drops is built', () => {
    const t = parse(
      yamlLines(
        'name: P',
        'base: ubuntu-24.04',
        'package_manager: pip',
        'packages: {system: [tmux], pip: ["pandas==2.2.*", requests]}',
        'services: [{name: cron, enable: true}]',
        'post_install: "echo done > /etc/done"',
      ),
    );
    expect(t.setup.map((s) => s.name)).toEqual([
      "Prism's base system (apt)",
      'system packages',
      'pip packages',
      'services',
      'post_install',
    ]);
    const script = (name: string) => t.setup.find((s) => s.name === name)!.script;
    expect(script("Prism's base system (apt)")).toContain('python3 python3-pip python3-venv');
    expect(script('system packages')).toContain('apt-get install -y tmux');
    expect(script('pip packages')).toContain("pip3 install 'pandas==2.2.*' requests");
    expect(script('post_install')).toContain('echo done > /etc/done');
    // An enable that fails fails the step (Prism's `|| true` would hide it), and nothing is started for the image.
    expect(script('services')).toMatch(/^systemctl enable cron$/m);
    expect(script('services')).not.toMatch(/\|\| true|systemctl start/);
    expect(t.tests.map((x) => x.name)).toEqual(
      expect.arrayContaining(['package tmux is installed', 'pip package pandas is installed', 'pip package requests is installed']),
    );
  });

  it('spack: Spack itself, one spack install per package, and the system packages and post_install Prism drops', () => {
    const t = parse(
      yamlLines(
        'name: S',
        'base: ubuntu-22.04',
        'package_manager: spack',
        'packages: {system: [tmux], spack: ["hdf5@1.14 +mpi", zlib]}',
        'users: [{name: researcher}]',
        'post_install: "echo done"',
      ),
    );
    expect(t.setup.map((s) => s.name)).toEqual([
      "Prism's base system (apt)",
      'Spack',
      'system packages',
      'spack packages',
      'users',
      'post_install',
    ]);
    const script = (name: string) => t.setup.find((s) => s.name === name)!.script;
    expect(script('Spack')).toContain('https://github.com/spack/spack.git /opt/spack');
    expect(script('spack packages')).toContain("/opt/spack/bin/spack install 'hdf5@1.14 +mpi'\n/opt/spack/bin/spack install zlib");
    expect(t.setup.find((s) => s.name === 'spack packages')!.timeoutSeconds).toBe(4 * 3600);
    expect(script('users')).toContain("echo '. /etc/profile.d/spack.sh' >> /home/researcher/.bashrc");
  });

  it("enables a service with a port despite enable: false, as Prism's parser does", () => {
    const t = parse(yamlLines('name: E', 'base: ubuntu-22.04', 'package_manager: apt', 'services: [{name: web, port: 80, enable: false}]'));
    expect(t.setup.find((s) => s.name === 'services')!.script).toContain('systemctl enable web');
  });

  it('marks an ami-based template as not built, with the way to import its AMIs', () => {
    const t = parse(
      yamlLines(
        'name: A',
        'base: ami-based',
        'package_manager: ami',
        'ami_config:',
        '  amis: {us-east-1: {x86_64: ami-0123456789abcdef0}}',
      ),
    );
    expect(t.setup).toEqual([]);
    expect(t.notBuilt).toMatchObject({ rule: 'prism/ami-based' });
    expect(t.notBuilt!.fix).toContain('import-legacy');
  });

  it('takes base: ami-… and {owners, name} as base sources', () => {
    expect(parse(yamlLines('name: I', 'base: ami-0123456789abcdef0', 'package_manager: apt')).base).toEqual({
      kind: 'image',
      imageId: 'ami-0123456789abcdef0',
    });
    expect(
      parse(yamlLines('name: F', 'base: {owners: ["099720109477"], name: "ubuntu/images/*jammy*"}', 'package_manager: apt')).base,
    ).toEqual({ kind: 'filter', owners: ['099720109477'], namePattern: 'ubuntu/images/*jammy*' });
  });

  it('refuses what Prism refuses, at the line', () => {
    const result = parseTemplate(
      yamlLines('name: R', 'base: ubuntu-22.04', 'package_manager: apt', 'packages:', '  conda: [numpy]', 'inherits: ["R"]'),
      'r.yml',
      'r',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map((d) => [d.rule, d.line])).toEqual([
      ['prism/package-consistency', 5],
      ['prism/inherits-self', 6],
    ]);
  });

  it('is not mistaken for the legacy format (which it was, with misleading errors)', () => {
    const result = parseTemplate(
      yamlLines('name: L', 'description: d', 'long_description: more', 'base: ubuntu-22.04', 'package_manager: apt'),
      'l.yml',
      'l',
    );
    expect(result.ok).toBe(true);
  });
});
