import { readFile } from 'node:fs/promises';
import type { TemplateNode } from '../changes/model.js';
import { errorMessage } from '../core/errors.js';
import { type TemplateLibrary, type TemplateRef } from '../template/library.js';
import { parseYamlSource } from '../template/yaml-source.js';

/**
 * The templates of a folder as change detection needs them: parent and resolved architectures,
 * or the reason they do not resolve. A file that does not parse still gives its `extends` when
 * its YAML is readable, so its parent's changes still reach it.
 */
export async function readTemplateNodes(library: TemplateLibrary): Promise<TemplateNode[]> {
  const refs = await library.list();
  const bySlug = new Map<string, TemplateRef[]>();
  for (const ref of refs) bySlug.set(ref.slug, [...(bySlug.get(ref.slug) ?? []), ref]);
  // Prism's inherits names a parent by name:, or by slug.
  const slugOf = new Map<string, string>();
  for (const ref of refs) slugOf.set(ref.slug, ref.slug);
  for (const ref of refs) if (ref.name && !slugOf.has(ref.name)) slugOf.set(ref.name, ref.slug);
  const nodes: TemplateNode[] = [];
  for (const [slug, same] of bySlug) {
    if (same.length > 1) {
      const parent = await rawExtends(same[0].file);
      nodes.push({
        slug,
        ...(parent ? { parent } : {}),
        problem: `exists twice: ${same.map((r) => library.display(r.file)).join(' and ')}`,
      });
      continue;
    }
    nodes.push(await readNode(library, same[0], slugOf));
  }
  return nodes;
}

async function readNode(library: TemplateLibrary, ref: TemplateRef, slugOf: ReadonlyMap<string, string>): Promise<TemplateNode> {
  let parent: string | undefined;
  let inherits: string[];
  try {
    const { definition } = await library.parse(ref);
    parent = definition.extends;
    inherits = (definition.prism?.inherits ?? []).map((p) => slugOf.get(p) ?? p);
  } catch (error) {
    parent = await rawExtends(ref.file);
    return { slug: ref.slug, ...(parent ? { parent } : {}), problem: `does not parse: ${errorMessage(error)}` };
  }
  try {
    const template = await library.resolve(ref.slug);
    return {
      slug: ref.slug,
      ...(parent ? { parent } : {}),
      ...(inherits.length ? { inherits } : {}),
      architectures: template.architectures,
    };
  } catch (error) {
    return {
      slug: ref.slug,
      ...(parent ? { parent } : {}),
      ...(inherits.length ? { inherits } : {}),
      problem: `does not resolve: ${errorMessage(error)}`,
    };
  }
}

async function rawExtends(file: string): Promise<string | undefined> {
  try {
    const parsed = parseYamlSource(await readFile(file), file);
    if (!parsed.ok) return undefined;
    const data = parsed.source.data as { extends?: unknown } | null;
    return data && typeof data === 'object' && typeof data.extends === 'string' ? data.extends : undefined;
  } catch {
    return undefined;
  }
}
