import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { YAML_LIMITS } from './yaml-source.js';

export const TEMPLATE_EXTENSIONS = ['.yml', '.yaml'];

/** Folders a template scan never enters. */
const SKIPPED_FOLDERS = new Set(['node_modules']);

/**
 * Every template file under a folder, its subfolders included (Prism keeps templates in
 * `templates/community/…` and `templates/testing/…`), in a stable order. Hidden files and
 * folders are skipped.
 */
export async function templateFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      // A folder named like a template file is listed, so reading it fails with a clear error.
      if (TEMPLATE_EXTENSIONS.includes(extname(entry.name))) out.push(path);
      else if (entry.isDirectory() && depth < 8 && !SKIPPED_FOLDERS.has(entry.name)) await walk(path, depth + 1);
    }
  };
  await walk(dir, 0);
  return out;
}

/** What a file says about its identity before it is parsed in full: its `slug:` and `name:`. */
export interface FileIdentity {
  /** `slug:` when the file has one (Prism's format), else the file name without its extension. */
  slug: string;
  /** The template's `name:`, when it is text (Prism's `inherits` names parents by it). */
  name?: string;
  /** True when the slug came from a `slug:` key. */
  declared: boolean;
}

/** Reads the top-level `slug:` and `name:` of a template file; a file that does not parse keeps its stem. */
export async function fileIdentity(file: string): Promise<FileIdentity> {
  const stem = basename(file, extname(file));
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > YAML_LIMITS.maxBytes) return { slug: stem, declared: false };
    const doc = parseDocument(await readFile(file, 'utf8'), { uniqueKeys: false });
    if (!isMap(doc.contents)) return { slug: stem, declared: false };
    const text = (key: string): string | undefined => {
      const pair = (doc.contents as { items: { key: unknown; value: unknown }[] }).items.find(
        (p) => isScalar(p.key) && p.key.value === key,
      );
      return pair && isScalar(pair.value) && typeof pair.value.value === 'string' && pair.value.value.trim() !== ''
        ? pair.value.value
        : undefined;
    };
    const slug = text('slug');
    const name = text('name');
    return { slug: slug ?? stem, declared: slug !== undefined, ...(name ? { name } : {}) };
  } catch {
    return { slug: stem, declared: false };
  }
}
