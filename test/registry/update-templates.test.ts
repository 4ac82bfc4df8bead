import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { tempDir } from '../support/temp.js';

beforeAll(requireBuild);

const FIXTURES = join(REPO_ROOT, 'test/fixtures');
const IMAGES = {
  'r-research': {
    'us-east-1': { x86_64: 'ami-0aaaaaaaaaaaaaaa1', arm64: 'ami-0aaaaaaaaaaaaaaa2' },
    'eu-west-1': { x86_64: 'ami-0aaaaaaaaaaaaaaa3' },
  },
  'python-research': { 'us-west-2': { arm64: 'ami-0bbbbbbbbbbbbbbb1' } },
};

/** A project: the bundled templates, r-research replaced by one full of comments, a registry holding IMAGES. */
async function project(): Promise<string> {
  const cwd = await tempDir();
  await cp(join(REPO_ROOT, 'templates'), join(cwd, 'templates'), { recursive: true });
  await cp(join(FIXTURES, 'registry/commented-template.yml'), join(cwd, 'templates/r-research.yml'));
  await writeFile(join(cwd, 'legacy.json'), JSON.stringify(IMAGES));
  const imported = await runPrism(['ami', 'import-legacy', 'legacy.json', '--validated'], { cwd });
  expect(imported.code, imported.stderr).toBe(0);
  return cwd;
}

/** The lines that differ between two texts (common prefix and suffix removed). */
function diff(before: string, after: string): { removed: string[]; added: string[]; at: number } {
  const a = before.split('\n');
  const b = after.split('\n');
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { removed: a.slice(p, a.length - s), added: b.slice(p, b.length - s), at: p + 1 };
}

