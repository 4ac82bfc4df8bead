import type { Diagnostic } from '../../core/diagnostic.js';
import { PrismError } from '../../core/errors.js';
import { didYouMean } from '../../core/suggest.js';
import type { TemplateLibrary, TemplateRef } from '../library.js';
import type { TemplateDefinition } from '../model.js';
import { locate } from '../yaml-source.js';
import { mergePrismTemplates } from './merge.js';
import { normalizePrismTemplate } from './normalize.js';
import type { RawPrismTemplate } from './schema.js';

/**
 * A Prism template with its `inherits` chain merged the way Prism merges it, as one definition.
 * Prism names parents by their `name:` (its registry is keyed by name); a parent's slug works
 * too. The result is a root template: Prism's inheritance flattens into one script, it does not
 * build on a parent's image.
 */
export async function resolvePrismInherits(library: TemplateLibrary, ref: TemplateRef): Promise<TemplateDefinition> {
  const merged = await mergedRaw(library, ref, []);
  const parsed = await library.parse(ref);
  const definition = parsed.definition;
  return normalizePrismTemplate(merged, { slug: definition.slug, file: definition.file }, definition.prism?.inherits ?? []);
}

async function mergedRaw(library: TemplateLibrary, ref: TemplateRef, stack: readonly string[]): Promise<RawPrismTemplate> {
  const parsed = await library.parse(ref);
  const prism = parsed.definition.prism;
  if (!prism) throw new Error(`not a Prism template: ${ref.file}`);
  if (prism.inherits.length === 0) return prism.raw;
  const display = library.display(ref.file);
  const at = (i: number, rule: string, message: string, fix: string): Diagnostic => {
    const pos = locate(parsed.source, ['inherits', i]);
    return { severity: 'error', rule, message, file: display, line: pos.line, column: pos.column, path: `inherits[${i}]`, fix };
  };
  const parents: RawPrismTemplate[] = [];
  for (const [i, parentName] of prism.inherits.entries()) {
    const parent = await findParent(library, parentName);
    if (!parent) {
      const all = await library.list();
      const known = all.flatMap((t) => [t.slug, ...(t.name ? [t.name] : [])]);
      const message = `inherits "${parentName}", but no template in ${library.displayDir()} has that name or slug.${didYouMean(parentName, known)}`;
      throw new PrismError('EXTENDS_MISSING', `${display} ${message}`, {
        hint: 'Prism names parents by their name: (a slug works too)',
        diagnostics: [at(i, 'inherits/missing', message, 'fix the name, or add the parent template')],
      });
    }
    if (stack.includes(parent.file) || parent.file === ref.file) {
      const names = [...stack, ref.file, parent.file].map((f) => library.display(f));
      const message = `inherits cycle: ${names.join(' → ')}`;
      throw new PrismError('EXTENDS_CYCLE', message, {
        hint: 'a template cannot inherit from itself; remove one of the inherits',
        diagnostics: [at(i, 'inherits/cycle', message, 'remove one of the inherits')],
      });
    }
    const parentParsed = await library.parse(parent);
    if (!parentParsed.definition.prism) {
      const message = `inherits "${parentName}" (${library.display(parent.file)}), which is not in Prism's format`;
      throw new PrismError('TEMPLATE_INVALID', `${display} ${message}`, {
        diagnostics: [
          at(i, 'inherits/format', message, 'inherit from Prism templates only; a prism-ami template is built on with extends'),
        ],
      });
    }
    parents.push(await mergedRaw(library, parent, [...stack, ref.file]));
  }
  return mergePrismTemplates(parents, prism.raw);
}

/** Prism's lookup: by name first, then by slug. */
async function findParent(library: TemplateLibrary, reference: string): Promise<TemplateRef | undefined> {
  const all = await library.list();
  const byName = all.filter((t) => t.name === reference);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new PrismError(
      'TEMPLATE_INVALID',
      `two templates are named "${reference}": ${byName.map((t) => library.display(t.file)).join(' and ')}`,
      {
        hint: 'Prism keeps the first one it finds; give each template its own name, or inherit by slug',
      },
    );
  }
  const bySlug = all.filter((t) => t.slug === reference);
  return bySlug.length === 1 ? bySlug[0] : bySlug.length > 1 ? library.find(reference) : undefined;
}
