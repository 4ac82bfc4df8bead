import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { writeFiles, yamlLines } from '../support/files.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

const CLEAN = yamlLines(
  'name: Clean',
  'base_ami: {source: debian-12, architecture: [x86_64]}',
  'setup_script: |',
  '  #!/bin/bash',
  '  set -euo pipefail',
  '  export DEBIAN_FRONTEND=noninteractive',
  '  apt-get install -y nginx',
  'validation_tests:',
  '  - {name: nginx, command: nginx -v, expected_exit_code: 0}',
);

/** Clean but for one warning: a plain http download on file line 5. */
const WARNS = yamlLines(
  'name: Warns',
  'base_ami: {source: debian-12, architecture: [x86_64]}',
  'setup_script: |',
  '  set -euo pipefail',
  '  curl -fsSLo /tmp/x.tgz http://example.com/x.tgz',
  'validation_tests:',
  '  - {name: x, command: test -f /tmp/x.tgz, expected_exit_code: 0}',
);

/** A literal password on file line 6: an error. */
const FAILS = yamlLines(
  'name: Fails',
  'base_ami: {source: debian-12, architecture: [x86_64]}',
  'setup_script: |',
  '  set -euo pipefail',
  '  useradd -m ada',
  '  echo "ada:s3cret" | chpasswd',
  'validation_tests:',
  '  - {name: ada, command: id ada, expected_contains: ada}',
);

/** A temp project whose ./templates holds `files`. */
async function project(files: Record<string, string>): Promise<string> {
  const cwd = await tempDir();
  await writeFiles(cwd, Object.fromEntries(Object.entries(files).map(([name, text]) => [`templates/${name}`, text])));
  return cwd;
}

interface JsonReport {
  templates: { slug: string; file: string; errors: number; warnings: number }[];
  diagnostics: {
    severity: string;
    rule: string;
    message: string;
    file: string;
    line: number;
    column: number;
    path: string;
    fix?: string;
  }[];
  errors: number;
  warnings: number;
  shellcheck: boolean;
}

