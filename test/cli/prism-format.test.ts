import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

const PRISM = join(REPO_ROOT, 'test/fixtures/prism/templates');

describe("the CLI on Prism's templates", () => {
  it('show says what is launch-time and where each derived test comes from', async () => {
    const result = await runPrism(['ami', 'show', 'ubuntu-22-04-server', '--templates-dir', PRISM]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('# ubuntu-22-04-server  (test/fixtures/prism/templates/ubuntu-22.04-server.yml, prism format)');
    expect(result.stdout).toContain('# launch-time, not built:');
    expect(result.stdout).toContain('#   user_data: runs when an instance boots');
    expect(result.stdout).toContain('#   idle_detection:');
    expect(result.stdout).toContain('# derived from packages.system[0]\n  - name: package build-essential is installed');
    expect(result.stdout).not.toContain('IDLE_THRESHOLD_MINUTES');
    const json = JSON.parse((await runPrism(['ami', 'show', 'test-web', '--templates-dir', PRISM, '--json'])).stdout) as {
      format: string;
      launchTime: { key: string }[];
      derivedTests: { name: string; from: string }[];
    };
    expect(json.format).toBe('prism');
    expect(json.launchTime.map((f) => f.key)).toEqual(['idle_detection', 'instance_defaults.type', 'services (start)']);
    expect(json.derivedTests).toContainEqual({ name: 'port 8501 is listening (streamlit-app)', from: 'services[0]' });
    const heir = await runPrism(['ami', 'show', 'rocky-conda', '--templates-dir', PRISM]);
    expect(heir.stdout).toContain('# inherits: Rocky Linux 9 Base (merged into this template, as Prism merges)');
  });

  it('show and build say why an ami-based template is not built', async () => {
    const shown = await runPrism(['ami', 'show', 'deep-learning-ami', '--templates-dir', PRISM]);
    expect(shown.stdout).toContain('# not built: an ami-based template has nothing to build');
    expect(shown.stdout).toContain('prism ami import-legacy');
    const built = await runPrism(['ami', 'build', 'deep-learning-ami', '--templates-dir', PRISM, '--provider', 'local']);
    expect(built.code).toBe(2);
    expect(built.stderr).toContain('deep-learning-ami: an ami-based template has nothing to build');
    expect(built.stderr).toContain('prism ami import-legacy');
    expectNoStackTrace(built);
  });

  it('a template whose content is all launch-time: show says there is nothing to build, lint warns, nothing fails', async () => {
    const cwd = await tempDir();
    await writeFile(
      join(cwd, 'launch-only.yml'),
      [
        'name: "Launch only"',
        'slug: launch-only',
        'base: ubuntu-22.04',
        'package_manager: apt',
        'user_data: |',
        '  #!/bin/bash',
        '  echo hello > /etc/motd',
        'idle_detection: {enabled: true}',
        '',
      ].join('\n'),
    );
    const shown = await runPrism(['ami', 'show', 'launch-only', '--templates-dir', cwd]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      "# nothing to build: the image would be only Prism's base system (apt); everything this template sets up happens at launch",
    );
    const linted = await runPrism(['ami', 'lint', 'launch-only', '--templates-dir', cwd, '--no-shellcheck']);
    expect(linted.code, linted.stdout + linted.stderr).toBe(0);
    expect(linted.stdout).toMatch(
      /launch-only\.yml:1:1: warning \[prism\/nothing-to-build\] name: nothing to build: .*\(user_data, idle_detection\)/,
    );
  });

  it('plan leaves ami-based templates out, and says why when nothing else is left', async () => {
    const cwd = await tempDir();
    await cp(join(PRISM, 'testing/test-web-streamlit.yml'), join(cwd, 'templates/testing/test-web-streamlit.yml'));
    await cp(join(PRISM, 'deep-learning-ami.yml'), join(cwd, 'templates/deep-learning-ami.yml'));
    const all = await runPrism(['ami', 'plan', '--provider', 'local', '--json'], { cwd });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('"test-web"');
    expect(all.stdout).not.toContain('deep-learning-ami');
    const alone = await runPrism(['ami', 'plan', 'deep-learning-ami', '--provider', 'local'], { cwd });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('nothing to build: deep-learning-ami: an ami-based template has nothing to build');
    expectNoStackTrace(alone);
  });

  it('convert writes <slug>.yml files that show the same fingerprints, refuses to overwrite, skips ami-based ones', async () => {
    const out = await tempDir();
    const args = ['ami', 'convert', 'test-web', 'rocky-conda', 'python-ml-ami', '--templates-dir', PRISM, '--out', out];
    const result = await runPrism(args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`testing/test-web-streamlit.yml → ${join(out, 'test-web.yml')}`);
    expect(result.stderr).toContain('examples/ami-python-ml.yml not converted: an ami-based template');
    const text = await readFile(join(out, 'test-web.yml'), 'utf8');
    expect(text.split('\n').slice(0, 5)).toEqual([
      "# Converted by prism-ami from test/fixtures/prism/templates/testing/test-web-streamlit.yml (Prism's launcher format).",
      "# Generated from what it installs, with Prism's meaning (docs/templates.md#prisms-launcher-format).",
      '# Left out as launch-time (the launcher still does these when an instance starts):',
      "#   idle_detection: Prism's idle agent is configured per instance",
      '#   instance_defaults.type: the instance type a user launches (builds use build.instance_type)',
    ]);
    for (const slug of ['test-web', 'rocky-conda']) {
      const fingerprints = async (ref: string, dir?: string) =>
        (
          JSON.parse((await runPrism(['ami', 'show', ref, '--json', ...(dir ? ['--templates-dir', dir] : [])])).stdout) as {
            fingerprints: unknown;
          }
        ).fingerprints;
      expect(await fingerprints(join(out, `${slug}.yml`))).toEqual(await fingerprints(slug, PRISM));
    }
    const lint = await runPrism(['ami', 'lint', '--templates-dir', out, '--no-shellcheck']);
    expect(lint.code, lint.stdout).toBe(0);
    const again = await runPrism(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists');
    expect((await runPrism([...args, '--force'])).code).toBe(0);
  });

  it("update-templates --format go --key name keys the map as Prism's TemplateResolver looks it up", async () => {
    const cwd = await tempDir();
    await cp(PRISM, join(cwd, 'templates'), { recursive: true });
    const ids = join(cwd, 'ids.json');
    await writeFile(ids, JSON.stringify({ 'web-dev': { 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } } }));
    expect((await runPrism(['ami', 'import-legacy', ids, '--validated'], { cwd })).code).toBe(0);
    const byName = await runPrism(['ami', 'update-templates', '--format', 'go', '--key', 'name'], { cwd });
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toContain('\t"Web Development (APT)": {\n\t\t"us-east-1": {\n\t\t\t"x86_64": "ami-0123456789abcdef0",');
    expect(byName.stdout).toContain('WebDevelopmentAPTAMI = AMIs["Web Development (APT)"]');
    const bySlug = await runPrism(['ami', 'update-templates', '--format', 'go'], { cwd });
    expect(bySlug.stdout).toContain('\t"web-dev": {');
    const noFormat = await runPrism(['ami', 'update-templates', '--key', 'name'], { cwd });
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toContain('--key needs --format');
    // The amis: rewrite leaves Prism's files alone: Prism does not read that block.
    const rewrite = await runPrism(['ami', 'update-templates', 'web-dev', '--json'], { cwd });
    const report = JSON.parse(rewrite.stdout) as { templates: { status: string; reason: string }[] };
    expect(report.templates[0]).toMatchObject({ status: 'skipped' });
    expect(report.templates[0].reason).toContain('publish-ssm --layout prism');
  });
});
