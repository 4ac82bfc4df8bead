import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFiles, yamlLines } from '../../test/support/files.js';
import { tempDir } from '../../test/support/temp.js';
import { lint } from './lint.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { isPrismError } from '../core/errors.js';
import { findShellcheck } from '../template/lint/shellcheck.js';

const BUNDLED = fileURLToPath(new URL('../../templates', import.meta.url));
const SEED = fileURLToPath(new URL('../../test/fixtures/seed/r-research.yml', import.meta.url));

const HAS_SHELLCHECK = findShellcheck() !== undefined;
const WITH_SHELLCHECK = HAS_SHELLCHECK
  ? 'with the real shellcheck'
  : 'with the real shellcheck — SKIPPED: shellcheck is not on PATH (apt-get install shellcheck)';

const where = (d: Diagnostic) => `${d.rule}@${d.line}:${d.column}`;

/** Lints a temp folder of templates without shellcheck (prism-ami's own rules only). */
async function lintFolder(files: Record<string, string>, options: { shellcheck?: boolean; templates?: string[] } = {}) {
  const dir = await tempDir();
  await writeFiles(dir, files);
  const report = await lint({
    templatesDir: dir,
    shellcheck: options.shellcheck ?? false,
    ...(options.templates ? { templates: options.templates } : {}),
  });
  return { dir, report };
}

const PASSWORD = yamlLines(
  /*  1 */ 'name: Password',
  /*  2 */ 'description: sets a password it should not',
  /*  3 */ 'base_ami:',
  /*  4 */ '  source: debian-12',
  /*  5 */ '  architecture: [x86_64]',
  /*  6 */ '# the script below starts on line 8',
  /*  7 */ 'setup_script: |',
  /*  8 */ '  #!/bin/bash',
  /*  9 */ '  set -euo pipefail',
  /* 10 */ '  export DEBIAN_FRONTEND=noninteractive',
  /* 11 */ '  useradd -m ada',
  /* 12 */ '    echo "ada:s3cret" | chpasswd',
  /* 13 */ 'validation_tests:',
  /* 14 */ '  - name: ada exists',
  /* 15 */ '    command: id ada',
  /* 16 */ '    expected_contains: ada',
);

