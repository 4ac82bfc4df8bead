import { beforeAll, describe, expect, it } from 'vitest';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { writeFiles } from '../support/files.js';
import { templateYaml } from '../support/git.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

async function project(): Promise<string> {
  const dir = await tempDir();
  await writeFiles(dir, {
    'templates/base.yml': templateYaml('base'),
    'templates/child.yml': templateYaml('child', { parent: 'base' }),
    'templates/grandchild.yml': templateYaml('grandchild', { parent: 'child' }),
  });
  return dir;
}

const selection = (...entries: [string, string][]) =>
  JSON.stringify({ matrix: { include: entries.map(([template, architecture]) => ({ template, architecture })) } });

describe('prism ami ci stages', () => {
  it('reads a selection from stdin or a file and prints the stages as JSON or as a list', async () => {
    const cwd = await project();
    const input = selection(['grandchild', 'arm64'], ['base', 'arm64'], ['child', 'x86_64']);
    const json = await runPrism(['ami', 'ci', 'stages', '--stages', '3', '--json'], { cwd, input });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      total: 3,
      stages: [
        {
          include: [
            { template: 'base', architecture: 'arm64' },
            { template: 'child', architecture: 'x86_64' },
          ],
        },
        { include: [{ template: 'grandchild', architecture: 'arm64' }] },
        { include: [] },
      ],
    });
    await writeFiles(cwd, { 'selection.json': input });
    const text = await runPrism(['ami', 'ci', 'stages', 'selection.json'], { cwd });
    expect(text.stdout).toBe(
      'Builds (3), each stage after the one before:\n\n- stage 1: base (arm64), child (x86_64)\n- stage 2: grandchild (arm64)\n',
    );
    const none = await runPrism(['ami', 'ci', 'stages'], { cwd, input: '{"matrix":{"include":[]}}' });
    expect(none.stdout).toBe('Nothing to build.\n');
  });

  it('exit 2 for a chain deeper than the stages, and for input that is not a selection', async () => {
    const cwd = await project();
    const deep = await runPrism(['ami', 'ci', 'stages', '--stages', '2'], {
      cwd,
      input: selection(['base', 'x86_64'], ['child', 'x86_64'], ['grandchild', 'x86_64']),
    });
    expectNoStackTrace(deep);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toContain('grandchild (x86_64) needs build stage 3');
    expect(deep.stderr).toContain('prism ami ci init --force --stages 3');
    for (const input of ['not json', '{"templates": []}', '{"include": [{"template": "base", "architecture": "sparc"}]}']) {
      const bad = await runPrism(['ami', 'ci', 'stages'], { cwd, input });
      expectNoStackTrace(bad);
      expect(bad.code, input).toBe(2);
      expect(bad.stderr).toContain('stdin is not a build selection');
    }
    const missing = await runPrism(['ami', 'ci', 'stages', 'nope.json'], { cwd });
    expect(missing.code).toBe(2);
  });
});