describe('prism ami lint', () => {
  it('exits 0 on clean templates and says so', async () => {
    const cwd = await project({ 'clean.yml': CLEAN });
    const result = await runPrism(['ami', 'lint'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ clean');
    expect(result.stdout).toContain('1 template checked: 0 errors, 0 warnings');
    expectNoStackTrace(result);
  });

  it('exits 0 with warnings, and 1 with warnings under --strict', async () => {
    const cwd = await project({ 'clean.yml': CLEAN, 'warns.yml': WARNS });
    const [lenient, strict, strictClean] = await Promise.all([
      runPrism(['ami', 'lint'], { cwd }),
      runPrism(['ami', 'lint', '--strict'], { cwd }),
      runPrism(['ami', 'lint', '--strict', 'clean'], { cwd }),
    ]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('templates/warns.yml:5:26: warning [script/plain-http] setup_script:');
    expect(lenient.stdout).toContain('fix: use https://example.com/x.tgz');
    expect(lenient.stdout).toContain('2 templates checked: 0 errors, 1 warning');

    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('[script/plain-http]');

    expect(strictClean.code).toBe(0);
  });

  it('exits 2 with errors, printing file:line:col and the rule', async () => {
    const cwd = await project({ 'clean.yml': CLEAN, 'fails.yml': FAILS, 'warns.yml': WARNS });
    const result = await runPrism(['ami', 'lint'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('templates/fails.yml:6:23: error [script/literal-password]');
    expect(result.stdout).toContain('3 templates checked: 1 error, 1 warning');
    expectNoStackTrace(result);
  });

  it('exits 2 for a template with schema errors, at their lines', async () => {
    const cwd = await project({
      'bad.yml': CLEAN.replace('architecture: [x86_64]', 'architecture: [amd64]').replace(
        'name: Clean',
        'name: Clean\nregoins: [us-east-1]',
      ),
    });
    const result = await runPrism(['ami', 'lint'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      'templates/bad.yml:2:1: error [schema/unknown-key] regoins: unknown key "regoins". Did you mean "regions"?',
    );
    expect(result.stdout).toContain('templates/bad.yml:3:46: error [schema/architecture]');
    expectNoStackTrace(result);
  });

  it('prints a JSON report with --format json and with --json', async () => {
    const cwd = await project({ 'clean.yml': CLEAN, 'fails.yml': FAILS, 'warns.yml': WARNS });
    const variants = [['--format', 'json'], ['--format=json'], ['--json']];
    const results = await Promise.all(variants.map((flags) => runPrism(['ami', 'lint', ...flags], { cwd })));
    for (const [i, result] of results.entries()) {
      expect(result.code, variants[i].join(' ')).toBe(2);
      const report = JSON.parse(result.stdout) as JsonReport;
      expect(report.errors).toBe(1);
      expect(report.warnings).toBe(1);
      expect(report.templates.map((t) => [t.slug, t.errors, t.warnings])).toEqual([
        ['clean', 0, 0],
        ['fails', 1, 0],
        ['warns', 0, 1],
      ]);
      expect(report.diagnostics.map((d) => [d.file, d.line, d.column, d.rule, d.severity])).toEqual([
        [join('templates', 'fails.yml'), 6, 23, 'script/literal-password', 'error'],
        [join('templates', 'warns.yml'), 5, 26, 'script/plain-http', 'warning'],
      ]);
      for (const d of report.diagnostics) {
        expect(d.message.length).toBeGreaterThan(0);
        expect(d.fix?.length).toBeGreaterThan(0);
      }
    }
  });

  it('lints templates named by slug or path only', async () => {
    const cwd = await project({ 'clean.yml': CLEAN, 'fails.yml': FAILS });
    await writeFiles(cwd, { 'elsewhere/warns.yml': WARNS });
    const result = await runPrism(['ami', 'lint', '--json', 'clean', 'elsewhere/warns.yml'], { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.templates.map((t) => t.slug)).toEqual(['clean', 'warns']);
    expect(report.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual([`${join('elsewhere', 'warns.yml')}:5:26`]);
  });

  it("reports the seed example's literal password, exit 2", async () => {
    const cwd = await tempDir();
    const result = await runPrism(['ami', 'lint', '--json', join(REPO_ROOT, 'test/fixtures/seed/r-research.yml')], { cwd });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.rule}@${d.line}:${d.column}`)).toEqual([
      'script/literal-password@43:25',
    ]);
  });

  it('lints the bundled templates clean', async () => {
    const cwd = await tempDir();
    await cp(join(REPO_ROOT, 'templates'), join(cwd, 'templates'), { recursive: true });
    const result = await runPrism(['ami', 'lint', '--strict'], { cwd });
    expect(result.stdout).toContain('5 templates checked: 0 errors, 0 warnings');
    expect(result.code).toBe(0);
  });

  it('exits 2 naming the folder and the closest slug for a missing template', async () => {
    const cwd = await project({ 'clean.yml': CLEAN });
    const result = await runPrism(['ami', 'lint', 'claen'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[TEMPLATE_NOT_FOUND]');
    expect(result.stderr).toContain('no template "claen" in templates/');
    expect(result.stderr).toContain('Did you mean "clean"?');
    expectNoStackTrace(result);

    const json = await runPrism(['ami', 'lint', '--json', 'claen'], { cwd });
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).toBe('TEMPLATE_NOT_FOUND');
  });

  it('exits 2 without a templates folder, and for hostile files, without a stack trace', async () => {
    const empty = await tempDir();
    const noFolder = await runPrism(['ami', 'lint'], { cwd: empty });
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain('the templates folder templates/ does not exist');
    expectNoStackTrace(noFolder);

    const cwd = await project({
      'big.yml': `name: big\ndescription: "${'x'.repeat(1024 * 1024)}"\n`,
      'deep.yml': `${'- '.repeat(100_000)}x\n`,
      'bomb.yml': [
        'a: &a [x,x,x,x,x,x,x,x,x]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        '',
      ].join('\n'),
      'empty.yml': '',
      'two.yml': 'name: a\n---\nname: b\n',
    });
    const result = await runPrism(['ami', 'lint', '--json'], { cwd });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.diagnostics.map((d) => `${d.file.split('/').pop()} ${d.rule}@${d.line}:${d.column}`)).toEqual([
      'big.yml input/too-large@1:1',
      'bomb.yml input/alias-bomb@1:1',
      'deep.yml input/too-deep@1:129',
      'empty.yml input/empty@1:1',
      'two.yml input/multi-document@2:1',
    ]);
    expectNoStackTrace(result);
  });
});
