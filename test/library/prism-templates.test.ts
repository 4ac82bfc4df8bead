import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/actions/convert.js';
import { lint } from '../../src/actions/lint.js';
import { isPrismError } from '../../src/core/errors.js';
import { summarizeTemplate } from '../../src/template/describe.js';
import { templateFingerprint } from '../../src/template/fingerprint.js';
import { loadTemplate, TemplateLibrary } from '../../src/template/library.js';
import { REPO_ROOT } from '../support/cli.js';
import { writeFiles, yamlLines } from '../support/files.js';
import { tempDir } from '../support/temp.js';

/** Prism's own templates (test/fixtures/prism/README.md names each source). */
const PRISM = join(REPO_ROOT, 'test/fixtures/prism/templates');
const DUPLICATES = join(REPO_ROOT, 'test/fixtures/prism/duplicate-slug');

/** What lint says of each real Prism template: every error and warning rule, by slug. */
const EXPECTED_LINT: Record<string, string[]> = {
  'amazon-linux-2023-server': ['error prism/ami-based'],
  'base-rocky9': ['error prism/package-manager-base'],
  'base-ubuntu-apt': [],
  'collaborative-workspace': ['warning prism/generator-difference'],
  'deep-learning-ami': ['error prism/ami-based', 'warning prism/service-enabled'],
  'enterprise-rocky-dnf': ['error prism/package-manager-base'],
  'python-ml-ami': ['error prism/ami-based'],
  'python-ml-workstation': [],
  'rocky-conda': [],
  'rstudio-server': ['error script/literal-password'],
  'test-params': ['warning prism/launch-time'],
  'test-web': [],
  'ubuntu-22-04-server': ['warning prism/generator-difference'],
  'web-dev': ['warning script/pipe-to-shell'],
};

