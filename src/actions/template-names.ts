import { PrismError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { checkSlug } from '../registry/input-checks.js';
import type { RegistryDocument } from '../registry/model.js';
import { isTemplatePath, TemplateLibrary } from '../template/library.js';
import { fileIdentity } from '../template/scan.js';

/** The slugs of the templates folder; empty when there is no such folder. */
export async function folderSlugs(templatesDir: string): Promise<string[]> {
  try {
    return (await new TemplateLibrary(templatesDir).list()).map((t) => t.slug);
  } catch {
    return [];
  }
}

/**
 * A template named on the command line (a slug, or a template file's path): it must be in the
 * templates folder or in the registry. Unknown: TEMPLATE_NOT_FOUND with a did-you-mean.
 */
export async function knownTemplate(ref: string, options: { templatesDir: string; registry?: RegistryDocument }): Promise<string> {
  const slug = isTemplatePath(ref) ? (await fileIdentity(ref)).slug : ref;
  checkSlug(slug);
  const inRegistry = Object.keys(options.registry?.templates ?? {});
  if (inRegistry.includes(slug)) return slug;
  const inFolder = await folderSlugs(options.templatesDir);
  if (inFolder.includes(slug)) return slug;
  const all = [...new Set([...inFolder, ...inRegistry])].sort();
  throw new PrismError(
    'TEMPLATE_NOT_FOUND',
    `no template "${slug}" in ${options.templatesDir}/ or in the registry.${didYouMean(slug, all)}`,
    {
      hint: all.length > 0 ? `known templates: ${all.join(', ')}` : 'pass --templates-dir, or --registry for the registry that holds it',
    },
  );
}
