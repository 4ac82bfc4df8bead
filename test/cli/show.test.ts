import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { templateFingerprint } from '../../src/template/fingerprint.js';
import { TemplateLibrary } from '../../src/template/library.js';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { writeFiles, yamlLines } from '../support/files.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

/** A temp project with the bundled templates in ./templates. */
async function bundledProject(): Promise<string> {
  const cwd = await tempDir();
  await cp(join(REPO_ROOT, 'templates'), join(cwd, 'templates'), { recursive: true });
  return cwd;
}

interface ShowJson {
  slug: string;
  file: string;
  format: string;
  chain: string[];
  fingerprints: Record<string, string>;
  inheritedTests: string[];
  template: Record<string, unknown>;
}

describe('prism ami show', () => {
  it('prints the resolved template as YAML with its slug, chain and fingerprints', async () => {
    const cwd = await bundledProject();
    const result = await runPrism(['ami', 'show', 'python-research'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('# python-research  (templates/python-research.yml, prism-ami format)');
    expect(lines[1]).toContain('# extends: basic-ubuntu → python-research');

    const template = await new TemplateLibrary(join(cwd, 'templates')).resolve('python-research');
    expect(lines[2]).toBe(`# fingerprint x86_64 ${templateFingerprint(template, 'x86_64')}`);
    expect(lines[3]).toBe(`# fingerprint arm64  ${templateFingerprint(template, 'arm64')}`);
    expect(result.stdout).toMatch(/^# fingerprint x86_64 sha256:[0-9a-f]{64}$/m);

    const doc = parseYaml(result.stdout) as Record<string, unknown> & { validation_tests: { name: string }[] };
    expect(doc.name).toBe('Python Research Environment');
    expect(doc.extends).toBe('basic-ubuntu');
    expect(doc.regions).toEqual(['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2']);
    expect(doc.ports).toEqual([22, 8888]);
    expect(doc.validation_tests.map((t) => t.name)).toEqual([
      'Ubuntu 22.04',
      'Compiler installed',
      'Security upgrades enabled',
      'Scientific stack imports',
      'JupyterLab running',
      'JupyterLab answers',
    ]);
    expect(result.stdout).toContain('# inherited from the parent\n  - name: Ubuntu 22.04');
  });

  it('prints JSON with --json: chain, fingerprints, inherited tests', async () => {
    const cwd = await bundledProject();
    const result = await runPrism(['ami', 'show', '--json', 'hello-web-status'], { cwd });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as ShowJson;
    expect(summary.slug).toBe('hello-web-status');
    expect(summary.file).toBe(join('templates', 'hello-web-status.yml'));
    expect(summary.format).toBe('prism-ami');
    expect(summary.chain).toEqual(['hello-web', 'hello-web-status']);
    expect(Object.keys(summary.fingerprints)).toEqual(['x86_64', 'arm64']);
    for (const fp of Object.values(summary.fingerprints)) expect(fp).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(summary.inheritedTests).toEqual(['nginx is active', 'nginx version', 'Unknown page is a 404']);
    expect(summary.template).toMatchObject({ name: 'Hello Web with status', extends: 'hello-web' });

    const text = await runPrism(['ami', 'show', 'hello-web-status'], { cwd });
    expect(text.stdout).toContain(`# fingerprint x86_64 ${summary.fingerprints.x86_64}`);
  });

  it('shows a template by path, a legacy template in the prism-ami form', async () => {
    const cwd = await tempDir();
    await writeFiles(cwd, {
      'old/legacy.yml': yamlLines(
        'name: Old',
        'base: ubuntu-22.04-server-lts',
        'build_steps:',
        '  - {name: one, script: "set -e; echo one"}',
        'validation:',
        '  - {name: ok, command: "true", success: true}',
        'min_disk_size: 16',
      ),
    });
    const result = await runPrism(['ami', 'show', '--json', 'old/legacy.yml'], { cwd });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as ShowJson;
    expect(summary.format).toBe('legacy');
    expect(summary.chain).toEqual(['legacy']);
    expect(summary.template).toMatchObject({
      base_ami: { source: 'ubuntu-22.04-lts', architecture: ['x86_64', 'arm64'] },
      setup_steps: [{ name: 'one', script: 'set -e; echo one', timeout_seconds: 600 }],
      validation_tests: [{ name: 'ok', command: 'true', expected_exit_code: 0 }],
      build: { volume_size_gb: 16 },
    });
  });

  it('exits 2 naming the folder and suggesting the closest slug for a missing template', async () => {
    const cwd = await bundledProject();
    const result = await runPrism(['ami', 'show', 'basic-ubnutu'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error [TEMPLATE_NOT_FOUND]: no template "basic-ubnutu" in templates/');
    expect(result.stderr).toContain('Did you mean "basic-ubuntu"?');
    expect(result.stderr).toContain('hint: the templates here are: basic-ubuntu, hello-web');
    expectNoStackTrace(result);
  });

  it('exits 2 with located diagnostics for an invalid template, an extends cycle and a missing parent', async () => {
    const cwd = await tempDir();
    await writeFiles(cwd, {
      'templates/bad.yml': yamlLines('name: Bad', 'base_ami: {source: debian-12}', 'setup_script: "set -e"', 'ports: [0]'),
      'templates/a.yml': yamlLines('name: A', 'extends: b', 'setup_script: "set -e"'),
      'templates/b.yml': yamlLines('name: B', 'extends: a', 'setup_script: "set -e"'),
      'templates/orphan.yml': yamlLines('name: O', 'extends: gone', 'setup_script: "set -e"'),
    });
    const bad = await runPrism(['ami', 'show', 'bad'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('templates/bad.yml:4:9: error [schema/port] ports[0]: 0 is not a port');
    expect(bad.stderr).toContain('[TEMPLATE_INVALID]');

    const cycle = await runPrism(['ami', 'show', 'a'], { cwd });
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain('[EXTENDS_CYCLE]: extends cycle: a → b → a');

    const orphan = await runPrism(['ami', 'show', '--json', 'orphan'], { cwd });
    expect(orphan.code).toBe(2);
    const body = JSON.parse(orphan.stdout) as {
      error: { code: string; message: string; diagnostics: { file: string; line: number; column: number }[] };
    };
    expect(body.error.code).toBe('EXTENDS_MISSING');
    expect(body.error.message).toContain(join('templates', 'orphan.yml'));
    expect(body.error.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual([`${join('templates', 'orphan.yml')}:2:10`]);
    for (const r of [bad, cycle, orphan]) expectNoStackTrace(r);
  });
});