describe("Prism's own templates", () => {
  it('are all found, subfolders included, by their slug: (else their file name)', async () => {
    const refs = await new TemplateLibrary(PRISM).list();
    expect(refs.map((r) => r.slug).sort()).toEqual(Object.keys(EXPECTED_LINT).sort());
    const files = refs.map((r) => r.file.slice(PRISM.length + 1));
    expect(files).toEqual(
      expect.arrayContaining(['community/base-ubuntu-apt.yml', 'examples/ami-python-ml.yml', 'testing/test-web-streamlit.yml']),
    );
  });

  it('every one loads and normalises: Prism format, setup steps and derived tests, or why it is not built', async () => {
    const library = new TemplateLibrary(PRISM);
    for (const ref of await library.list()) {
      const template = await library.resolve(ref.slug);
      expect(template.format, ref.slug).toBe('prism');
      const summary = summarizeTemplate(template, ref.file);
      if (template.notBuilt) {
        expect(template.setup, ref.slug).toEqual([]);
        expect(template.notBuilt.rule, ref.slug).toBe('prism/ami-based');
        continue;
      }
      expect(template.setup.length, ref.slug).toBeGreaterThan(1);
      expect(template.tests.length, ref.slug).toBeGreaterThan(0);
      expect(summary.derivedTests.length, ref.slug).toBe(template.tests.length);
      for (const arch of template.architectures) expect(summary.fingerprints[arch]).toBe(templateFingerprint(template, arch));
    }
  });

  it('every one lints, with exactly the findings expected of it', async () => {
    const report = await lint({ templatesDir: PRISM, templates: [], shellcheck: false });
    const found: Record<string, string[]> = {};
    for (const t of report.templates) found[t.slug] = [];
    const slugOf = new Map(report.templates.map((t) => [t.file, t.slug]));
    for (const d of report.diagnostics) found[slugOf.get(d.file)!].push(`${d.severity} ${d.rule}`);
    for (const list of Object.values(found)) list.sort();
    expect(found).toEqual(EXPECTED_LINT);
  });

  it("merges inherits as Prism does: the parent by name, lists appended, child's manager and tags win", async () => {
    const library = new TemplateLibrary(PRISM);
    const t = await library.resolve('rocky-conda');
    expect(t.parent).toBeUndefined();
    expect(t.base).toEqual({ kind: 'alias', alias: 'ubuntu-22.04-lts' });
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
    expect(t.setup.find((s) => s.name === 'system packages')!.script).toContain(
      'apt-get install -y build-essential curl wget git vim htop tree unzip',
    );
    const users = t.setup.find((s) => s.name === 'users')!.script;
    expect(users.indexOf('useradd -m -s /bin/bash rocky')).toBeLessThan(users.indexOf('useradd -m -s /bin/bash datascientist'));
    expect(users).toContain('getent group wheel >/dev/null || groupadd wheel');
    expect(t.ports).toEqual([22, 8888]);
    expect(t.tags).toMatchObject({ type: 'stacked', os: 'rocky-linux', purpose: 'data-science', parent: 'Rocky Linux 9 Base' });
    expect(t.tests.map((x) => x.name)).toEqual(expect.arrayContaining(['user rocky is in group wheel', 'package htop is installed']));
  });

  it('two templates with one slug are an error naming both files (a real clash in Prism)', async () => {
    const library = new TemplateLibrary(DUPLICATES);
    const error = await library.resolve('collaborative-workspace').catch((e: unknown) => e);
    expect(isPrismError(error) && error.code).toBe('TEMPLATE_INVALID');
    const message = (error as Error).message;
    expect(message).toContain('collaborative-workspace.yml');
    expect(message).toContain('community/ubuntu-python-r-ml.yml');
    const report = await lint({ templatesDir: DUPLICATES, templates: [], shellcheck: false });
    const dup = report.diagnostics.filter((d) => d.rule === 'template/duplicate-slug');
    expect(dup.map((d) => [d.file.replace(/^.*duplicate-slug\//, ''), d.line])).toEqual([
      ['collaborative-workspace.yml', 2],
      ['community/ubuntu-python-r-ml.yml', 2],
    ]);
  });

  it('convert writes each buildable one as a prism-ami template with the same fingerprints, which lints no worse', async () => {
    const out = await tempDir();
    const library = new TemplateLibrary(PRISM);
    const slugs = Object.keys(EXPECTED_LINT);
    const report = await convert({ templatesDir: PRISM, templates: slugs, out });
    const skipped = report.templates.filter((t) => t.skipped).map((t) => t.slug);
    expect(skipped.sort()).toEqual(['amazon-linux-2023-server', 'deep-learning-ami', 'python-ml-ami']);
    expect((await readdir(out)).sort()).toEqual(
      slugs
        .filter((s) => !skipped.includes(s))
        .map((s) => `${s}.yml`)
        .sort(),
    );
    const converted = new TemplateLibrary(out);
    for (const slug of slugs.filter((s) => !skipped.includes(s))) {
      const before = await library.resolve(slug);
      const after = await converted.resolve(slug);
      expect(after.format, slug).toBe('prism-ami');
      for (const arch of before.architectures)
        expect(templateFingerprint(after, arch), `${slug} ${arch}`).toBe(templateFingerprint(before, arch));
      expect(after.tests.map((t) => t.name)).toEqual(before.tests.map((t) => t.name));
      expect(after.ports).toEqual(before.ports);
      expect(after.costs).toEqual(before.costs);
    }
    const linted = await lint({ templatesDir: out, templates: [], shellcheck: false });
    const errors = linted.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file.replace(/^.*\//, '')} ${d.rule}`);
    // The one error a Prism template has in its own script stays with it.
    expect(errors).toEqual(['rstudio-server.yml script/literal-password']);
  });
});

describe('inherits, on templates written for the test', () => {
  const parent = yamlLines(
    'name: "Base Box"',
    'slug: base-box',
    'base: ubuntu-22.04',
    'package_manager: apt',
    'packages: {system: [curl]}',
    'post_install: "echo parent"',
    'instance_defaults: {ports: [22, 80], estimated_cost_per_hour: {x86_64: 0.1}, type: t3.small}',
    'tags: {a: parent, b: parent}',
  );

  it('finds a parent by slug too, concatenates post_install parents first and unions ports', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'base.yml': parent,
      'sub/child.yml': yamlLines(
        'name: Child',
        'base: ubuntu-22.04',
        'inherits: [base-box]',
        'packages: {system: [jq]}',
        'post_install: "echo child"',
        'instance_defaults: {ports: [80, 8080], estimated_cost_per_hour: {x86_64: 0.2}}',
        'tags: {b: child}',
      ),
    });
    const t = await new TemplateLibrary(dir).resolve('child');
    expect(t.setup.find((s) => s.name === 'system packages')!.script).toContain('apt-get install -y curl jq');
    const post = t.setup.find((s) => s.name === 'post_install')!.script;
    expect(post.indexOf('echo parent')).toBeLessThan(post.indexOf('echo child'));
    expect(t.ports).toEqual([22, 80, 8080]);
    expect(t.costs).toEqual({ x86_64: 0.2 });
    expect(t.tags).toEqual({ a: 'parent', b: 'child' });
  });

  it('a file named by path inside the templates folder finds its parents anywhere in it, and is that file', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'templates/base.yml': parent,
      'templates/testing/heir.yml': yamlLines('name: Heir', 'slug: heir-one', 'base: ubuntu-22.04', 'inherits: ["Base Box"]'),
      'templates/community/heir.yml': yamlLines('name: Heir two', 'base: ubuntu-22.04', 'package_manager: apt'),
    });
    const templatesDir = join(dir, 'templates');
    const one = await loadTemplate(join(templatesDir, 'testing/heir.yml'), { templatesDir });
    expect([one.slug, one.setup.some((s) => s.script.includes('echo parent'))]).toEqual(['heir-one', true]);
    const two = await loadTemplate(join(templatesDir, 'community/heir.yml'), { templatesDir });
    expect(two.slug).toBe('heir');
  });

  it('a missing parent, a cycle and a parent in another format are errors at the inherits line', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'missing.yml': yamlLines('name: M', 'base: ubuntu-22.04', 'package_manager: apt', 'inherits:', '  - "Base Bx"'),
      'a.yml': yamlLines('name: A', 'base: ubuntu-22.04', 'package_manager: apt', 'inherits: [B]'),
      'b.yml': yamlLines('name: B', 'base: ubuntu-22.04', 'package_manager: apt', 'inherits: [A]'),
      'modern.yml': yamlLines('name: Modern', 'base_ami: {source: ubuntu-22.04-lts}', 'setup_script: "true"'),
      'on-modern.yml': yamlLines('name: O', 'base: ubuntu-22.04', 'package_manager: apt', 'inherits: [modern]'),
      'base.yml': parent,
    });
    const library = new TemplateLibrary(dir);
    const failure = async (slug: string) =>
      (await library.resolve(slug).catch((e: unknown) => e)) as Error & { code: string; diagnostics: { rule: string; line: number }[] };
    const missing = await failure('missing');
    expect([missing.code, missing.diagnostics[0].rule, missing.diagnostics[0].line]).toEqual(['EXTENDS_MISSING', 'inherits/missing', 5]);
    expect(missing.message).toContain('Did you mean "Base Box"');
    const cycle = await failure('a');
    expect([cycle.code, cycle.diagnostics[0].rule]).toEqual(['EXTENDS_CYCLE', 'inherits/cycle']);
    const format = await failure('on-modern');
    expect([format.code, format.diagnostics[0].rule]).toEqual(['TEMPLATE_INVALID', 'inherits/format']);
  });
});
