import { beforeAll, describe, expect, it } from 'vitest';
import { runPrism, type CliResult } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { GIT_ENV, TestRepo, templateYaml } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { writeFiles } from '../support/files.js';

beforeAll(requireBuild);

interface ChangedJson {
  templates: string[];
  removed: string[];
  matrix: { include: { template: string; architecture: string }[] };
  since?: { commit: string | null; ref?: string; why: string };
  details: { template: string; reasons: { kind: string; parent?: string; path?: string }[]; problem?: string }[];
  ignored: { template: string; why: string }[];
}

function prism(repo: TestRepo | string, ...args: string[]): Promise<CliResult> {
  return runPrism(['ami', 'changed', ...args], { cwd: typeof repo === 'string' ? repo : repo.dir, env: GIT_ENV });
}

async function changedJson(repo: TestRepo, ...args: string[]): Promise<ChangedJson> {
  const result = await prism(repo, '--json', ...args);
  expectNoStackTrace(result);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ChangedJson;
}

/** base ← child ← grandchild, and an unrelated `other`, committed once. */
async function family(): Promise<TestRepo> {
  const repo = await TestRepo.create();
  await repo.write({
    'templates/base.yml': templateYaml('base'),
    'templates/child.yml': templateYaml('child', { parent: 'base' }),
    'templates/grandchild.yml': templateYaml('grandchild', { parent: 'child', architectures: ['arm64'] }),
    'templates/other.yml': templateYaml('other', { architectures: ['x86_64'] }),
    'scripts/common.sh': 'echo common\n',
    'README.md': '# templates\n',
  });
  await repo.commit('templates');
  return repo;
}

