import { describe, expect, it } from 'vitest';
import { formatDiagnostic, formatKeyPath, sortDiagnostics, type Diagnostic } from './diagnostic.js';
import { isPrismError, PrismError, type ErrorCode } from './errors.js';
import { exitCodeOf, ExitCode } from './exit-codes.js';
import { closestMatch, didYouMean, editDistance } from './suggest.js';

describe('exit codes', () => {
  it('are 0 ok, 1 failure, 2 bad input, 3 partial, 130 interrupted', () => {
    expect(ExitCode).toEqual({ ok: 0, failure: 1, badInput: 2, partial: 3, interrupted: 130 });
  });

  it.each<[ErrorCode, number]>([
    ['USAGE', 2],
    ['CONFIG_INVALID', 2],
    ['TEMPLATE_NOT_FOUND', 2],
    ['TEMPLATE_INVALID', 2],
    ['EXTENDS_CYCLE', 2],
    ['EXTENDS_MISSING', 2],
    ['LINT_FAILED', 1],
    ['BUILD_FAILED', 1],
    ['INTERNAL', 1],
    ['PARTIAL', 3],
    ['CANCELLED', 130],
  ])('maps %s to exit %i, and a PrismError carries it', (code, exit) => {
    expect(exitCodeOf(code)).toBe(exit);
    const error = new PrismError(code, 'message', { hint: 'do this' });
    expect(error.exitCode).toBe(exit);
    expect(error.code).toBe(code);
    expect(error.hint).toBe('do this');
    expect(error.diagnostics).toEqual([]);
    expect(isPrismError(error)).toBe(true);
    expect(isPrismError(error, code)).toBe(true);
    expect(isPrismError(new Error('plain'))).toBe(false);
  });
});

describe('suggestions', () => {
  it('measures edits', () => {
    expect(editDistance('regoins', 'regions')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests only close matches, ignoring case', () => {
    expect(closestMatch('regoins', ['name', 'regions', 'ports'])).toBe('regions');
    expect(closestMatch('PORTS', ['name', 'regions', 'ports'])).toBe('ports');
    expect(closestMatch('zzzzzz', ['name', 'regions', 'ports'])).toBeUndefined();
    expect(didYouMean('lnt', ['lint', 'show'])).toBe(' Did you mean "lint"?');
    expect(didYouMean('deploy', ['lint', 'show'])).toBe('');
  });
});

describe('diagnostics', () => {
  const d = (file: string, line: number, column: number, rule = 'schema/type'): Diagnostic => ({
    severity: 'error',
    rule,
    message: 'm',
    file,
    line,
    column,
    path: '',
  });

  it('format as file:line:col with the rule, path and fix', () => {
    expect(formatDiagnostic({ ...d('t.yml', 3, 7), path: 'ports[0]', fix: 'use 22' })).toBe(
      't.yml:3:7: error [schema/type] ports[0]: m\n    fix: use 22',
    );
    expect(formatKeyPath(['validation_tests', 1, 'expected'])).toBe('validation_tests[1].expected');
    expect(formatKeyPath([])).toBe('');
  });

  it('sort by file, line, column', () => {
    const sorted = sortDiagnostics([d('b.yml', 1, 1), d('a.yml', 10, 2), d('a.yml', 2, 9), d('a.yml', 10, 1)]);
    expect(sorted.map((x) => `${x.file}:${x.line}:${x.column}`)).toEqual(['a.yml:2:9', 'a.yml:10:1', 'a.yml:10:2', 'b.yml:1:1']);
  });
});
