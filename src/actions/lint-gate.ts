import type { Settings } from '../config/settings.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { PrismError } from '../core/errors.js';
import type { Template } from '../template/model.js';
import { lint } from './lint.js';

export interface LintGateOptions {
  /** --allow-lint-errors: build anyway, after saying so through `onAllowed`. */
  allow?: boolean;
  onAllowed?: (errors: Diagnostic[]) => void;
}

/**
 * Builds refuse templates with lint errors (docs/templates.md, "Lint"): the rules `prism ami
 * lint` applies, ShellCheck included when installed, `lint.disable` honoured. A TEMPLATE_INVALID
 * error (exit 2) with the located errors; warnings never stop a build.
 */
export async function checkLint(templates: readonly Template[], settings: Settings, options: LintGateOptions = {}): Promise<void> {
  const files = [...new Set(templates.map((t) => t.file))];
  if (files.length === 0) return;
  const report = await lint({ templates: files, templatesDir: settings.templatesDir, env: settings.env, disable: settings.lintDisable });
  const errors = report.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return;
  if (options.allow) {
    options.onAllowed?.(errors);
    return;
  }
  const withErrors = [...new Set(errors.map((d) => d.file))];
  const count = errors.length === 1 ? 'a lint error' : `${errors.length} lint errors`;
  throw new PrismError(
    'TEMPLATE_INVALID',
    `${withErrors.join(', ')} ${withErrors.length === 1 ? 'has' : 'have'} ${count}: builds refuse templates with lint errors`,
    {
      diagnostics: errors,
      hint: 'fix them (prism ami lint lists them), or pass --allow-lint-errors to build anyway',
    },
  );
}

/** What --allow-lint-errors says before building anyway. */
export function allowedLintMessage(errors: readonly Diagnostic[]): string {
  return `building despite ${errors.length} lint error${errors.length === 1 ? '' : 's'} (--allow-lint-errors): ${errors.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}] ${d.message}`).join('; ')}`;
}