describe('prism ami changed: what a commit touches', () => {
  it('lists a changed template alone, with why, in text and JSON', async () => {
    const repo = await family();
    await repo.write({ 'templates/other.yml': templateYaml('other', { architectures: ['x86_64'], setup: 'echo changed' }) });
    await repo.commit('change other');

    const text = await prism(repo);
    expectNoStackTrace(text);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('other  changed\n');
    expect(text.stderr).toMatch(/^Compared HEAD with [0-9a-f]{12}: previous commit \(on the default branch main\)$/m);

    const json = await changedJson(repo);
    expect(json.templates).toEqual(['other']);
    expect(json.removed).toEqual([]);
    expect(json.matrix).toEqual({ include: [{ template: 'other', architecture: 'x86_64' }] });
    expect(json.since).toMatchObject({ ref: 'HEAD~1', commit: await repo.git('rev-parse', 'HEAD~1') });
  });

  it('a change to a parent marks its children and grandchildren, parents first', async () => {
    const repo = await family();
    await repo.write({ 'templates/base.yml': templateYaml('base', { setup: 'echo new base' }) });
    await repo.commit('change base');

    const json = await changedJson(repo);
    expect(json.templates).toEqual(['base', 'child', 'grandchild']);
    expect(json.details.map((d) => [d.template, d.reasons])).toEqual([
      ['base', [{ kind: 'changed', path: 'templates/base.yml' }]],
      ['child', [{ kind: 'extends', parent: 'base' }]],
      ['grandchild', [{ kind: 'extends', parent: 'child' }]],
    ]);
    // Each template's own resolved architectures: the grandchild builds only arm64.
    expect(json.matrix.include).toEqual([
      { template: 'base', architecture: 'x86_64' },
      { template: 'base', architecture: 'arm64' },
      { template: 'child', architecture: 'x86_64' },
      { template: 'child', architecture: 'arm64' },
      { template: 'grandchild', architecture: 'arm64' },
    ]);

    const text = await prism(repo);
    expect(text.stdout).toBe('base        changed\nchild       extends base\ngrandchild  extends child\n');
  });

  it('a change to a child does not mark its parent', async () => {
    const repo = await family();
    await repo.write({ 'templates/child.yml': templateYaml('child', { parent: 'base', setup: 'echo new child' }) });
    await repo.commit('change child');
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['child', 'grandchild']);
    expect(json.templates).not.toContain('base');
  });

  it('a change under scripts/ marks every template', async () => {
    const repo = await family();
    await repo.write({ 'scripts/common.sh': 'echo common, changed\n' });
    await repo.commit('change a shared script');
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['base', 'other', 'child', 'grandchild']);
    expect(json.details[0].reasons).toEqual([{ kind: 'shared', path: 'scripts/common.sh' }]);
    const text = await prism(repo);
    expect(text.stdout).toContain('other       shared scripts changed (scripts/common.sh)\n');
  });

  it('takes sharedPaths from the config file instead of scripts/', async () => {
    const repo = await family();
    await repo.write({ 'prism-ami.config.yaml': 'sharedPaths: [files/]\n', 'files/motd': 'hello\n' });
    await repo.commit('config');
    await repo.write({ 'scripts/common.sh': 'echo not shared any more\n' });
    await repo.commit('scripts are not shared now');
    expect((await changedJson(repo)).templates).toEqual([]);
    await repo.write({ 'files/motd': 'hello again\n' });
    await repo.commit('a shared file');
    expect((await changedJson(repo)).templates).toHaveLength(4);
  });

  it('a rename removes the old slug and changes the new one', async () => {
    const repo = await family();
    await repo.git('mv', 'templates/other.yml', 'templates/renamed.yml');
    await repo.commit('rename other');
    expect(await repo.git('diff', '--name-status', '-M', 'HEAD~1', 'HEAD')).toMatch(/^R100/);
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['renamed']);
    expect(json.removed).toEqual(['other']);
    expect(json.matrix.include).toEqual([{ template: 'renamed', architecture: 'x86_64' }]);
  });

  it('renaming a parent removes it and reports what still extends it', async () => {
    const repo = await family();
    await repo.git('mv', 'templates/base.yml', 'templates/root.yml');
    await repo.commit('rename base');
    const json = await changedJson(repo);
    expect(json.removed).toEqual(['base']);
    expect(json.templates).toEqual(['root', 'child', 'grandchild']);
    const child = json.details.find((d) => d.template === 'child')!;
    expect(child.reasons).toEqual([{ kind: 'parent-removed', parent: 'base' }]);
    expect(child.problem).toMatch(/does not resolve: .*extends "base"/);
  });

  it('a deleted template is reported as removed and never built', async () => {
    const repo = await family();
    await repo.remove('templates/other.yml');
    await repo.commit('delete other');
    const json = await changedJson(repo);
    expect(json.removed).toEqual(['other']);
    expect(json.templates).toEqual([]);
    expect(json.matrix).toEqual({ include: [] });

    const text = await prism(repo);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('removed (not built): other\n');
    expect(text.stderr).toContain('No template to build.\n');
  });

  it('ignores files that are not templates: other folders, other extensions, dot files and dot folders', async () => {
    const repo = await family();
    await repo.write({
      'README.md': '# changed\n',
      'templates/README.md': 'about the templates\n',
      'templates/notes.txt': 'notes\n',
      'templates/.drafts/draft.yml': templateYaml('draft'),
      'templates/.hidden.yml': 'x: 1\n',
      'docs/other.yml': templateYaml('other'),
    });
    await repo.commit('non-template files');
    const json = await changedJson(repo);
    expect(json).toMatchObject({ templates: [], removed: [], matrix: { include: [] } });
  });

  it('reports a template that no longer parses as changed, and says the build will report its errors', async () => {
    const repo = await family();
    await repo.write({ 'templates/child.yml': 'name: "Child"\nextends: base\nsetup_script: 42\nnot_a_field: true\n' });
    await repo.commit('break child');
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['child', 'grandchild']);
    const child = json.details.find((d) => d.template === 'child')!;
    expect(child.problem).toMatch(/^does not parse: templates\/child\.yml has \d+ problems?/);
    // Its architectures are unknown: one build per architecture, each of which shows the errors.
    expect(json.matrix.include.filter((e) => e.template === 'child').map((e) => e.architecture)).toEqual(['x86_64', 'arm64']);

    const text = await prism(repo);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^child {7}changed; does not parse: templates\/child\.yml has \d+ problems? \(the build will report its errors\)$/m,
    );
  });

  it('ignores a change that only rewrote the amis: block (update-templates), but not one beside it', async () => {
    const repo = await family();
    const base = templateYaml('base');
    await repo.write({ 'templates/base.yml': `${base}amis:\n  us-east-1:\n    x86_64: ami-0123456789abcdef0\n` });
    await repo.commit('update-templates');
    const json = await changedJson(repo);
    expect(json.templates).toEqual([]);
    expect(json.ignored).toEqual([
      { template: 'base', path: 'templates/base.yml', why: 'only its amis: block changed (written by update-templates)' },
    ]);

    await repo.write({ 'templates/base.yml': `# a comment\n${base}amis:\n  us-east-1:\n    x86_64: ami-0fedcba9876543210\n` });
    await repo.commit('update-templates and a comment');
    expect((await changedJson(repo)).templates).toEqual(['base', 'child', 'grandchild']);
  });

  it('marks every template when HEAD has no parent commit', async () => {
    const repo = await family();
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['base', 'other', 'child', 'grandchild']);
    expect(json.since).toEqual({ commit: null, why: 'HEAD has no parent commit (on the default branch main): every template' });
    expect(json.details.every((d) => d.reasons[0].kind === 'no-history')).toBe(true);
  });
});

