import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isPrismError, type PrismError } from '../../core/errors.js';
import { parseLegacyMap } from './legacy-map.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url)), 'utf8');

function failure(fn: () => unknown): PrismError {
  try {
    fn();
  } catch (error) {
    if (isPrismError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('import-legacy input: Go', () => {
  it('reads the seed\'s "Current Problem" literal, for the template named with --template', () => {
    const text = fixture('seed/current-problem.go.txt');
    expect(parseLegacyMap(text, 'amis.go', { template: 'r-research' })).toEqual({
      format: 'go',
      templates: { 'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148', arm64: 'ami-050499786ebf55a6a' } } },
    });
    const error = failure(() => parseLegacyMap(text, 'amis.go'));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe('amis.go:1: this map does not say which template it belongs to');
    expect(error.hint).toMatch(/--template/);
  });

  it('reads several templates keyed by slug, skipping other Go code', () => {
    const text = fixture('registry/legacy-templates.go.txt');
    expect(parseLegacyMap(text, 'templates.go').templates).toEqual({
      'r-research': {
        'us-east-1': { x86_64: 'ami-02029c87fa31fb148', arm64: 'ami-050499786ebf55a6a' },
        'us-west-2': { x86_64: 'ami-0a1b2c3d4e5f60718' },
      },
      'python-research': { 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } },
    });
    expect(Object.keys(parseLegacyMap(text, 'templates.go', { template: 'python-research' }).templates)).toEqual(['python-research']);
  });

  it('reads the template-keyed literal update-templates --format go writes', () => {
    const text =
      'package amis\n\nvar AMIs = map[string]map[string]map[string]string{\n\t"r-research": {\n\t\t"us-east-1": {\n\t\t\t"x86_64": "ami-0123456789abcdef0",\n\t\t},\n\t},\n}\n\nvar (\n\tRResearchAMI = AMIs["r-research"]\n)\n';
    expect(parseLegacyMap(text, 'amis.go').templates).toEqual({ 'r-research': { 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } } });
  });

  it('names the line of what it cannot use', () => {
    const bad =
      'var Templates = map[string]T{\n  "r-research": {\n    AMI: map[string]map[string]string{\n      "us-east-1a": {"x86_64": "ami-0123456789abcdef0"},\n      "us-east-2": {"sparc": "ami-0123456789abcdef0", "arm64": "ami-nope"},\n    },\n  },\n}\n';
    const error = failure(() => parseLegacyMap(bad, 'bad.go'));
    expect(error.message).toBe('bad.go has 3 problems');
    expect(error.diagnostics.map((d) => `${d.line} ${d.path}: ${d.message}`)).toEqual([
      '4 r-research.us-east-1a: "us-east-1a" is not a region name',
      '5 r-research.us-east-2.sparc: "sparc" is not an architecture; use x86_64 or arm64',
      '5 r-research.us-east-2.arm64: "ami-nope" is not an AMI ID',
    ]);
    expect(
      failure(() =>
        parseLegacyMap('AMI: map[string]map[string]string{\n "us-east-1": {"x86_64": someConst},\n}', 'c.go', { template: 't' }),
      ).message,
    ).toBe('c.go:2: cannot read the Go map: the value of "x86_64" is someConst, not a string literal');
    expect(failure(() => parseLegacyMap('package main\n', 'empty.go')).message).toMatch(/holds no JSON object and no Go map/);
  });
});

describe('import-legacy input: JSON', () => {
  it('reads {template: {region: {arch: ami}}}, ignoring $ keys', () => {
    const text = JSON.stringify({
      $comment: 'generated',
      'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148' } },
      'python-research': { 'eu-west-1': { arm64: 'ami-050499786ebf55a6a' } },
    });
    expect(parseLegacyMap(text, 'amis.json')).toEqual({
      format: 'json',
      templates: {
        'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148' } },
        'python-research': { 'eu-west-1': { arm64: 'ami-050499786ebf55a6a' } },
      },
    });
  });

  it('reads {region: {arch: ami}} for the template named with --template', () => {
    const text = '{\n  "us-east-1": {"x86_64": "ami-02029c87fa31fb148", "aarch64": "ami-050499786ebf55a6a"}\n}\n';
    expect(parseLegacyMap(text, 'r.json', { template: 'r-research' }).templates).toEqual({
      'r-research': { 'us-east-1': { x86_64: 'ami-02029c87fa31fb148', arm64: 'ami-050499786ebf55a6a' } },
    });
    expect(failure(() => parseLegacyMap(text, 'r.json')).hint).toMatch(/--template/);
  });

  it('refuses bad JSON, bad values and an empty map', () => {
    expect(failure(() => parseLegacyMap('{"r": ', 'x.json')).message).toMatch(/^x.json is not valid JSON/);
    const bad = failure(() => parseLegacyMap('{\n  "r-research": {\n    "us-east-1": {"x86_64": 42}\n  }\n}', 'x.json'));
    expect(bad.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual(['3 "42" is not an AMI ID']);
    expect(failure(() => parseLegacyMap('{}', 'x.json')).message).toBe('x.json holds no AMI IDs');
    expect(
      failure(() => parseLegacyMap('{"r-research": {"us-east-1": {"x86_64": "ami-02029c87fa31fb148"}}}', 'x.json', { template: 'other' }))
        .message,
    ).toBe('x.json holds no AMI IDs for template "other"');
  });
});
