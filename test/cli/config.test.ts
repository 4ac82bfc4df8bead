import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { writeFiles, yamlLines } from '../support/files.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

const template = (name: string) =>
  yamlLines(
    `name: ${name}`,
    'base_ami: {source: debian-12, architecture: [x86_64]}',
    'setup_script: "set -e; echo hi"',
    'validation_tests:',
    '  - {name: t, command: "true", expected_exit_code: 0}',
  );

/**
 * root/
 *   project/prism-ami.config.yaml   templatesDir: ../shared   (relative to the file)
 *   project/sub/                    a working folder below the config
 *   shared/from-config.yml
 *   flagged/from-flag.yml
 */
async function layout(config = 'templatesDir: ../shared\n'): Promise<string> {
  const root = await tempDir();
  await writeFiles(root, {
    'project/prism-ami.config.yaml': config,
    'project/sub/.keep': '',
    'shared/from-config.yml': template('From config'),
    'flagged/from-flag.yml': template('From flag'),
  });
  return root;
}

describe('templates folder: --templates-dir and prism-ami.config.yaml', () => {
  it('uses templatesDir from ./prism-ami.config.yaml, relative to the config file', async () => {
    const root = await layout();
    const fromProject = await runPrism(['ami', 'show', '--json', 'from-config'], { cwd: join(root, 'project') });
    expect(fromProject.code).toBe(0);
    expect(JSON.parse(fromProject.stdout)).toMatchObject({ slug: 'from-config', file: join(root, 'shared', 'from-config.yml') });

    // From another folder, with --config: still the config file's folder, not the working folder.
    const viaFlag = await runPrism(['ami', 'lint', '--config', '../prism-ami.config.yaml'], { cwd: join(root, 'project', 'sub') });
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toContain('✓ from-config');

    const viaEnv = await runPrism(['ami', 'show', 'from-config'], {
      cwd: join(root, 'flagged'),
      env: { PRISM_AMI_CONFIG: join(root, 'project', 'prism-ami.config.yaml') },
    });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toContain('name: From config');
  });

  it('lets --templates-dir win over the config file', async () => {
    const root = await layout();
    const cwd = join(root, 'project');
    const flag = await runPrism(['ami', 'show', '--templates-dir', '../flagged', 'from-flag'], { cwd });
    expect(flag.code).toBe(0);
    expect(flag.stdout).toContain('name: From flag');

    const notInFlagged = await runPrism(['ami', 'show', '--templates-dir', '../flagged', 'from-config'], { cwd });
    expect(notInFlagged.code).toBe(2);
    expect(notInFlagged.stderr).toContain(`no template "from-config" in ${join(root, 'flagged')}/`);

    const lint = await runPrism(['ami', 'lint', '--json', '--templates-dir', '../flagged'], { cwd });
    expect(lint.code).toBe(0);
    expect((JSON.parse(lint.stdout) as { templates: { slug: string }[] }).templates.map((t) => t.slug)).toEqual(['from-flag']);
  });

  it('uses ./templates without a config file or flag', async () => {
    const root = await layout();
    await writeFiles(root, { 'flagged/templates/local.yml': template('Local') });
    const result = await runPrism(['ami', 'lint', '--json'], { cwd: join(root, 'flagged') });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { templates: { slug: string }[] }).templates.map((t) => t.slug)).toEqual(['local']);
  });

  it('applies lint.disable from the config file', async () => {
    const root = await layout(yamlLines('templatesDir: ../shared', 'lint:', '  disable: [script/no-errexit]'));
    await writeFiles(root, { 'shared/noerr.yml': template('No errexit').replace('set -e; echo hi', 'echo hi') });
    const result = await runPrism(['ami', 'lint', '--strict'], { cwd: join(root, 'project') });
    expect(result.stdout).toContain('2 templates checked: 0 errors, 0 warnings');
    expect(result.code).toBe(0);
  });

  it('exits 2 with file:line:col for an invalid config file', async () => {
    const root = await layout(yamlLines('templatesDir: ../shared', 'templatesdir: ../other', 'concurrency: many'));
    const file = join(root, 'project', 'prism-ami.config.yaml');
    const result = await runPrism(['ami', 'lint'], { cwd: join(root, 'project') });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `${file}:2:1: error [schema/unknown-key] templatesdir: unknown key "templatesdir". Did you mean "templatesDir"?`,
    );
    expect(result.stderr).toContain(`${file}:3:14: error [schema/type] concurrency: must be a number, not the text "many"`);
    expect(result.stderr).toContain(`error [CONFIG_INVALID]: ${file} has 2 problems`);
    expectNoStackTrace(result);

    const json = await runPrism(['ami', 'show', '--json', 'from-config'], { cwd: join(root, 'project') });
    expect(json.code).toBe(2);
    const body = JSON.parse(json.stdout) as { error: { code: string; diagnostics: { file: string; line: number; column: number }[] } };
    expect(body.error.code).toBe('CONFIG_INVALID');
    expect(body.error.diagnostics.map((d) => `${d.line}:${d.column}`).sort()).toEqual(['2:1', '3:14']);
  });

  it('exits 2 for broken YAML in the config file and for a --config that does not exist', async () => {
    const root = await layout('templatesDir: [../shared\n');
    const broken = await runPrism(['ami', 'lint'], { cwd: join(root, 'project') });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/prism-ami\.config\.yaml:\d+:\d+: error \[yaml\/syntax\]/);
    expectNoStackTrace(broken);

    const missing = await runPrism(['ami', 'lint', '--config', 'nope.yaml'], { cwd: join(root, 'flagged') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[CONFIG_INVALID]: cannot read the config file');
    expect(missing.stderr).toContain('nope.yaml');
    expectNoStackTrace(missing);
  });
});