describe('prism ami changed: what HEAD is compared with', () => {
  it('on the default branch: the previous commit only', async () => {
    const repo = await family();
    await repo.write({ 'templates/other.yml': templateYaml('other', { architectures: ['x86_64'], setup: 'echo 1' }) });
    await repo.commit('change other');
    await repo.write({ 'templates/child.yml': templateYaml('child', { parent: 'base', setup: 'echo 2' }) });
    await repo.commit('change child');
    expect((await changedJson(repo)).templates).toEqual(['child', 'grandchild']);
  });

  it("on a feature branch: everything since the merge base with main, not main's own later changes", async () => {
    const repo = await family();
    await repo.git('checkout', '--quiet', '-b', 'feature');
    await repo.write({ 'templates/other.yml': templateYaml('other', { architectures: ['x86_64'], setup: 'echo feature 1' }) });
    await repo.commit('feature: other');
    await repo.write({
      'templates/grandchild.yml': templateYaml('grandchild', { parent: 'child', architectures: ['arm64'], setup: 'echo feature 2' }),
    });
    await repo.commit('feature: grandchild');
    const mergeBase = await repo.git('rev-parse', 'main');
    // main moves on after the branch was made: its change is not the branch's.
    await repo.git('checkout', '--quiet', 'main');
    await repo.write({ 'templates/base.yml': templateYaml('base', { setup: 'echo main moved' }) });
    await repo.commit('main: base');
    await repo.git('checkout', '--quiet', 'feature');

    const json = await changedJson(repo);
    expect(json.templates).toEqual(['other', 'grandchild']);
    expect(json.since).toEqual({
      commit: mergeBase,
      ref: 'merge-base HEAD main',
      why: 'merge base of feature with the default branch main',
    });
  });

  it("in a clone: the default branch is origin/HEAD's target, whatever its name", async () => {
    const upstream = await TestRepo.create('trunk');
    await upstream.write({ 'templates/a.yml': templateYaml('a'), 'templates/b.yml': templateYaml('b') });
    await upstream.commit('templates');
    const clone = await tempDir('prism-ami-clone-');
    await upstream.git('clone', '--quiet', upstream.dir, clone);
    const repo = TestRepo.at(clone);
    expect(await repo.git('symbolic-ref', 'refs/remotes/origin/HEAD')).toBe('refs/remotes/origin/trunk');
    await repo.git('checkout', '--quiet', '-b', 'topic');
    await repo.write({ 'templates/a.yml': templateYaml('a', { setup: 'echo topic' }) });
    await repo.commit('topic: a');
    await repo.write({ 'templates/b.yml': templateYaml('b', { setup: 'echo topic' }) });
    await repo.commit('topic: b');
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['a', 'b']);
    expect(json.since?.why).toBe('merge base of topic with the default branch origin/trunk');
  });

  it('--since takes a tag or a SHA', async () => {
    const repo = await family();
    await repo.git('tag', 'v1');
    const v1 = await repo.git('rev-parse', 'HEAD');
    await repo.write({ 'templates/other.yml': templateYaml('other', { architectures: ['x86_64'], setup: 'echo a' }) });
    await repo.commit('other');
    await repo.write({ 'templates/child.yml': templateYaml('child', { parent: 'base', setup: 'echo b' }) });
    await repo.commit('child');

    const byTag = await changedJson(repo, '--since', 'v1');
    expect(byTag.templates).toEqual(['other', 'child', 'grandchild']);
    expect(byTag.since).toEqual({ commit: v1, ref: 'v1', why: '--since v1' });
    expect((await changedJson(repo, '--since', v1)).templates).toEqual(byTag.templates);
    expect((await changedJson(repo, '--since', v1.slice(0, 10))).templates).toEqual(byTag.templates);
    expect((await changedJson(repo, '--since', 'HEAD')).matrix).toEqual({ include: [] });
  });

  it('an unknown --since is bad input (exit 2) with a clear message', async () => {
    const repo = await family();
    for (const ref of ['no-such-tag', '0123456789abcdef0123456789abcdef01234567', '--output=/tmp/x']) {
      const result = await prism(repo, `--since=${ref}`);
      expectNoStackTrace(result);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`error [USAGE]: --since ${ref}: no such commit, branch or tag`);
    }
    const json = await prism(repo, '--since', 'nope', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'USAGE' } });
  });

  it('outside a git repository: exit 2 and says so', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'templates/a.yml': templateYaml('a') });
    const result = await prism(dir);
    expectNoStackTrace(result);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not in a git repository');
    expect(result.stdout).toBe('');
  });
});

