import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { requireBuild } from '../support/cli-checks.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

/** Every line of stdout is one JSON value. */
function expectJsonLines(stdout: string): unknown[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line): unknown => {
    expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    return JSON.parse(line) as unknown;
  });
}

describe('--json: every line on stdout is one JSON value, errors included', () => {
  const templates = join(REPO_ROOT, 'templates');
  it.each([
    ['show', ['ami', 'show', 'hello-web', '--templates-dir', templates, '--json'], 0],
    ['lint', ['ami', 'lint', 'hello-web', '--templates-dir', templates, '--json', '--no-shellcheck'], 0],
    ['list (empty registry)', ['ami', 'list', '--json'], 0],
    ['plan', ['ami', 'plan', 'hello-web', '--templates-dir', templates, '--provider', 'local', '--json'], 0],
    [
      'resolve, not found',
      ['ami', 'resolve', 'hello-web', '--templates-dir', templates, '--region', 'us-east-1', '--arch', 'x86_64', '--json'],
      2,
    ],
    ['build, unknown template', ['ami', 'build', 'nope', '--templates-dir', templates, '--provider', 'local', '--json'], 2],
    ['a bad flag value', ['ami', 'build-all', '--concurrency', '0', '--json'], 2],
    ['an unknown flag', ['ami', 'list', '--bogus', '--json'], 2],
  ])('%s', async (_what, args, code) => {
    const cwd = await tempDir();
    const result = await runPrism(args, { cwd, env: { PRISM_AMI_STATE_DIR: join(cwd, 'state') } });
    expect(result.code, result.stderr).toBe(code);
    const values = expectJsonLines(result.stdout);
    if (code !== 0) expect(values).toEqual([{ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) }]);
  });
});
