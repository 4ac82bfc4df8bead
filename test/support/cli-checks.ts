import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CliResult } from './cli.js';

const MAIN_JS = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const MAIN_TS = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The CLI tests run the built binary: fail with a clear message when dist/ is missing or stale. */
export function requireBuild(): void {
  if (!existsSync(MAIN_JS)) throw new Error('dist/ is missing: run `npm run build` before the CLI tests');
  if (statSync(MAIN_JS).mtimeMs < statSync(MAIN_TS).mtimeMs) {
    throw new Error('dist/ is older than src/cli/main.ts: run `npm run build` before the CLI tests');
  }
}

/** Nothing a user sees may be a JavaScript stack trace. */
export function expectNoStackTrace(result: CliResult): void {
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toMatch(/^\s+at .*(\(|\s)(file:|node:|\/).*:\d+:\d+\)?$/m);
    expect(text).not.toMatch(/internal error|TypeError|RangeError|ReferenceError/);
  }
  expect(result.signal).toBeNull();
}
