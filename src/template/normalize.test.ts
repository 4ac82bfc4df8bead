import { describe, expect, it } from 'vitest';
import { yamlLines } from '../../test/support/files.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { mergeTemplate } from './merge.js';
import type { TemplateDefinition } from './model.js';
import { parseTemplate } from './parse-template.js';

/** A legacy Prism template using every field; line numbers matter to the tests below. */
const LEGACY = [
  /*  1 */ 'name: Legacy Research',
  /*  2 */ 'base: ubuntu-22.04-server-lts',
  /*  3 */ 'description: From the old Prism',
  /*  4 */ 'build_steps:',
  /*  5 */ '  - name: install',
  /*  6 */ '    script: |',
  /*  7 */ '      set -euo pipefail',
  /*  8 */ '      apt-get install -y r-base',
  /*  9 */ '  - name: configure',
  /* 10 */ '    script: echo configured',
  /* 11 */ '    timeout_seconds: 120',
  /* 12 */ 'validation:',
  /* 13 */ '  - name: R runs',
  /* 14 */ '    command: R --version',
  /* 15 */ '    success: true',
  /* 16 */ '  - name: R version',
  /* 17 */ '    command: R --version',
  /* 18 */ '    contains: "R version 4"',
  /* 19 */ '  - name: hostname',
  /* 20 */ '    command: cat /etc/hostname',
  /* 21 */ '    equals: research',
  /* 22 */ 'tags:',
  /* 23 */ '  team: research',
  /* 24 */ '  tier: 2',
  /* 25 */ 'min_disk_size: 40',
  /* 26 */ 'architecture: arm64',
  /* 27 */ 'dependencies:',
  /* 28 */ '  - basic-ubuntu',
  /* 29 */ '  - name: python-research',
  /* 30 */ '    version: "1.0"',
  /* 31 */ '    version_operator: ">="',
  /* 32 */ '    optional: true',
];

function legacy(changes: Record<number, string | string[]> = {}): string {
  const out: string[] = [];
  LEGACY.forEach((line, i) => {
    const change = changes[i + 1];
    if (change === undefined) out.push(line);
    else out.push(...(Array.isArray(change) ? change : [change]));
  });
  return yamlLines(...out);
}