describe("prism ami changed --templates (the workflow's manual trigger)", () => {
  it('selects the named templates with what extends them, or all; unknown names are exit 2', async () => {
    const repo = await family();
    expect((await changedJson(repo, '--templates', 'child')).templates).toEqual(['child', 'grandchild']);
    expect((await changedJson(repo, '--templates', 'all')).templates).toEqual(['base', 'other', 'child', 'grandchild']);
    expect((await changedJson(repo, '--templates', 'other,child', '--architectures', 'arm64')).matrix.include).toEqual([
      { template: 'child', architecture: 'arm64' },
      { template: 'grandchild', architecture: 'arm64' },
    ]);
    const unknown = await prism(repo, '--templates', 'chlid');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no template "chlid"');
    const both = await prism(repo, '--templates', 'all', '--since', 'HEAD');
    expect(both.code).toBe(2);
  });

  it('works without git', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'templates/a.yml': templateYaml('a', { architectures: ['arm64'] }) });
    const result = await prism(dir, '--templates', 'all', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      templates: ['a'],
      removed: [],
      matrix: { include: [{ template: 'a', architecture: 'arm64' }] },
    });
  });
});

describe('prism ami changed --json', () => {
  it('has the shape a GitHub Actions matrix takes, and {"include": []} when nothing changed', async () => {
    const repo = await family();
    await repo.write({ 'README.md': 'only docs\n' });
    await repo.commit('docs');
    const result = await prism(repo, '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 3)).toEqual(['templates', 'removed', 'matrix']);
    expect(json).toMatchObject({ templates: [], removed: [], matrix: { include: [] } });
    expect(JSON.stringify(json.matrix)).toBe('{"include":[]}');
  });
});

describe("prism ami changed on templates in Prism's format", () => {
  it('finds them in subfolders by their slug:, and lists what inherits a changed template', async () => {
    const repo = await TestRepo.create();
    const parent = (echo: string) =>
      `name: "Base Box"\nslug: base-box\nbase: ubuntu-22.04\npackage_manager: apt\npost_install: "echo ${echo}"\n`;
    await repo.write({
      'templates/community/base.yml': parent('one'),
      'templates/testing/heir.yml': 'name: Heir\nslug: heir\nbase: ubuntu-22.04\npackage_manager: apt\ninherits: ["Base Box"]\n',
      'templates/other.yml': 'name: Other\nbase: ubuntu-22.04\npackage_manager: apt\npackages: {system: [jq]}\n',
    });
    await repo.commit('templates');
    await repo.write({ 'templates/community/base.yml': parent('two') });
    await repo.commit('change the parent');
    const json = await changedJson(repo);
    expect(json.templates).toEqual(['base-box', 'heir']);
    expect(json.details).toEqual([
      { template: 'base-box', reasons: [{ kind: 'changed', path: 'templates/community/base.yml' }] },
      { template: 'heir', reasons: [{ kind: 'inherits', parent: 'base-box' }] },
    ]);
    const text = await prism(repo);
    expect(text.stdout).toMatch(/^heir +inherits base-box, which changed$/m);
  });
});
