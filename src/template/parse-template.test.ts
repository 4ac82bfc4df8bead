import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../core/diagnostic.js';
import type { TemplateDefinition } from './model.js';
import { parseTemplate } from './parse-template.js';

const SEED = fileURLToPath(new URL('../../test/fixtures/seed/r-research.yml', import.meta.url));

/** A valid prism-ami template; tests replace numbered lines to make one thing wrong. */
const BASE = [
  /*  1 */ 'name: demo',
  /*  2 */ 'description: A demo image',
  /*  3 */ 'version: "1.0"',
  /*  4 */ 'base_ami:',
  /*  5 */ '  source: ubuntu-22.04-lts',
  /*  6 */ '  architecture: [x86_64, arm64]',
  /*  7 */ 'regions: [us-east-1, eu-west-2]',
  /*  8 */ 'setup_script: |',
  /*  9 */ '  set -euo pipefail',
  /* 10 */ '  echo hello',
  /* 11 */ 'validation_tests:',
  /* 12 */ '  - name: hello',
  /* 13 */ '    command: echo hello',
  /* 14 */ '    expected: hello',
  /* 15 */ '  - name: kernel',
  /* 16 */ '    command: uname -s',
  /* 17 */ '    expected_contains: Linux',
  /* 18 */ 'ports: [22, 8080]',
  /* 19 */ 'estimated_cost_per_hour:',
  /* 20 */ '  x86_64: 0.01',
  /* 21 */ '  arm64: 0.02',
];

/** BASE with line `n` replaced by `replacement` (one or more lines; none deletes it). */
function variant(changes: Record<number, string | string[]>, append: string[] = []): string {
  const out: string[] = [];
  BASE.forEach((line, i) => {
    const change = changes[i + 1];
    if (change === undefined) out.push(line);
    else out.push(...(Array.isArray(change) ? change : [change]));
  });
  return `${[...out, ...append].join('\n')}\n`;
}

function parseOk(text: string | Uint8Array, slug = 'demo'): TemplateDefinition {
  const result = parseTemplate(text, `${slug}.yml`, slug);
  if (!result.ok)
    throw new Error(
      `expected a valid template, got:\n${result.diagnostics.map((d) => `${d.line}:${d.column} [${d.rule}] ${d.message}`).join('\n')}`,
    );
  return result.parsed.definition;
}

function problems(text: string | Uint8Array): Diagnostic[] {
  const result = parseTemplate(text, 'demo.yml', 'demo');
  expect(result.ok, 'the template should be rejected').toBe(false);
  return result.ok ? [] : result.diagnostics;
}

/** The one diagnostic with `rule`; fails when there is none or several. */
function only(list: Diagnostic[], rule: string): Diagnostic {
  const found = list.filter((d) => d.rule === rule);
  expect(found, `diagnostics with rule ${rule} in ${JSON.stringify(list, null, 1)}`).toHaveLength(1);
  return found[0];
}

const at = (d: Diagnostic) => `${d.line}:${d.column}`;

