import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPrism, REPO_ROOT } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

/** The verbs a help text lists under "Commands:". */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
}

describe('prism (the program)', () => {
  it("prints package.json's version with --version and -V", async () => {
    const { version } = JSON.parse(await readFile(`${REPO_ROOT}package.json`, 'utf8')) as { version: string };
    const cwd = await tempDir();
    for (const result of await Promise.all(['--version', '-V'].map((flag) => runPrism([flag], { cwd })))) {
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(version);
      expect(result.stderr).toBe('');
    }
  });

  it('`prism ami --help` lists exactly the verbs that work, and exits 0', async () => {
    const cwd = await tempDir();
    const result = await runPrism(['ami', '--help'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: prism ami /);
    // commander's own `help [command]` is listed too; every listed verb must work.
    expect(listedCommands(result.stdout)).toEqual([
      'build',
      'build-all',
      'plan',
      'cleanup',
      'validate',
      'list',
      'lint',
      'show',
      'convert',
      'sweep',
      'cache',
      'iam-policy',
      'update-registry',
      'resolve',
      'rollback',
      'revoke',
      'update-templates',
      'import-legacy',
      'publish-ssm',
      'manifest',
      'diff',
      'report',
      'changed',
      'ci',
      'help',
    ]);
    const [lintHelp, showHelp, viaHelp] = await Promise.all([
      runPrism(['ami', 'lint', '--help'], { cwd }),
      runPrism(['ami', 'show', '--help'], { cwd }),
      runPrism(['ami', 'help', 'lint'], { cwd }),
    ]);
    for (const [verb, help] of [
      ['lint', lintHelp],
      ['show', showHelp],
    ] as const) {
      expect(help.code, `prism ami ${verb} --help`).toBe(0);
      expect(help.stdout).toContain(`Usage: prism ami ${verb}`);
    }
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain('Usage: prism ami lint');
  });

  it('`prism --help` lists the ami group', async () => {
    const result = await runPrism(['--help'], { cwd: await tempDir() });
    expect(result.code).toBe(0);
    expect(listedCommands(result.stdout)).toEqual(['ami', 'help']);
  });

  it('exits 2 with a suggestion for an unknown verb', async () => {
    const cwd = await tempDir();
    const typo = await runPrism(['ami', 'lnt'], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'lnt'");
    expect(typo.stderr).toContain('Did you mean lint?');
    expect(typo.stdout).toBe('');
    expectNoStackTrace(typo);

    const unknown = await runPrism(['ami', 'deploy'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'deploy'");
  });

  it('exits 2 for a missing verb, an unknown option and a missing argument', async () => {
    const cwd = await tempDir();
    const cases = [['ami'], ['ami', 'lint', '--bogus'], ['ami', 'show']];
    const results = await Promise.all(cases.map((args) => runPrism(args, { cwd })));
    for (const [i, result] of results.entries()) {
      expect(result.code, cases[i].join(' ')).toBe(2);
      expect(result.stderr.length).toBeGreaterThan(0);
      expectNoStackTrace(result);
    }
  });

  it.each([
    ['build-all --concurrency 0', ['ami', 'build-all', '--concurrency', '0'], '--concurrency "0" is not a whole number from 1'],
    [
      'report --stale-days 0',
      ['ami', 'report', '--out', 'site', '--stale-days', '0'],
      '--stale-days "0" is not a whole number from 1 to 3650',
    ],
    ['report --stale-days soon', ['ami', 'report', '--out', 'site', '--stale-days', 'soon'], '--stale-days "soon" is not a whole number'],
  ])('a bad flag value (%s) exits 2 with what a good one looks like', async (_what, args, message) => {
    const result = await runPrism(args, { cwd: await tempDir() });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(message);
    expectNoStackTrace(result);
  });
});
