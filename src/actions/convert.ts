import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { PrismError } from '../core/errors.js';
import { convertedTemplateText } from '../template/convert.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { libraryFor } from '../template/library.js';

export interface ConvertOptions extends SettingsInput {
  /** Slugs or paths. */
  templates: string[];
  out: string;
  /** Overwrite files that exist. */
  force?: boolean;
}

export interface ConvertedTemplate {
  slug: string;
  from: string;
  /** The file written; absent when the template was skipped. */
  file?: string;
  fingerprints?: Record<string, string>;
  /** Why it was not converted. */
  skipped?: string;
}

export interface ConvertReport {
  out: string;
  templates: ConvertedTemplate[];
}

/**
 * `prism ami convert`: writes each template as a prism-ami template file `<out>/<slug>.yml`, so
 * a maintainer moves from Prism's format one template at a time. A template prism-ami cannot
 * build (an ami-based one) is skipped, with why.
 */
export async function convert(options: ConvertOptions): Promise<ConvertReport> {
  if (options.templates.length === 0)
    throw new PrismError('USAGE', 'convert needs at least one template', {
      hint: 'prism ami convert templates/python-ml.yml --out converted/',
    });
  const settings = resolveSettings(options);
  const out = resolve(options.out);
  const results: ConvertedTemplate[] = [];
  const pending: { path: string; text: string }[] = [];
  for (const ref of options.templates) {
    const { library, slug } = libraryFor(ref, settings.templatesDir);
    const template = await library.resolve(slug);
    const from = library.display(template.file);
    if (template.notBuilt) {
      results.push({ slug: template.slug, from, skipped: `${template.notBuilt.message}; ${template.notBuilt.fix}` });
      continue;
    }
    const path = join(out, `${template.slug}.yml`);
    if (pending.some((p) => p.path === path)) {
      throw new PrismError('USAGE', `two templates would be written to ${path}`, { hint: 'name each template once' });
    }
    if (!options.force && (await exists(path))) {
      throw new PrismError('USAGE', `${path} exists`, { hint: 'pass --force to overwrite it, or choose another --out' });
    }
    pending.push({ path, text: convertedTemplateText(template, from) });
    const fingerprints = Object.fromEntries(template.architectures.map((arch) => [arch, templateFingerprint(template, arch)]));
    results.push({ slug: template.slug, from, file: path, fingerprints });
  }
  if (pending.length > 0) await mkdir(out, { recursive: true });
  for (const file of pending) await writeFile(file.path, file.text);
  return { out, templates: results };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
