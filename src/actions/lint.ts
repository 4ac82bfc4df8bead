import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { PrismError } from '../core/errors.js';
import { libraryFor, TemplateLibrary, type TemplateRef } from '../template/library.js';
import { lintTemplates, type LintOptions, type LintReport } from '../template/lint/lint-templates.js';
import { findShellcheck } from '../template/lint/shellcheck.js';

export interface LintActionOptions extends SettingsInput {
  /** Slugs or paths; empty means every template in the folder. */
  templates?: readonly string[];
  /** Run shellcheck when it is installed (default true). */
  shellcheck?: boolean | LintOptions['shellcheck'];
  /** Warnings to leave out (default: lint.disable in the config). */
  disable?: readonly string[];
}

/** `prism ami lint`: checks templates and reports every problem found. */
export async function lint(options: LintActionOptions = {}): Promise<LintReport> {
  const settings = resolveSettings(options);
  const disable = options.disable ?? settings.lintDisable;
  const shellcheck =
    typeof options.shellcheck === 'function' ? options.shellcheck : options.shellcheck === false ? undefined : findShellcheck();
  const lintOptions: LintOptions = {
    ...(shellcheck ? { shellcheck } : { shellcheckAbsent: options.shellcheck === false ? 'off' : 'missing' }),
    ...(disable.length > 0 ? { disable } : {}),
  };
  const refs = options.templates ?? [];
  if (refs.length === 0) {
    const library = new TemplateLibrary(settings.templatesDir);
    const all = await library.list();
    if (all.length === 0) {
      throw new PrismError('TEMPLATE_NOT_FOUND', `no templates (*.yml, *.yaml) in ${library.displayDir()}`, {
        hint: 'pass --templates-dir, or name template files to lint',
      });
    }
    return lintTemplates(library, all, lintOptions);
  }
  // Group references by folder so each folder's templates are parsed once.
  const reports: LintReport[] = [];
  const groups = new Map<string, { library: TemplateLibrary; refs: TemplateRef[] }>();
  for (const ref of refs) {
    const { library, slug } = libraryFor(ref, settings.templatesDir);
    const group = groups.get(library.dir) ?? { library, refs: [] };
    groups.set(library.dir, group);
    group.refs.push(await group.library.find(slug));
  }
  for (const { library, refs: found } of groups.values()) reports.push(await lintTemplates(library, found, lintOptions));
  return mergeReports(reports);
}

/** Lints one template (by slug or path) and returns its report. */
export function lintTemplate(ref: string, options: Omit<LintActionOptions, 'templates'> = {}): Promise<LintReport> {
  return lint({ ...options, templates: [ref] });
}

function mergeReports(reports: LintReport[]): LintReport {
  return {
    templates: reports.flatMap((r) => r.templates),
    diagnostics: reports.flatMap((r) => r.diagnostics),
    errors: reports.reduce((n, r) => n + r.errors, 0),
    warnings: reports.reduce((n, r) => n + r.warnings, 0),
    shellcheck: reports.some((r) => r.shellcheck === 'ran') ? 'ran' : (reports[0]?.shellcheck ?? 'missing'),
  };
}