function parseOk(text: string): TemplateDefinition {
  const result = parseTemplate(text, 'legacy.yml', 'legacy');
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} [${d.rule}] ${d.message}`).join('\n'));
  return result.parsed.definition;
}

function problems(text: string): Diagnostic[] {
  const result = parseTemplate(text, 'legacy.yml', 'legacy');
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.diagnostics;
}

const summary = (list: Diagnostic[]) => list.map((d) => `${d.rule}@${d.line}:${d.column} ${d.path}`);

describe('legacy Prism format', () => {
  it('normalises every legacy field to the prism-ami model', () => {
    const d = parseOk(legacy());
    expect(d.format).toBe('legacy');
    expect(d.name).toBe('Legacy Research');
    expect(d.description).toBe('From the old Prism');
    expect(d.base).toEqual({ kind: 'alias', alias: 'ubuntu-22.04-lts' });
    expect(d.architectures).toEqual(['arm64']);
    expect(d.build).toEqual({ instanceType: {}, volumeSizeGb: 40 });
    expect(d.tags).toEqual({ team: 'research', tier: '2' });
    expect(d.setup).toEqual([
      {
        name: 'install',
        script: 'set -euo pipefail\napt-get install -y r-base\n',
        timeoutSeconds: 600,
        reboot: false,
        sourcePath: ['build_steps', 0, 'script'],
      },
      { name: 'configure', script: 'echo configured', timeoutSeconds: 120, reboot: false, sourcePath: ['build_steps', 1, 'script'] },
    ]);
    expect(d.tests.map((t) => [t.name, t.command, t.output ?? null, t.exitCode, t.sourcePath])).toEqual([
      ['R runs', 'R --version', null, 0, ['validation', 0]],
      ['R version', 'R --version', { kind: 'contains', value: 'R version 4' }, 0, ['validation', 1]],
      ['hostname', 'cat /etc/hostname', { kind: 'equals', value: 'research' }, 0, ['validation', 2]],
    ]);
    expect(d.dependencies).toEqual([
      { name: 'basic-ubuntu', optional: false },
      { name: 'python-research', optional: true, version: '1.0', operator: '>=' },
    ]);
    expect(d.regions).toBeUndefined();
    expect(d.extends).toBeUndefined();
  });

  it('maps each legacy base name to its alias', () => {
    for (const [name, alias] of [
      ['ubuntu-22.04-server-lts', 'ubuntu-22.04-lts'],
      ['ubuntu-20.04-server-lts', 'ubuntu-20.04-lts'],
      ['amazon-linux-2', 'amazon-linux-2'],
    ]) {
      expect(parseOk(legacy({ 2: `base: ${name}` })).base).toEqual({ kind: 'alias', alias });
    }
  });

  it('builds both architectures when architecture is absent, and x86_64 alone when set', () => {
    const both = parseOk(legacy({ 26: [] }));
    expect(both.architectures).toBeUndefined();
    expect(mergeTemplate(both, undefined).architectures).toEqual(['x86_64', 'arm64']);
    expect(mergeTemplate(parseOk(legacy({ 26: 'architecture: x86_64' })), undefined).architectures).toEqual(['x86_64']);
  });

  it('accepts the smallest legacy file: name, base and build_steps', () => {
    const d = parseOk(yamlLines('name: tiny', 'base: amazon-linux-2', 'build_steps:', '  - {name: one, script: echo one}'));
    expect(d.tests).toEqual([]);
    expect(d.build).toEqual({ instanceType: {} });
    expect(d.setup[0].timeoutSeconds).toBe(600);
  });

  it('rejects timeout_seconds outside 1..3600 at the value', () => {
    expect(parseOk(legacy({ 11: '    timeout_seconds: 3600' })).setup[1].timeoutSeconds).toBe(3600);
    expect(parseOk(legacy({ 11: '    timeout_seconds: 1' })).setup[1].timeoutSeconds).toBe(1);
    for (const value of ['0', '3601', '2.5', '-1']) {
      const list = problems(legacy({ 11: `    timeout_seconds: ${value}` }));
      expect(summary(list)).toEqual(['schema/range@11:22 build_steps[1].timeout_seconds']);
      expect(list[0].message).toContain('from 1 to 3600');
    }
  });

  it('rejects min_disk_size below 8 at the value, and accepts 8', () => {
    expect(parseOk(legacy({ 25: 'min_disk_size: 8' })).build.volumeSizeGb).toBe(8);
    const list = problems(legacy({ 25: 'min_disk_size: 7' }));
    expect(summary(list)).toEqual(['schema/range@25:16 min_disk_size']);
  });

  it('requires exactly one criterion per validation', () => {
    const none = problems(legacy({ 15: [] }));
    expect(summary(none)).toEqual(['schema/expectation@13:5 validation[0]']);
    expect(none[0].message).toBe('validation "R runs" has no criterion');

    const two = problems(legacy({ 18: ['    contains: "R version 4"', '    equals: "R version 4.3"'] }));
    expect(summary(two)).toEqual(['schema/expectation@16:5 validation[1]']);
    expect(two[0].message).toContain('2 criteria (contains, equals)');

    const three = problems(legacy({ 15: ['    success: true', '    contains: R', '    equals: R'] }));
    expect(three[0].message).toContain('3 criteria');
  });

  it('accepts only success: true', () => {
    const list = problems(legacy({ 15: '    success: false' }));
    expect(summary(list)).toEqual(['schema/value@15:14 validation[0].success']);
  });

  it('rejects architectures other than x86_64 and arm64, and unknown bases with a suggestion', () => {
    const arch = problems(legacy({ 26: 'architecture: amd64' }));
    expect(summary(arch)).toEqual(['schema/architecture@26:15 architecture']);
    expect(arch[0].fix).toContain('x86_64');

    const base = problems(legacy({ 2: 'base: ubuntu-22.04-server' }));
    expect(summary(base)).toEqual(['schema/base-source@2:7 base']);
    expect(base[0].message).toContain('Did you mean "ubuntu-22.04-server-lts"?');
  });

  it('rejects empty build steps, duplicate names and unknown keys, all at once', () => {
    const list = problems(legacy({ 9: '  - name: install', 10: '    script: "  "', 25: 'min_disk_sise: 40' }));
    expect(summary(list).sort()).toEqual(
      [
        'schema/duplicate-step@9:11 build_steps[1].name',
        'schema/empty-setup@10:13 build_steps[1].script',
        'schema/unknown-key@25:1 min_disk_sise',
      ].sort(),
    );
    expect(list.find((d) => d.rule === 'schema/unknown-key')!.message).toContain('Did you mean "min_disk_size"?');

    const empty = problems(yamlLines('name: tiny', 'base: amazon-linux-2', 'build_steps: []'));
    expect(summary(empty)).toEqual(['schema/empty-setup@3:14 build_steps']);

    const dupTests = problems(legacy({ 19: '  - name: R runs' }));
    expect(summary(dupTests)).toEqual(['schema/duplicate-test@19:11 validation[2].name']);
  });

  it('requires build_steps', () => {
    const list = problems(yamlLines('name: tiny', 'base: amazon-linux-2', 'validation: []'));
    expect(summary(list)).toEqual(['schema/required@1:1 build_steps']);
  });
});
