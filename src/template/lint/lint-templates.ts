import type { Diagnostic } from '../../core/diagnostic.js';
import { formatKeyPath, sortDiagnostics } from '../../core/diagnostic.js';
import { isPrismError } from '../../core/errors.js';
import type { TemplateLibrary, TemplateRef } from '../library.js';
import type { Template } from '../model.js';
import type { ParsedTemplate } from '../parse-template.js';
import { SLUG_PATTERN } from '../schema.js';
import { locate } from '../yaml-source.js';
import { prismLintDiagnostics } from '../prism/lint.js';
import { scriptLocator } from './script-locator.js';
import { checkScript } from './script-rules.js';
import type { ShellcheckRunner } from './shellcheck.js';

export interface LintOptions {
  /** Runs shellcheck on each script; leave out when it is not installed or turned off. */
  shellcheck?: ShellcheckRunner;
  /** Why there is no shellcheck, for the report. */
  shellcheckAbsent?: 'off' | 'missing';
  /** Rule ids to leave out (from the config file's lint.disable). */
  disable?: readonly string[];
}

export interface LintedTemplate {
  slug: string;
  file: string;
  errors: number;
  warnings: number;
}

export interface LintReport {
  templates: LintedTemplate[];
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  /** `ran`: shellcheck checked the scripts; `off`: turned off; `missing`: not installed. */
  shellcheck: 'ran' | 'off' | 'missing';
}

/** Lints the given templates of a library: schema, extends, script and validation rules. */
export async function lintTemplates(library: TemplateLibrary, refs: TemplateRef[], options: LintOptions = {}): Promise<LintReport> {
  const disabled = new Set(options.disable ?? []);
  const all: Diagnostic[] = [];
  const perTemplate: LintedTemplate[] = [];
  const known = new Set((await library.list()).map((t) => t.slug));
  for (const ref of refs) {
    const found = await lintOne(library, ref, known, options.shellcheck);
    // Only warnings can be turned off: an error means builds would refuse the template anyway.
    const kept = dedupe(found.filter((d) => d.severity === 'error' || !disabled.has(d.rule)));
    all.push(...kept);
    perTemplate.push({
      slug: ref.slug,
      file: library.display(ref.file),
      errors: kept.filter((d) => d.severity === 'error').length,
      warnings: kept.filter((d) => d.severity === 'warning').length,
    });
  }
  const diagnostics = sortDiagnostics(dedupe(all));
  return {
    templates: perTemplate,
    diagnostics,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
    shellcheck: options.shellcheck ? 'ran' : (options.shellcheckAbsent ?? 'missing'),
  };
}

async function lintOne(
  library: TemplateLibrary,
  ref: TemplateRef,
  known: Set<string>,
  shellcheck?: ShellcheckRunner,
): Promise<Diagnostic[]> {
  const display = library.display(ref.file);
  const out: Diagnostic[] = [];
  if (!SLUG_PATTERN.test(ref.slug)) {
    out.push({
      severity: 'warning',
      rule: 'template/slug',
      message: `"${ref.slug}" is not a usable slug (lowercase letters, digits, . _ -)`,
      file: display,
      line: 1,
      column: 1,
      path: '',
      fix: 'rename the file, e.g. to ' + ref.slug.toLowerCase().replace(/[^a-z0-9._-]+/g, '-') + '.yml',
    });
  }
  let parsed: ParsedTemplate;
  let template: Template;
  try {
    parsed = await library.parse(ref);
    template = await library.resolve(ref.slug);
  } catch (error) {
    if (!isPrismError(error)) throw error;
    // A cycle is reported once for each template in it, at its own extends; a template built on
    // one is told which (the library's error sits at whichever file closed the loop).
    if (error.code === 'EXTENDS_CYCLE') return [...out, await cycleDiagnostic(library, ref, display)];
    if (error.diagnostics.length > 0) return [...out, ...error.diagnostics];
    return [
      ...out,
      {
        severity: 'error',
        rule: `template/${error.code.toLowerCase().replace(/_/g, '-')}`,
        message: error.message,
        file: display,
        line: 1,
        column: 1,
        path: '',
        ...(error.hint ? { fix: error.hint } : {}),
      },
    ];
  }

  const source = parsed.source;
  for (const step of parsed.definition.setup) {
    const locator = scriptLocator(source, step.sourcePath);
    const offset = step.sourceLineOffset ?? 0;
    const toFile = (line: number, column: number) => locator(Math.max(1, line - offset), column);
    const stepPath = formatKeyPath(step.sourcePath);
    for (const finding of checkScript(step.script)) {
      const pos = toFile(finding.line, finding.column);
      out.push({
        severity: finding.severity,
        rule: finding.rule,
        message: finding.message,
        fix: finding.fix,
        file: display,
        line: pos.line,
        column: pos.column,
        path: stepPath,
      });
    }
    if (shellcheck) {
      for (const finding of await shellcheck(step.script)) {
        const pos = toFile(finding.line, finding.column);
        out.push({
          severity: finding.level === 'error' ? 'error' : 'warning',
          rule: `shellcheck/SC${finding.code}`,
          message: finding.message,
          fix: `see https://www.shellcheck.net/wiki/SC${finding.code}`,
          file: display,
          line: pos.line,
          column: pos.column,
          path: stepPath,
        });
      }
    }
  }

  out.push(...prismLintDiagnostics(parsed, template, display));
  if (template.tests.length === 0 && !template.notBuilt) {
    const key = parsed.definition.format === 'legacy' ? 'validation' : 'validation_tests';
    const pos = locate(source, [key], { key: true });
    out.push({
      severity: 'warning',
      rule: 'validation/empty',
      message: 'no validation tests: nothing proves the image works before it is published',
      fix: `add ${key} that check what the setup installed (a service is active, a command runs)`,
      file: display,
      line: pos.line,
      column: pos.column,
      path: key,
    });
  }

  parsed.definition.dependencies.forEach((dep, i) => {
    if (dep.optional || known.has(dep.name)) return;
    const pos = locate(source, ['dependencies', i]);
    out.push({
      severity: 'warning',
      rule: 'template/missing-dependency',
      message: `depends on "${dep.name}", which is not a template in ${library.displayDir()}`,
      fix: 'add the template, mark the dependency optional: true, or remove it',
      file: display,
      line: pos.line,
      column: pos.column,
      path: `dependencies[${i}]`,
    });
  });
  return out;
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.rule}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The extends chain from a template until a slug repeats: the cycle it is in, or leads to. */
async function cycleDiagnostic(library: TemplateLibrary, ref: TemplateRef, display: string): Promise<Diagnostic> {
  const chain = [ref.slug];
  let source: ParsedTemplate['source'] | undefined;
  for (let slug: string | undefined = ref.slug; slug;) {
    const parsed = await library.parse(await library.find(slug));
    source ??= parsed.source;
    slug = parsed.definition.extends;
    if (slug === undefined) break;
    if (chain.includes(slug)) {
      chain.push(slug);
      break;
    }
    chain.push(slug);
  }
  const start = chain.indexOf(chain.at(-1)!);
  const cycle = chain.slice(start);
  const inCycle = start === 0;
  const pos = source ? locate(source, ['extends']) : { line: 1, column: 1 };
  return {
    severity: 'error',
    rule: 'extends/cycle',
    message: inCycle ? `extends cycle: ${cycle.join(' → ')}` : `extends ${chain[1]}, which is in an extends cycle: ${cycle.join(' → ')}`,
    file: display,
    line: pos.line,
    column: pos.column,
    path: 'extends',
    fix: 'a template cannot be built on itself; remove one of the extends',
  };
}
