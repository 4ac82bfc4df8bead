import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { REPO_ROOT } from '../support/cli.js';
import { requireBuild } from '../support/cli-checks.js';

beforeAll(requireBuild);

/** Every verb of `prism ami` with the long flags it takes (hidden aliases included). */
async function verbFlags(): Promise<Map<string, Set<string>>> {
  const { buildProgram } = (await import(join(REPO_ROOT, 'dist/cli/main.js'))) as { buildProgram: (ctx: unknown) => Command };
  const { memoryIo } = (await import(join(REPO_ROOT, 'dist/render/io.js'))) as { memoryIo: () => unknown };
  const program = buildProgram({ io: memoryIo(), setExitCode: () => undefined, config: () => Promise.resolve({ values: {} }) });
  const verbs = new Map<string, Set<string>>();
  const walk = (command: Command, prefix: string): void => {
    for (const c of command.commands) {
      if (c.commands.length > 0) walk(c, `${prefix}${c.name()} `);
      else verbs.set(`${prefix}${c.name()}`, new Set(c.options.map((o) => o.long!).filter(Boolean)));
    }
  };
  walk(
    program.commands.find((c) => c.name() === 'ami')!,
    '',
  );
  return verbs;
}

describe("the README's flag table", () => {
  it('lists for each flag exactly the verbs that take it', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const table = /\| flag \| what \| verbs \|\n\|---\|---\|---\|\n((?:\|.*\|\n)+)/.exec(readme)?.[1];
    expect(table, 'the flag table').toBeDefined();
    const verbs = await verbFlags();
    const all = [...verbs.keys()];
    for (const row of table!.trim().split('\n')) {
      const [flagsCell, , verbsCell] = row
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim());
      const flags = [...flagsCell.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]);
      const listed = verbsCell.startsWith('every verb but')
        ? all.filter((v) => !verbsCell.slice('every verb but '.length).split(/,\s*/)[0].split(' ').includes(v))
        : verbsCell.startsWith('every verb')
          ? all
          : verbsCell
              .replace(/\(.*?\)/g, '')
              .split(',')
              .map((v) => v.trim())
              .filter(Boolean);
      for (const flag of flags) {
        const actual = all.filter((v) => verbs.get(v)!.has(flag));
        expect(actual.sort(), `${flag}: verbs that take it`).toEqual([...new Set(listed)].filter((v) => all.includes(v)).sort());
      }
    }
  });
});