describe('lint (the action) on folders of real files', () => {
  it("reports a script finding at the template file's own line and column", async () => {
    const { dir, report } = await lintFolder({ 'password.yml': PASSWORD });
    expect(report.diagnostics.map(where)).toEqual(['script/literal-password@12:25']);
    const [d] = report.diagnostics;
    expect(d.severity).toBe('error');
    expect(d.file).toBe(join(dir, 'password.yml'));
    expect(d.path).toBe('setup_script');
    expect(d.fix).toContain('passwd -l');
    expect(report.errors).toBe(1);
    expect(report.warnings).toBe(0);
    expect(report.templates).toEqual([{ slug: 'password', file: join(dir, 'password.yml'), errors: 1, warnings: 0 }]);
    expect(report.shellcheck).toBe('off');
  });

  it("maps findings inside setup_steps to each step's own lines", async () => {
    const steps = yamlLines(
      /*  1 */ 'name: Steps',
      /*  2 */ 'base_ami: {source: debian-12}',
      /*  3 */ 'setup_steps:',
      /*  4 */ '  - name: first',
      /*  5 */ '    script: |',
      /*  6 */ '      set -euo pipefail',
      /*  7 */ '      wget http://example.com/tool.deb',
      /*  8 */ '  - name: second',
      /*  9 */ '    script: |-',
      /* 10 */ '      set -euo pipefail',
      /* 11 */ '',
      /* 12 */ '      curl -fsSL https://get.example.com | sh',
      /* 13 */ '  - name: third',
      /* 14 */ '    script: "echo no errexit here"',
      /* 15 */ 'validation_tests:',
      /* 16 */ '  - {name: t, command: "true", expected_exit_code: 0}',
    );
    const { report } = await lintFolder({ 'steps.yml': steps });
    expect(report.diagnostics.map((d) => `${where(d)} ${d.path}`)).toEqual([
      'script/plain-http@7:12 setup_steps[0].script',
      'script/pipe-to-shell@12:7 setup_steps[1].script',
      // Not a literal block: reported where the scalar starts.
      'script/no-errexit@14:13 setup_steps[2].script',
    ]);
    expect(report.errors).toBe(0);
    expect(report.warnings).toBe(3);
  });

  it('warns about an empty validation list at its key, or at the top when it is missing', async () => {
    const { report } = await lintFolder({
      'empty.yml': yamlLines('name: Empty', 'base_ami: {source: debian-12}', 'setup_script: "set -e; echo hi"', 'validation_tests: []'),
      'none.yml': yamlLines('name: None', 'base_ami: {source: debian-12}', 'setup_script: "set -e; echo hi"'),
      'legacy.yml': yamlLines(
        'name: Old',
        'base: amazon-linux-2',
        'build_steps:',
        '  - {name: a, script: "set -e; echo a"}',
        'validation: []',
      ),
    });
    expect(report.diagnostics.map((d) => `${d.file.split('/').pop()} ${where(d)} ${d.severity}`)).toEqual([
      'empty.yml validation/empty@4:1 warning',
      'legacy.yml validation/empty@5:1 warning',
      'none.yml validation/empty@1:1 warning',
    ]);
  });

  it('does not warn about a child whose tests all come from its parent', async () => {
    const { report } = await lintFolder({
      'parent.yml': yamlLines(
        'name: P',
        'base_ami: {source: debian-12}',
        'setup_script: "set -e; echo p"',
        'validation_tests:',
        '  - {name: t, command: "true", expected_exit_code: 0}',
      ),
      'child.yml': yamlLines('name: C', 'extends: parent', 'setup_script: "set -e; echo c"'),
    });
    expect(report.diagnostics).toEqual([]);
    expect(report.templates.map((t) => t.slug)).toEqual(['child', 'parent']);
  });

  it('reports template errors as diagnostics beside the clean templates, without throwing', async () => {
    const { report } = await lintFolder({
      'good.yml': yamlLines(
        'name: Good',
        'base_ami: {source: debian-12}',
        'setup_script: "set -e; echo ok"',
        'validation_tests:',
        '  - {name: t, command: "true", expected_exit_code: 0}',
      ),
      'bad.yml': yamlLines('name: Bad', 'base_ami: {source: debian-12}', 'setup_script: "set -e"', 'ports: [70000]'),
      'orphan.yml': yamlLines('name: Orphan', 'extends: nowhere', 'setup_script: "set -e"'),
    });
    expect(report.diagnostics.map((d) => `${d.file.split('/').pop()} ${where(d)}`)).toEqual([
      'bad.yml schema/port@4:9',
      'orphan.yml extends/missing@2:10',
    ]);
    expect(report.templates.map((t) => [t.slug, t.errors])).toEqual([
      ['bad', 1],
      ['good', 0],
      ['orphan', 1],
    ]);
    expect(report.errors).toBe(2);
  });

  it('leaves out the warnings it is told to disable, but never an error', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'password.yml': PASSWORD });
    const all = await lint({ templatesDir: dir, shellcheck: false });
    expect(all.diagnostics.some((d) => d.rule === 'script/literal-password' && d.severity === 'error')).toBe(true);
    const report = await lint({
      templatesDir: dir,
      shellcheck: false,
      disable: ['script/literal-password', 'script/no-errexit', 'script/apt-interactive', 'script/plain-http'],
    });
    expect(report.diagnostics.map((d) => d.rule)).toEqual(['script/literal-password']);
  });

  it('lints templates named by slug and by path', async () => {
    const { dir } = await lintFolder({ 'password.yml': PASSWORD });
    await writeFiles(dir, {
      'other/fine.yml': yamlLines(
        'name: F',
        'base_ami: {source: debian-12}',
        'setup_script: "set -e"',
        'validation_tests:',
        '  - {name: t, command: "true", expected_exit_code: 0}',
      ),
    });
    const report = await lint({ templatesDir: dir, shellcheck: false, templates: ['password', join(dir, 'other', 'fine.yml')] });
    expect(report.templates.map((t) => [t.slug, t.errors])).toEqual([
      ['password', 1],
      ['fine', 0],
    ]);
    const missing = await lint({ templatesDir: dir, shellcheck: false, templates: ['pasword'] }).catch((e: unknown) => e);
    expect(isPrismError(missing, 'TEMPLATE_NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toContain('Did you mean "password"?');
  });

  it('refuses a folder without templates', async () => {
    const dir = await tempDir();
    const error = await lint({ templatesDir: dir, shellcheck: false }).catch((e: unknown) => e);
    expect(isPrismError(error, 'TEMPLATE_NOT_FOUND')).toBe(true);
  });

  it('lints the bundled templates clean with its own rules', async () => {
    const report = await lint({ templatesDir: BUNDLED, shellcheck: false });
    expect(report.diagnostics).toEqual([]);
    expect(report.templates).toHaveLength(5);
  });

  it('finds the literal password in the seed example', async () => {
    const report = await lint({ templates: [SEED], shellcheck: false });
    expect(report.diagnostics.filter((d) => d.severity === 'error').map(where)).toEqual(['script/literal-password@43:25']);
    const warnings = report.diagnostics.filter((d) => d.severity === 'warning').map(where);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'script/masked-install-failure@24:54',
        'script/masked-install-failure@27:54',
        'script/plain-http@34:75',
        'script/apt-interactive@15:3',
      ]),
    );
  });

  describe(WITH_SHELLCHECK, () => {
    it.skipIf(!HAS_SHELLCHECK)('lints the bundled templates clean: 0 errors, 0 warnings', async () => {
      const report = await lint({ templatesDir: BUNDLED });
      expect(report.shellcheck).toBe('ran');
      expect(report.diagnostics).toEqual([]);
      expect(report.templates.map((t) => t.slug)).toEqual([
        'basic-ubuntu',
        'hello-web',
        'hello-web-status',
        'python-research',
        'r-research',
      ]);
    });

    it.skipIf(!HAS_SHELLCHECK)("reports a ShellCheck warning as shellcheck/SC<code> at the file's own line", async () => {
      const file = yamlLines(
        /*  1 */ 'name: Shellcheck',
        /*  2 */ 'base_ami: {source: debian-12}',
        /*  3 */ 'setup_steps:',
        /*  4 */ '  - name: build',
        /*  5 */ '    script: |',
        /*  6 */ '      # prism-ami: disable=script/no-errexit',
        /*  7 */ '      cd /opt/src',
        /*  8 */ '      make',
        /*  9 */ 'validation_tests:',
        /* 10 */ '  - {name: t, command: "true", expected_exit_code: 0}',
      );
      const { report } = await lintFolder({ 'sc.yml': file }, { shellcheck: true });
      expect(report.shellcheck).toBe('ran');
      expect(report.diagnostics.map((d) => `${where(d)} ${d.severity} ${d.path}`)).toEqual([
        'shellcheck/SC2164@7:7 warning setup_steps[0].script',
      ]);
      expect(report.diagnostics[0].fix).toBe('see https://www.shellcheck.net/wiki/SC2164');
    });

    it.skipIf(!HAS_SHELLCHECK)('reports a ShellCheck error level finding as an error', async () => {
      const file = yamlLines(
        /* 1 */ 'name: Ls',
        /* 2 */ 'base_ami: {source: debian-12}',
        /* 3 */ 'setup_script: |',
        /* 4 */ '  set -euo pipefail',
        /* 5 */ '  for f in $(ls /etc); do echo "$f"; done',
        /* 6 */ 'validation_tests:',
        /* 7 */ '  - {name: t, command: "true", expected_exit_code: 0}',
      );
      const { report } = await lintFolder({ 'ls.yml': file }, { shellcheck: true });
      expect(report.diagnostics.map((d) => `${where(d)} ${d.severity}`)).toEqual(['shellcheck/SC2045@5:12 error']);
    });
  });

  it('reports an extends cycle once for each template in it, at its own extends, and for a template built on one; the counts agree', async () => {
    const t = (name: string, parent: string) =>
      yamlLines(
        `name: ${name}`,
        `extends: ${parent}`,
        'setup_script: "true"',
        'validation_tests: [{name: ok, command: "true", expected_exit_code: 0}]',
      );
    const { report } = await lintFolder({ 'a.yml': t('A', 'b'), 'b.yml': t('B', 'a'), 'c.yml': t('C', 'a') });
    expect(report.diagnostics.map((d) => `${d.file.split('/').pop()}:${d.line} ${d.message}`)).toEqual([
      'a.yml:2 extends cycle: a → b → a',
      'b.yml:2 extends cycle: b → a → b',
      'c.yml:2 extends a, which is in an extends cycle: a → b → a',
    ]);
    expect(report.templates.map((x) => x.errors)).toEqual([1, 1, 1]);
    expect(report.errors).toBe(3);
  });
});
