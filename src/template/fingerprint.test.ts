import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFiles, yamlLines } from '../../test/support/files.js';
import { tempDir } from '../../test/support/temp.js';
import type { Architecture } from '../core/types.js';
import { shortFingerprint, templateFingerprint } from './fingerprint.js';
import { TemplateLibrary } from './library.js';
import { mergeTemplate } from './merge.js';
import { parseTemplate } from './parse-template.js';

const BASE = yamlLines(
  'name: Fingerprinted',
  'description: what it is',
  'version: "1.0.0"',
  'base_ami:',
  '  source: ubuntu-22.04-lts',
  '  architecture: [x86_64, arm64]',
  'regions: [us-east-1, us-west-2]',
  'setup_steps:',
  '  - name: one',
  '    timeout_seconds: 600',
  '    script: |',
  '      set -euo pipefail',
  '      echo one',
  '  - name: two',
  '    script: echo two',
  'validation_tests:',
  '  - name: says hi',
  '    command: echo hi',
  '    expected: hi',
  '  - name: is linux',
  '    command: uname',
  '    expected_contains: Linux',
  '    retries: 2',
  'ports: [22]',
  'estimated_cost_per_hour: {x86_64: 0.1, arm64: 0.2}',
  'build:',
  '  instance_type: {x86_64: t3.small, arm64: t4g.small}',
  '  volume_size_gb: 20',
  '  timeout_minutes: 60',
  'tags: {team: a}',
  'amis:',
  '  us-east-1: {x86_64: ami-0123456789abcdef0}',
);

/** The same template written differently: other key order, comments, indentation, quoting, flow style. */
const RESTYLED = yamlLines(
  '# A comment at the top',
  'validation_tests:',
  '    -   command: "uname"   # trailing comment',
  "        expected_contains: 'Linux'",
  '        name: "is linux"',
  '        retries: 2',
  '    - {name: says hi, expected: "hi", command: echo hi}',
  'build: {volume_size_gb: 20, timeout_minutes: 60, instance_type: {arm64: "t4g.small", x86_64: t3.small}}',
  'setup_steps:',
  '    - script: |',
  '            set -euo pipefail',
  '            echo one',
  '      name: "one"',
  '      timeout_seconds: 600',
  '    - name: two',
  '      script: "echo two"',
  'base_ami: {architecture: ["x86_64", "arm64"], source: "ubuntu-22.04-lts"}',
  "name: 'Fingerprinted'",
  'version: "1.0.0"',
  'description: >-',
  '    what it is',
  'regions: ["us-east-1", "us-west-2"]',
  'amis: {us-east-1: {x86_64: "ami-0123456789abcdef0"}}',
  'estimated_cost_per_hour:',
  '    arm64: 0.2',
  '    x86_64: 0.1',
  'tags:',
  '    team: a',
  'ports:',
  '    - 22',
);

