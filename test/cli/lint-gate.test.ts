import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { writeFiles } from '../support/files.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

const template = (name: string, setup: string) =>
  `name: ${name}\nbase_ami: {source: debian-12, architecture: [x86_64]}\nregions: [us-east-1]\nsetup_script: |\n  #!/bin/bash\n  set -euo pipefail\n  ${setup}\nvalidation_tests:\n  - {name: ok, command: "true", expected_exit_code: 0}\n`;

/** A project with a template that feeds chpasswd a literal password (a lint error) and one with only a warning. */
async function project(): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = await tempDir();
  await writeFiles(cwd, {
    'templates/secret.yml': template('Secret', 'echo "bob:secret" | chpasswd'),
    'templates/warned.yml': template('Warned', 'curl -fsSL http://example.com/x -o /tmp/x'),
  });
  // No cloud is reachable: a build that got past the lint check would fail on something else.
  return {
    cwd,
    env: {
      PRISM_AMI_STATE_DIR: join(cwd, 'state'),
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    },
  };
}

describe('lint errors stop builds (docs/templates.md, "Lint")', () => {
  it.each([
    ['build', ['ami', 'build', 'secret', '--provider', 'local']],
    ['build (aws)', ['ami', 'build', 'secret', '--region', 'us-east-1']],
    ['build-all', ['ami', 'build-all', 'secret', '--provider', 'local']],
    ['plan', ['ami', 'plan', 'secret', '--no-base-check']],
  ])('%s: exit 2 naming the file, line and rule; nothing is started', async (_verb, args) => {
    const { cwd, env } = await project();
    const result = await runPrism(args, { cwd, env });
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(/templates\/secret\.yml:7:\d+: error \[script\/literal-password\]/);
    expect(result.stderr).toContain('builds refuse templates with lint errors');
    expect(result.stderr).toContain('--allow-lint-errors');
    expectNoStackTrace(result);
    expect(await readdir(join(cwd, 'state')).catch(() => [])).toEqual([]);
  });

  it('names every template with errors, in one sentence', async () => {
    const { cwd, env } = await project();
    await writeFiles(cwd, { 'templates/secret2.yml': template('Secret 2', 'echo "eve:hunter2" | chpasswd') });
    const one = await runPrism(['ami', 'plan', 'secret', '--no-base-check'], { cwd, env });
    expect(one.stderr).toContain('templates/secret.yml has a lint error: builds refuse');
    const two = await runPrism(['ami', 'plan', '--no-base-check'], { cwd, env });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('templates/secret.yml, templates/secret2.yml have 2 lint errors: builds refuse');
  });

  it('--json: the refusal is one JSON line with the diagnostics', async () => {
    const { cwd, env } = await project();
    const result = await runPrism(['ami', 'build', 'secret', '--provider', 'local', '--json'], { cwd, env });
    expect(result.code).toBe(2);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const body = JSON.parse(lines[0]) as { error: { code: string; diagnostics: { rule: string }[] } };
    expect(body.error.code).toBe('TEMPLATE_INVALID');
    expect(body.error.diagnostics.map((d) => d.rule)).toEqual(['script/literal-password']);
  });

  it('warnings do not stop a build: plan goes on', async () => {
    const { cwd, env } = await project();
    const result = await runPrism(['ami', 'plan', 'warned', '--no-base-check'], { cwd, env });
    expect(result.code, result.stderr).toBe(0);
  });

  it('--allow-lint-errors goes on, loudly', async () => {
    const { cwd, env } = await project();
    const result = await runPrism(['ami', 'plan', 'secret', '--no-base-check', '--allow-lint-errors'], { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /1 lint error, going on because of --allow-lint-errors:\ntemplates\/secret\.yml:7:\d+: error \[script\/literal-password\]/,
    );
  });
});