describe('parseTemplate: the seed example', () => {
  it('loads the seed r-research.yml exactly as written and normalises every field', async () => {
    const bytes = await readFile(SEED);
    const definition = parseOk(bytes, 'r-research');
    expect(definition).toMatchObject({
      slug: 'r-research',
      file: 'r-research.yml',
      format: 'prism-ami',
      name: 'R Research Environment',
      description: 'R + RStudio Server + tidyverse packages',
      base: { kind: 'alias', alias: 'ubuntu-22.04-lts' },
      architectures: ['x86_64', 'arm64'],
      regions: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
      ports: [22, 8787],
      costs: { x86_64: 0.0464, arm64: 0.0368 },
      amis: {},
      tags: {},
      build: { instanceType: {} },
    });
    expect(definition.version).toBeUndefined();
    expect(definition.extends).toBeUndefined();

    expect(definition.setup).toHaveLength(1);
    const [step] = definition.setup;
    expect(step.sourcePath).toEqual(['setup_script']);
    expect(step.script.startsWith('#!/bin/bash\nset -euo pipefail\n')).toBe(true);
    expect(step.script).toContain('echo "ubuntu:prism" | chpasswd\n');
    expect(step.script.trimEnd().endsWith('> /var/log/cws-setup.log')).toBe(true);
    // A literal block keeps the script's own lines: 44 lines in the file, 44 in the script.
    expect(step.script.split('\n')).toHaveLength(45);

    expect(definition.tests.map((t) => ({ name: t.name, command: t.command, output: t.output, exitCode: t.exitCode }))).toEqual([
      {
        name: 'RStudio Server running',
        command: 'systemctl is-active rstudio-server',
        output: { kind: 'equals', value: 'active' },
        exitCode: 0,
      },
      {
        name: 'R packages installed',
        command: `R -e 'packageVersion("tidyverse")'`,
        output: { kind: 'contains', value: 'ℹ' },
        exitCode: 0,
      },
      { name: 'User can login', command: 'id ubuntu', output: { kind: 'contains', value: 'ubuntu' }, exitCode: 0 },
    ]);
    for (const test of definition.tests) {
      expect(test).toMatchObject({ timeoutSeconds: 60, retries: 0, retryDelaySeconds: 5, origin: 'r-research' });
    }
  });

  it('accepts the base template used by the checks below, with defaults filled in', () => {
    const definition = parseOk(variant({}));
    expect(definition).toMatchObject({
      name: 'demo',
      version: '1.0',
      base: { kind: 'alias', alias: 'ubuntu-22.04-lts' },
      regions: ['us-east-1', 'eu-west-2'],
      ports: [22, 8080],
    });
    expect(definition.setup).toEqual([
      {
        name: 'setup script',
        script: 'set -euo pipefail\necho hello\n',
        timeoutSeconds: 3600,
        reboot: false,
        sourcePath: ['setup_script'],
      },
    ]);
  });

  it('reads every prism-ami addition: setup_steps, every expectation kind, build, amis, tags, base forms', () => {
    const definition = parseOk(
      variant(
        {
          5: '  source: {owners: ["099720109477", amazon], name: "ubuntu/images/*"}',
          8: 'setup_steps:',
          9: ['  - name: first', '    timeout_seconds: 120', '    script: echo one'],
          10: ['  - name: second', '    script: |', '      echo two'],
          14: ['    expected: 42', '    timeout_seconds: 5', '    retries: 3', '    retry_delay_seconds: 2'],
          17: ['    expected_regex: "^Lin"', '  - name: fails', '    command: "false"', '    expected_exit_code: 1'],
        },
        [
          'build:',
          '  instance_type: {x86_64: t3.large, arm64: t4g.large}',
          '  volume_size_gb: 30',
          '  timeout_minutes: 90',
          'amis:',
          '  us-east-1: {x86_64: ami-0123456789abcdef0}',
          'tags: {team: research, cost-centre: 42}',
        ],
      ),
    );
    expect(definition.base).toEqual({ kind: 'filter', owners: ['099720109477', 'amazon'], namePattern: 'ubuntu/images/*' });
    expect(definition.setup.map((s) => [s.name, s.script, s.timeoutSeconds, s.sourcePath])).toEqual([
      ['first', 'echo one', 120, ['setup_steps', 0, 'script']],
      ['second', 'echo two\n', 3600, ['setup_steps', 1, 'script']],
    ]);
    expect(definition.tests.map((t) => [t.name, t.output ?? null, t.exitCode, t.timeoutSeconds, t.retries, t.retryDelaySeconds])).toEqual([
      ['hello', { kind: 'equals', value: '42' }, 0, 5, 3, 2],
      ['kernel', { kind: 'regex', value: '^Lin' }, 0, 60, 0, 5],
      ['fails', null, 1, 60, 0, 5],
    ]);
    expect(definition.build).toEqual({ instanceType: { x86_64: 't3.large', arm64: 't4g.large' }, volumeSizeGb: 30, timeoutMinutes: 90 });
    expect(definition.amis).toEqual({ 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } });
    expect(definition.tags).toEqual({ team: 'research', 'cost-centre': '42' });

    expect(parseOk(variant({ 5: '  source: ami-0123456789abcdef0' })).base).toEqual({ kind: 'image', imageId: 'ami-0123456789abcdef0' });
    // A single architecture may be written without a list.
    expect(parseOk(variant({ 6: '  architecture: arm64' })).architectures).toEqual(['arm64']);
  });
});