function fingerprint(text: string, arch: Architecture = 'x86_64'): string {
  const result = parseTemplate(text, 'fp.yml', 'fp');
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} [${d.rule}] ${d.message}`).join('\n'));
  return templateFingerprint(mergeTemplate(result.parsed.definition, undefined), arch);
}

/** BASE with one exact piece of text replaced (which must be there). */
function edit(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

describe('templateFingerprint', () => {
  it('is a sha256 that depends only on content, not on which object computed it', () => {
    const fp = fingerprint(BASE);
    expect(fp).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fingerprint(BASE)).toBe(fp);
    expect(shortFingerprint(fp)).toBe(fp.slice(7, 19));
  });

  it('is unchanged by key order, comments, whitespace, indentation and quoting style', () => {
    expect(fingerprint(RESTYLED)).toBe(fingerprint(BASE));
    expect(fingerprint(RESTYLED, 'arm64')).toBe(fingerprint(BASE, 'arm64'));
    // A trailing newline at the end of a script is formatting too.
    expect(fingerprint(edit('    script: echo two', '    script: "echo two\\n"'))).toBe(fingerprint(BASE));
  });

  it.each([
    ['description', 'description: what it is', 'description: something else'],
    ['version', 'version: "1.0.0"', 'version: "2.0.0"'],
    ['ports', 'ports: [22]', 'ports: [22, 8080, 443]'],
    ['costs', 'estimated_cost_per_hour: {x86_64: 0.1, arm64: 0.2}', 'estimated_cost_per_hour: {x86_64: 9, arm64: 9}'],
    ['regions', 'regions: [us-east-1, us-west-2]', 'regions: [eu-west-1]'],
    ['tags', 'tags: {team: a}', 'tags: {team: b, extra: c}'],
    ['amis', '  us-east-1: {x86_64: ami-0123456789abcdef0}', '  eu-west-1: {arm64: ami-0fedcba9876543210}'],
    ['the name', 'name: Fingerprinted', 'name: Renamed'],
    ['a step name', '  - name: one', '  - name: first'],
    ['a test name', '  - name: says hi', '  - name: greets'],
    ['a step timeout', '    timeout_seconds: 600', '    timeout_seconds: 900'],
    ['retries', '    retries: 2', '    retries: 7'],
    ['the build timeout', '  timeout_minutes: 60', '  timeout_minutes: 120'],
  ])('is unchanged by %s', (_what, from, to) => {
    expect(fingerprint(edit(from, to))).toBe(fingerprint(BASE));
    expect(fingerprint(edit(from, to), 'arm64')).toBe(fingerprint(BASE, 'arm64'));
  });

  it('is unchanged by the order of the validation tests', () => {
    const swapped = edit(
      [
        '  - name: says hi',
        '    command: echo hi',
        '    expected: hi',
        '  - name: is linux',
        '    command: uname',
        '    expected_contains: Linux',
        '    retries: 2',
      ].join('\n'),
      [
        '  - name: is linux',
        '    command: uname',
        '    expected_contains: Linux',
        '  - name: says hi',
        '    command: echo hi',
        '    expected: hi',
      ].join('\n'),
    );
    expect(fingerprint(swapped)).toBe(fingerprint(BASE));
  });

  it.each([
    ['a setup script (one character)', '      echo one', '      echo One'],
    ['a setup script (a line added)', '      echo one', '      echo one\n      echo more'],
    [
      'the order of the setup steps',
      '  - name: one\n    timeout_seconds: 600\n    script: |\n      set -euo pipefail\n      echo one\n  - name: two\n    script: echo two',
      '  - name: two\n    script: echo two\n  - name: one\n    script: |\n      set -euo pipefail\n      echo one',
    ],
    ['a test command', '    command: echo hi', '    command: echo hello'],
    ['a test expectation value', '    expected: hi', '    expected: hello'],
    ['a test expectation kind', '    expected: hi', '    expected_contains: hi'],
    ['a test exit code', '    expected: hi', '    expected: hi\n    expected_exit_code: 1'],
    ['an added test', 'ports: [22]', '  - name: more\n    command: "true"\n    expected_exit_code: 0\nports: [22]'],
    ['the base source', '  source: ubuntu-22.04-lts', '  source: ubuntu-24.04-lts'],
    ['the base source (an AMI ID)', '  source: ubuntu-22.04-lts', '  source: ami-0123456789abcdef0'],
    ['the volume size', '  volume_size_gb: 20', '  volume_size_gb: 21'],
    ['the instance type', 'x86_64: t3.small', 'x86_64: t3.large'],
  ])('changes with %s', (_what, from, to) => {
    expect(fingerprint(edit(from, to))).not.toBe(fingerprint(BASE));
  });

  it('differs between x86_64 and arm64, and each sees only its own instance type', () => {
    expect(fingerprint(BASE, 'x86_64')).not.toBe(fingerprint(BASE, 'arm64'));
    const armType = edit('arm64: t4g.small', 'arm64: t4g.large');
    expect(fingerprint(armType, 'x86_64')).toBe(fingerprint(BASE, 'x86_64'));
    expect(fingerprint(armType, 'arm64')).not.toBe(fingerprint(BASE, 'arm64'));
  });

  it('is the same for a legacy file and the equivalent prism-ami file', () => {
    const legacy = yamlLines(
      'name: Old',
      'base: ubuntu-22.04-server-lts',
      'description: legacy',
      'build_steps:',
      '  - name: s1',
      '    script: |',
      '      set -euo pipefail',
      '      echo one',
      '  - name: s2',
      '    script: echo two',
      '    timeout_seconds: 100',
      'validation:',
      '  - {name: a, command: echo hi, equals: hi}',
      '  - {name: b, command: uname, contains: Linux}',
      '  - {name: c, command: "true", success: true}',
      'tags: {team: x}',
      'min_disk_size: 20',
    );
    const modern = yamlLines(
      'name: New',
      'base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}',
      'setup_steps:',
      '  - name: first',
      '    script: |',
      '      set -euo pipefail',
      '      echo one',
      '  - name: second',
      '    script: echo two',
      'validation_tests:',
      '  - {name: a, command: echo hi, expected: hi}',
      '  - {name: b, command: uname, expected_contains: Linux}',
      '  - {name: c, command: "true", expected_exit_code: 0}',
      'build: {volume_size_gb: 20}',
    );
    for (const arch of ['x86_64', 'arm64'] as const) expect(fingerprint(legacy, arch)).toBe(fingerprint(modern, arch));
    expect(fingerprint(legacy.replace('min_disk_size: 20', 'min_disk_size: 30'))).not.toBe(fingerprint(modern));
  });

  it("changes with the parent's setup and tests, but not with the parent's description", async () => {
    const parent = yamlLines(
      'name: Parent',
      'description: the parent',
      'base_ami: {source: debian-12}',
      'setup_script: echo parent',
      'validation_tests:',
      '  - {name: p, command: echo p, expected: p}',
    );
    const child = yamlLines(
      'name: Child',
      'extends: parent',
      'setup_script: echo child',
      'validation_tests:',
      '  - {name: c, command: echo c, expected: c}',
    );
    const dir = await tempDir();
    await writeFiles(dir, { 'parent.yml': parent, 'child.yml': child });
    const childPrint = async () => templateFingerprint(await new TemplateLibrary(dir).resolve('child'), 'x86_64');

    const original = await childPrint();
    const rootAlone = templateFingerprint(await new TemplateLibrary(dir).resolve('parent'), 'x86_64');
    expect(original).not.toBe(rootAlone);

    await writeFile(join(dir, 'parent.yml'), parent.replace('description: the parent', 'description: reworded'));
    expect(await childPrint()).toBe(original);

    await writeFile(join(dir, 'parent.yml'), parent.replace('echo parent', 'echo parent v2'));
    expect(await childPrint()).not.toBe(original);

    await writeFile(join(dir, 'parent.yml'), parent.replace('expected: p}', 'expected: q}'));
    expect(await childPrint()).not.toBe(original);

    await writeFile(join(dir, 'parent.yml'), parent.replace('debian-12', 'ubuntu-24.04-lts'));
    expect(await childPrint()).not.toBe(original);
  });
});
