import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCode, goIdentifier, type CodeFormat } from './codegen.js';
import { parseLegacyMap } from './legacy/legacy-map.js';

const golden = (name: string) => fileURLToPath(new URL(`../../test/fixtures/registry/${name}`, import.meta.url));
const CODEGEN_MAPS = {
  'r-research': {
    'us-west-2': { x86_64: 'ami-0a1b2c3d4e5f60718' },
    'us-east-1': { arm64: 'ami-050499786ebf55a6a', x86_64: 'ami-02029c87fa31fb148' },
  },
  'python-research': { 'us-east-1': { x86_64: 'ami-0123456789abcdef0' } },
  '3d-viz': { 'eu-west-1': { arm64: 'ami-0fedcba9876543210' } },
};

describe('generated AMI maps (golden)', () => {
  it.each<[CodeFormat, string]>([
    ['go', 'amis.go.golden'],
    ['ts', 'amis.ts.golden'],
    ['json', 'amis.json.golden'],
  ])('--format %s matches %s', (format, file) => {
    const code = generateCode(format, CODEGEN_MAPS);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden(file), code);
    expect(code).toBe(readFileSync(golden(file), 'utf8'));
    expect(code).toMatch(/DO NOT EDIT/);
  });

  it('Go: gofmt layout, balanced braces, and import-legacy reads it back', () => {
    const code = generateCode('go', CODEGEN_MAPS);
    expect(code).toMatch(/^\/\/ Code generated .* DO NOT EDIT\.$/m); // the Go convention tools recognise
    expect(code).not.toMatch(/^ +/m); // gofmt indents with tabs
    expect(code.split('{').length).toBe(code.split('}').length);
    expect(code).toContain('\t\t\t"x86_64": "ami-02029c87fa31fb148",\n\t\t\t"arm64":  "ami-050499786ebf55a6a",');
    expect(parseLegacyMap(code, 'amis.go').templates).toEqual(CODEGEN_MAPS);
    expect(parseLegacyMap(generateCode('json', CODEGEN_MAPS), 'amis.json').templates).toEqual(CODEGEN_MAPS);
  });

  it('names Go variables after slugs, and refuses clashes and bad package names', () => {
    expect(goIdentifier('r-research')).toBe('RResearch');
    expect(goIdentifier('python.research_v2')).toBe('PythonResearchV2');
    expect(goIdentifier('3d-viz')).toBe('T3dViz');
    expect(() => generateCode('go', { 'a-b': {}, 'a.b': {} })).toThrow(/would be named ABAMI in Go, like "a-b"/);
    expect(() => generateCode('go', {}, { goPackage: 'Bad-Name' })).toThrow(/not a Go package name/);
    for (const keyword of ['func', 'type', 'package', 'map', 'range'])
      expect(() => generateCode('go', {}, { goPackage: keyword }), keyword).toThrow(/is a Go keyword/);
    for (const bad of ['_', '1amis', 'my.pkg', ''])
      expect(() => generateCode('go', {}, { goPackage: bad }), bad).toThrow(/not a Go package name/);
    expect(generateCode('go', {}, { goPackage: 'amis_v2' })).toContain('package amis_v2\n');
  });
});