describe('parseTemplate: checks, each at the exact line and column', () => {
  it('reports an unknown top-level key at the key, with a did-you-mean', () => {
    const d = only(problems(variant({ 7: 'regoins: [us-east-1]' })), 'schema/unknown-key');
    expect(at(d)).toBe('7:1');
    expect(d.path).toBe('regoins');
    expect(d.file).toBe('demo.yml');
    expect(d.message).toContain('Did you mean "regions"?');
    expect(d.fix).toBe('rename it to regions');
  });

  it('reports unknown nested keys with suggestions from the right mapping', () => {
    const arch = only(problems(variant({ 6: '  architectures: [x86_64]' })), 'schema/unknown-key');
    expect([at(arch), arch.path]).toEqual(['6:3', 'base_ami.architectures']);
    expect(arch.message).toContain('Did you mean "architecture"?');

    const list = problems(variant({ 14: ['    expected: hello', '    retires: 3'] }));
    const retries = only(list, 'schema/unknown-key');
    expect([at(retries), retries.path]).toEqual(['15:5', 'validation_tests[0].retires']);
    expect(retries.message).toContain('Did you mean "retries"?');
  });

  it('points a legacy key in a prism-ami file at its prism-ami replacement', () => {
    const disk = only(problems(variant({}, ['min_disk_size: 20'])), 'schema/unknown-key');
    expect(at(disk)).toBe('22:1');
    expect(disk.message).toContain('legacy Prism format');
    expect(disk.fix).toContain('build.volume_size_gb');

    const steps = only(problems(variant({}, ['build_steps:', '  - {name: a, script: echo}'])), 'schema/unknown-key');
    expect(at(steps)).toBe('22:1');
    expect(steps.fix).toContain('setup_steps');
  });

  it('reports wrong types with what was expected and what was found', () => {
    const name = only(problems(variant({ 1: 'name: [demo]' })), 'schema/type');
    expect([at(name), name.path, name.message]).toEqual(['1:7', 'name', 'must be text, not a list']);

    const ports = only(problems(variant({ 18: 'ports: "22"' })), 'schema/type');
    expect([at(ports), ports.path, ports.message]).toEqual(['18:8', 'ports', 'must be a list, not the text "22"']);

    const command = only(problems(variant({ 13: '    command: {run: x}' })), 'schema/type');
    expect([at(command), command.path]).toEqual(['13:14', 'validation_tests[0].command']);
    expect(command.message).toBe('must be text, not a mapping');

    const script = only(problems(variant({ 8: 'setup_script: 42', 9: '#', 10: '#' })), 'schema/type');
    expect([at(script), script.message]).toEqual(['8:15', 'must be text, not the number 42']);

    const reboot = only(problems(variant({ 8: 'setup_steps:', 9: '  - {name: a, script: echo, reboot: "yes"}', 10: '#' })), 'schema/type');
    expect([reboot.path, reboot.message]).toEqual(['setup_steps[0].reboot', 'must be true or false']);
  });

  it('reports a test with no expectation at the test', () => {
    const d = only(problems(variant({ 14: [] })), 'schema/expectation');
    expect([at(d), d.path]).toEqual(['12:5', 'validation_tests[0]']);
    expect(d.message).toContain('"hello" has no expectation');
  });

  it('reports a test with two expectation kinds at the second one', () => {
    const d = only(problems(variant({ 14: ['    expected: hello', '    expected_regex: "^h"'] })), 'schema/expectation');
    expect([at(d), d.path]).toEqual(['15:5', 'validation_tests[0].expected_regex']);
    expect(d.message).toContain('2 output expectations (expected, expected_regex)');
  });

  it('accepts expected_exit_code alone or beside one output expectation', () => {
    expect(parseOk(variant({ 14: '    expected_exit_code: 3' })).tests[0]).toMatchObject({ exitCode: 3 });
    expect(parseOk(variant({ 14: ['    expected: hello', '    expected_exit_code: 0'] })).tests[0]).toMatchObject({
      output: { kind: 'equals', value: 'hello' },
      exitCode: 0,
    });
  });

  it('rejects architectures other than x86_64 and arm64, suggesting x86_64 for amd64', () => {
    const list = problems(variant({ 6: '  architecture: [amd64, arm64, ppc64le]' })).filter((d) => d.rule === 'schema/architecture');
    expect(list.map((d) => [at(d), d.path])).toEqual([
      ['6:18', 'base_ami.architecture[0]'],
      ['6:32', 'base_ami.architecture[2]'],
    ]);
    expect(list[0].message).toContain('"amd64" is not an architecture');
    expect(list[0].fix).toContain('x86_64');
    expect(list[1].fix).toBe('use x86_64 or arm64');
    expect(only(problems(variant({ 6: '  architecture: aarch64' })), 'schema/architecture').fix).toContain('arm64');
  });

  it('rejects malformed region names (availability zones, capitals) at each one', () => {
    const list = problems(variant({ 7: 'regions: [us-east-1a, US-EAST-1, eu-west-2, useast1]' })).filter((d) => d.rule === 'schema/region');
    expect(list.map((d) => [at(d), d.path])).toEqual([
      ['7:11', 'regions[0]'],
      ['7:23', 'regions[1]'],
      ['7:45', 'regions[3]'],
    ]);
    expect(list[0].message).toBe('"us-east-1a" is not a region name');
    expect(list[0].fix).toContain('availability zone');
  });

  it('rejects ports 0, 65536 and 1.5 but accepts 1 and 65535', () => {
    const list = problems(variant({ 18: 'ports: [0, 65536, 1.5, 80]' })).filter((d) => d.rule === 'schema/port');
    expect(list.map((d) => [at(d), d.path])).toEqual([
      ['18:9', 'ports[0]'],
      ['18:12', 'ports[1]'],
      ['18:19', 'ports[2]'],
    ]);
    expect(list[2].message).toContain('1.5 is not a port');
    expect(parseOk(variant({ 18: 'ports: [1, 65535, 1]' })).ports).toEqual([1, 65535]);
  });

  it('rejects a negative cost and accepts zero', () => {
    const d = only(problems(variant({ 20: '  x86_64: -0.5' })), 'schema/cost');
    expect([at(d), d.path]).toEqual(['20:11', 'estimated_cost_per_hour.x86_64']);
    expect(d.message).toContain('-0.5 is not a cost');
    expect(parseOk(variant({ 20: '  x86_64: 0' })).costs).toEqual({ x86_64: 0, arm64: 0.02 });
  });

  it('rejects duplicate test names at the second name', () => {
    const d = only(problems(variant({ 15: '  - name: hello' })), 'schema/duplicate-test');
    expect([at(d), d.path]).toEqual(['15:11', 'validation_tests[1].name']);
    expect(d.message).toBe('duplicate test name "hello" (first at item 1)');
  });

  it('rejects an empty setup: blank script, empty block, empty list, empty step script', () => {
    const blank = only(problems(variant({ 8: 'setup_script: "   "', 9: '# nothing', 10: '#' })), 'schema/empty-setup');
    expect([at(blank), blank.path]).toEqual(['8:15', 'setup_script']);

    const emptyBlock = only(problems(variant({ 9: '', 10: '' })), 'schema/empty-setup');
    expect(at(emptyBlock)).toBe('8:15');

    const emptyList = only(problems(variant({ 8: 'setup_steps: []', 9: '#', 10: '#' })), 'schema/empty-setup');
    expect([at(emptyList), emptyList.path, emptyList.message]).toEqual(['8:14', 'setup_steps', 'setup_steps is empty']);

    const emptyStep = only(problems(variant({ 8: 'setup_steps:', 9: '  - name: one', 10: '    script: ""' })), 'schema/empty-setup');
    expect([at(emptyStep), emptyStep.path]).toEqual(['10:13', 'setup_steps[0].script']);
  });

  it('rejects no setup at all', () => {
    const d = only(problems(variant({ 8: [], 9: [], 10: [] })), 'schema/missing-setup');
    expect(at(d)).toBe('1:1');
  });

  it('rejects setup_script and setup_steps together at the setup_steps key', () => {
    const d = only(problems(variant({}, ['setup_steps:', '  - name: more', '    script: echo more'])), 'schema/setup-conflict');
    expect([at(d), d.path]).toEqual(['22:1', 'setup_steps']);
  });

  it('rejects a missing base_ami, and a base_ami without source', () => {
    const missing = only(problems(variant({ 4: '#', 5: '#', 6: '#' })), 'schema/required');
    expect(at(missing)).toBe('1:1');
    expect(missing.message).toContain('base_ami is required');

    const noSource = only(problems(variant({ 5: '  # no source' })), 'schema/required');
    expect([at(noSource), noSource.path, noSource.message]).toEqual(['4:1', 'base_ami', 'base_ami.source is required']);
  });

  it('rejects an unknown base alias with a suggestion', () => {
    const d = only(problems(variant({ 5: '  source: ubuntu-22.04-lst' })), 'schema/base-source');
    expect([at(d), d.path]).toEqual(['5:11', 'base_ami.source']);
    expect(d.message).toBe('unknown base "ubuntu-22.04-lst". Did you mean "ubuntu-22.04-lts"?');
  });

  it('rejects an invalid expected_regex at its value', () => {
    const d = only(problems(variant({ 17: '    expected_regex: "(unclosed"' })), 'schema/regex');
    expect([at(d), d.path]).toEqual(['17:21', 'validation_tests[1].expected_regex']);
    expect(d.message).toContain('not a valid regular expression');
  });

  it('reports YAML syntax errors and duplicate keys at their line', () => {
    const dup = only(problems(variant({ 3: 'name: again' })), 'yaml/syntax');
    expect([at(dup), dup.message]).toEqual(['3:1', 'a key appears twice in the same mapping']);
    const tab = problems(variant({ 9: '\tset -e' }));
    expect(tab.length).toBeGreaterThan(0);
    expect(tab.every((d) => d.rule === 'yaml/syntax' && d.line === 9)).toBe(true);
  });

  it('reports several problems in one file all at once, in one pass', () => {
    const list = problems(
      variant({
        1: 'nmae: demo',
        5: '  source: ubuntu-22.04-lst',
        6: '  architecture: [amd64]',
        7: 'regions: [us-east-1a]',
        15: '  - name: hello',
        16: '    command: uname -s',
        17: '    expected_regex: "["',
        18: 'ports: [0]',
        20: '  x86_64: -1',
      }),
    );
    const seen = list.map((d) => `${d.rule}@${at(d)}`).sort();
    expect(seen).toEqual(
      [
        'schema/unknown-key@1:1',
        'schema/required@1:1',
        'schema/base-source@5:11',
        'schema/architecture@6:18',
        'schema/region@7:11',
        'schema/duplicate-test@15:11',
        'schema/regex@17:21',
        'schema/port@18:9',
        'schema/cost@20:11',
      ].sort(),
    );
    expect(list.find((d) => d.rule === 'schema/unknown-key')!.message).toContain('Did you mean "name"?');
    for (const d of list) {
      expect(d.severity).toBe('error');
      expect(d.file).toBe('demo.yml');
      expect(d.message.length).toBeGreaterThan(0);
    }
  });

  it('rejects a top-level list or scalar as a template', () => {
    for (const [text, what] of [
      ['- name: demo\n', 'not a list'],
      ['just text\n', 'not the text "just text"'],
    ] as const) {
      const d = only(problems(text), 'schema/type');
      expect(at(d)).toBe('1:1');
      expect(d.message).toContain(what);
    }
  });

  it('rejects a child that sets base_ami.source at that key', () => {
    const d = only(problems(variant({ 1: ['name: demo', 'extends: basic-ubuntu'] })), 'schema/extends-base');
    expect([at(d), d.path]).toEqual(['6:3', 'base_ami.source']);
    expect(d.message).toContain('extends "basic-ubuntu"');
  });
});