describe('prism ami update-templates', () => {
  it("changes only the amis block of a template full of comments, appends one where there is none, prints the seed's lines", async () => {
    const cwd = await project();
    const read = (slug: string) => readFile(join(cwd, 'templates', `${slug}.yml`), 'utf8');
    const before = { r: await read('r-research'), py: await read('python-research'), basic: await read('basic-ubuntu') };
    const result = await runPrism(['ami', 'update-templates'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        'python-research.us-west-2.arm64 = ami-0bbbbbbbbbbbbbbb1',
        'r-research.eu-west-1.x86_64 = ami-0aaaaaaaaaaaaaaa3',
        'r-research.us-east-1.x86_64 = ami-0aaaaaaaaaaaaaaa1',
        'r-research.us-east-1.arm64 = ami-0aaaaaaaaaaaaaaa2',
        '',
      ].join('\n'),
    );
    expect(result.stderr).toContain('templates/r-research.yml: updated\n');
    expect(result.stderr).toContain('templates/python-research.yml: updated\n');
    expect(result.stderr).toContain('templates/basic-ubuntu.yml: up to date\n');

    // r-research: the diff, line by line, is inside the amis block and nowhere else.
    const r = diff(before.r, await read('r-research'));
    expect(before.r.split('\n')[r.at - 2]).toBe('amis:');
    expect(r.removed).toEqual([
      '  us-east-1:',
      '    x86_64: ami-0aaaaaaaaaaaaaaa1   # stale: replaced by the registry',
      '    # a comment inside the block goes with it',
      '  us-west-2: {arm64: ami-0bbbbbbbbbbbbbbb2}',
    ]);
    expect(r.added).toEqual([
      '  eu-west-1:',
      '    x86_64: ami-0aaaaaaaaaaaaaaa3',
      '  us-east-1:',
      '    x86_64: ami-0aaaaaaaaaaaaaaa1',
      '    arm64: ami-0aaaaaaaaaaaaaaa2',
    ]);
    // python-research had no block: the file is the same up to its end, then the block.
    const py = await read('python-research');
    expect(py.startsWith(before.py)).toBe(true);
    expect(py.slice(before.py.length)).toBe(
      '# Current images from the registry; written by `prism ami update-templates`, do not edit.\namis:\n  us-west-2:\n    arm64: ami-0bbbbbbbbbbbbbbb1\n',
    );
    expect(await read('basic-ubuntu')).toBe(before.basic);

    // The templates are still valid, and running again changes nothing.
    expect((await runPrism(['ami', 'lint', 'r-research', 'python-research', '--no-shellcheck'], { cwd })).stdout).not.toMatch(/schema\//);
    const mtime = (await stat(join(cwd, 'templates/r-research.yml'))).mtimeMs;
    const again = await runPrism(['ami', 'update-templates', 'r-research'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('templates/r-research.yml: up to date\n');
    expect((await stat(join(cwd, 'templates/r-research.yml'))).mtimeMs).toBe(mtime);
  });

  it('--check exits 1 (OUT_OF_DATE) when a template is out of date and writes nothing; 0 when all are current', async () => {
    const cwd = await project();
    const file = join(cwd, 'templates/r-research.yml');
    const original = await readFile(file, 'utf8');
    const stale = await runPrism(['ami', 'update-templates', '--check'], { cwd });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('templates/r-research.yml: out of date');
    expect(stale.stderr).toContain('[OUT_OF_DATE]: 2 templates are out of date with the registry');
    expect(await readFile(file, 'utf8')).toBe(original);

    expect((await runPrism(['ami', 'update-templates'], { cwd })).code).toBe(0);
    expect((await runPrism(['ami', 'update-templates', '--check'], { cwd })).code).toBe(0);
    // A rollback in the registry makes the template out of date again.
    await writeFile(join(cwd, 'newer.json'), JSON.stringify({ 'r-research': { 'us-east-1': { arm64: 'ami-0aaaaaaaaaaaaaaa9' } } }));
    expect((await runPrism(['ami', 'import-legacy', 'newer.json', '--replace', '--validated'], { cwd })).code).toBe(0);
    const json = await runPrism(['ami', 'update-templates', 'r-research', '--check', '--json'], { cwd });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).templates[0]).toMatchObject({
      template: 'r-research',
      status: 'out-of-date',
      amis: { 'us-east-1': { arm64: 'ami-0aaaaaaaaaaaaaaa9' } },
    });
  });

  it('--format go writes the generated Go map (golden), and --check compares it', async () => {
    const cwd = await project();
    const written = await runPrism(['ami', 'update-templates', '--format', 'go', '--out', 'amis_gen.go'], { cwd });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toBe('amis_gen.go: written\n');
    const code = await readFile(join(cwd, 'amis_gen.go'), 'utf8');
    expect(code).toBe(await readFile(join(FIXTURES, 'registry/update-templates.go.golden'), 'utf8'));
    expect((await runPrism(['ami', 'update-templates', '--format', 'go', '--out', 'amis_gen.go', '--check'], { cwd })).code).toBe(0);
    await writeFile(join(cwd, 'newer.json'), JSON.stringify({ 'python-research': { 'us-west-2': { arm64: 'ami-0bbbbbbbbbbbbbbb2' } } }));
    expect((await runPrism(['ami', 'import-legacy', 'newer.json', '--replace'], { cwd })).code).toBe(0);
    const stale = await runPrism(['ami', 'update-templates', '--format', 'go', '--out', 'amis_gen.go', '--check'], { cwd });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('[OUT_OF_DATE]: 1 generated file is out of date');
    expect(await readFile(join(cwd, 'amis_gen.go'), 'utf8')).toBe(code);
    // To stdout without --out; the json form is what resolve --fallback reads.
    const json = await runPrism(['ami', 'update-templates', '--format', 'json', 'r-research'], { cwd });
    expect(JSON.parse(json.stdout)).toEqual({ $comment: expect.stringContaining('DO NOT EDIT'), 'r-research': IMAGES['r-research'] });
    await writeFile(join(cwd, 'fallback.json'), json.stdout);
    const resolved = await runPrism(
      [
        'ami',
        'resolve',
        'r-research',
        '--region',
        'eu-west-1',
        '--arch',
        'x86_64',
        '--fallback',
        'fallback.json',
        '--registry',
        'empty.json',
      ],
      { cwd },
    );
    expect(resolved.stdout).toBe('ami-0aaaaaaaaaaaaaaa3\n');
  });

  it('bad input: unknown template with a suggestion (exit 2), legacy templates skipped, --out without --format (exit 2)', async () => {
    const cwd = await project();
    const typo = await runPrism(['ami', 'update-templates', 'r-reserch'], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean "r-research"?');
    expectNoStackTrace(typo);
    const legacy = 'name: "Old"\nbase: amazon-linux-2\nbuild_steps:\n  - name: "git"\n    script: yum -y install git\n';
    await writeFile(join(cwd, 'templates/old.yml'), legacy);
    await writeFile(join(cwd, 'old.json'), JSON.stringify({ old: { 'us-east-1': { x86_64: 'ami-0ccccccccccccccc1' } } }));
    expect((await runPrism(['ami', 'import-legacy', 'old.json'], { cwd })).code).toBe(0);
    const skipped = await runPrism(['ami', 'update-templates', 'old'], { cwd });
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/^templates\/old.yml: skipped \(legacy-format templates have no amis field/);
    expect(await readFile(join(cwd, 'templates/old.yml'), 'utf8')).toBe(legacy);
    const noOut = await runPrism(['ami', 'update-templates', '--out', 'x.go'], { cwd });
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out needs --format');
    const badFormat = await runPrism(['ami', 'update-templates', '--format', 'rust'], { cwd });
    expect(badFormat.code).toBe(2);
  });

  it('refuses to empty an amis block when the registry has no images of the template (a wrong registry), writes nothing, and --prune does it', async () => {
    const cwd = await project();
    const first = await runPrism(['ami', 'update-templates'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const before = await readFile(join(cwd, 'templates/r-research.yml'), 'utf8');
    expect(before).toContain('ami-0aaaaaaaaaaaaaaa1');
    // Another registry, e.g. PRISM_AMI_REGISTRY pointing somewhere else: it has none of them.
    const wrong = await runPrism(['ami', 'update-templates'], { cwd, env: { PRISM_AMI_REGISTRY: join(cwd, 'other-registry.json') } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('has no current images of the templates in templates/python-research.yml, templates/r-research.yml');
    expect(wrong.stderr).toContain('--prune');
    expectNoStackTrace(wrong);
    expect(await readFile(join(cwd, 'templates/r-research.yml'), 'utf8')).toBe(before);
    const check = await runPrism(['ami', 'update-templates', '--check', '--registry', join(cwd, 'other-registry.json')], { cwd });
    expect(check.code).toBe(2);
    const pruned = await runPrism(['ami', 'update-templates', 'r-research', '--prune', '--registry', join(cwd, 'other-registry.json')], {
      cwd,
    });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(await readFile(join(cwd, 'templates/r-research.yml'), 'utf8')).toContain('amis: {}');
  });
});
