import { open, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, relative, resolve as resolvePath } from 'node:path';
import type { Diagnostic } from '../core/diagnostic.js';
import { formatKeyPath } from '../core/diagnostic.js';
import { PrismError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { mergeTemplate } from './merge.js';
import type { Template } from './model.js';
import { parseTemplate, type ParsedTemplate } from './parse-template.js';
import { resolvePrismInherits } from './prism/inherits.js';
import { fileIdentity, templateFiles, TEMPLATE_EXTENSIONS as EXTENSIONS } from './scan.js';
import { YAML_LIMITS, locate } from './yaml-source.js';

export interface TemplateRef {
  /** The template's identity: its `slug:` where the file has one, else the file name without extension. */
  slug: string;
  /** Absolute path. */
  file: string;
  /** The template's `name:` (Prism's `inherits` names parents by it). */
  name?: string;
}

/** True when a template reference names a file rather than a slug. */
export function isTemplatePath(ref: string): boolean {
  return ref.includes('/') || EXTENSIONS.includes(extname(ref));
}

/**
 * The templates of one folder: finds them by slug, parses each once, resolves `extends` chains
 * (parents are looked up in the same folder).
 */
export class TemplateLibrary {
  readonly dir: string;
  private readonly parsed = new Map<string, Promise<ParsedTemplate>>();
  private readonly resolved = new Map<string, Promise<Template>>();
  private listing: Promise<TemplateRef[]> | undefined;

  constructor(dir: string) {
    this.dir = resolvePath(dir);
  }

  /** Every template file in the folder, by slug. */
  list(): Promise<TemplateRef[]> {
    this.listing ??= this.readListing();
    return this.listing;
  }

  private async readListing(): Promise<TemplateRef[]> {
    let files: string[];
    try {
      files = await templateFiles(this.dir);
    } catch (error) {
      throw new PrismError('TEMPLATE_NOT_FOUND', `the templates folder ${this.displayDir()} does not exist or cannot be read`, {
        hint: 'run prism from your template repository, or pass --templates-dir (or set templatesDir in prism-ami.config.yaml)',
        cause: error,
      });
    }
    const refs: TemplateRef[] = [];
    for (const file of files) {
      const identity = await fileIdentity(file);
      refs.push({ slug: identity.slug, file, ...(identity.name ? { name: identity.name } : {}) });
    }
    return refs.sort((a, b) => a.slug.localeCompare(b.slug) || a.file.localeCompare(b.file));
  }

  /**
   * Finds a template by slug in this folder (and its subfolders); a file named `<slug>.yml`
   * whose `slug:` says otherwise is found by its file name too. Two templates with one slug are
   * an error naming both files.
   */
  async find(slug: string, referrer?: { file: string; diagnostic: Diagnostic }): Promise<TemplateRef> {
    const all = await this.list();
    if (isAbsolute(slug)) {
      // A path (libraryFor): that file, whatever its slug.
      const ref = all.find((t) => t.file === slug);
      if (ref) return ref;
      throw new PrismError('TEMPLATE_NOT_FOUND', `${this.display(slug)} is not a template file of ${this.displayDir()}`, {
        hint: 'check the path: template files end in .yml or .yaml',
      });
    }
    let matches = all.filter((t) => t.slug === slug);
    if (matches.length === 0) matches = all.filter((t) => basename(t.file, extname(t.file)) === slug);
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      const files = matches.map((m) => this.display(m.file));
      throw new PrismError('TEMPLATE_INVALID', `template "${slug}" exists twice: ${files.join(' and ')}`, {
        hint: 'each template needs a slug of its own (its slug: key, else its file name): change one, or remove a copy',
        diagnostics: await Promise.all(matches.map((m) => this.duplicateDiagnostic(m, slug, files))),
      });
    }
    const suggestion = didYouMean(
      slug,
      all.map((t) => t.slug),
    );
    if (referrer) {
      throw new PrismError(
        'EXTENDS_MISSING',
        `${this.display(referrer.file)} extends "${slug}", but no template in ${this.displayDir()} has that slug (slug: or file name).${suggestion}`,
        { hint: 'fix the extends value, or add the parent template', diagnostics: [referrer.diagnostic] },
      );
    }
    throw new PrismError(
      'TEMPLATE_NOT_FOUND',
      `no template "${slug}" in ${this.displayDir()} (looked for slug: ${slug}, ${slug}.yml and ${slug}.yaml, subfolders included).${suggestion}`,
      { hint: `the templates here are: ${all.map((t) => t.slug).join(', ') || '(none)'}; --templates-dir picks another folder` },
    );
  }

  /** Parses a template file once; a bad file is a TEMPLATE_INVALID error with diagnostics. */
  parse(ref: TemplateRef): Promise<ParsedTemplate> {
    let pending = this.parsed.get(ref.file);
    if (!pending) {
      pending = this.readAndParse(ref);
      this.parsed.set(ref.file, pending);
    }
    return pending;
  }

  private async readAndParse(ref: TemplateRef): Promise<ParsedTemplate> {
    const display = this.display(ref.file);
    const bytes = await readLimited(ref.file, display);
    const result = parseTemplate(bytes, display, ref.slug);
    if (!result.ok) {
      const count = result.diagnostics.length;
      throw new PrismError('TEMPLATE_INVALID', `${display} has ${count} problem${count === 1 ? '' : 's'}`, {
        diagnostics: result.diagnostics,
        hint: 'fix the lines above; docs/templates.md describes every field',
      });
    }
    return result.parsed;
  }

  /** The template with its extends chain resolved. */
  resolve(slug: string): Promise<Template> {
    return this.resolveWithin(slug, []);
  }

  private resolveWithin(slug: string, stack: readonly string[]): Promise<Template> {
    if (stack.includes(slug)) {
      const cycle = [...stack.slice(stack.indexOf(slug)), slug];
      return Promise.reject(
        new PrismError('EXTENDS_CYCLE', `extends cycle: ${cycle.join(' → ')}`, {
          hint: 'a template cannot be built on itself; remove one of the extends',
        }),
      );
    }
    const cached = this.resolved.get(slug);
    if (cached) return cached;
    const pending = this.resolveUncached(slug, stack);
    this.resolved.set(slug, pending);
    return pending;
  }

  private async resolveUncached(slug: string, stack: readonly string[]): Promise<Template> {
    const ref = await this.find(slug);
    const parsed = await this.parse(ref);
    const definition = parsed.definition;
    if (definition.prism && definition.prism.inherits.length > 0) return mergeTemplate(await resolvePrismInherits(this, ref), undefined);
    if (definition.extends === undefined) return mergeTemplate(definition, undefined);

    const at = (path: (string | number)[], rule: string, message: string, fix?: string): Diagnostic => {
      const pos = locate(parsed.source, path);
      return {
        severity: 'error',
        rule,
        message,
        file: parsed.source.file,
        line: pos.line,
        column: pos.column,
        path: formatKeyPath(path),
        ...(fix ? { fix } : {}),
      };
    };
    await this.find(definition.extends, {
      file: ref.file,
      diagnostic: at(['extends'], 'extends/missing', `no template "${definition.extends}" in ${this.displayDir()}`),
    });
    let parent: Template;
    try {
      parent = await this.resolveWithin(definition.extends, [...stack, slug]);
    } catch (error) {
      if (error instanceof PrismError && error.code === 'EXTENDS_CYCLE' && error.diagnostics.length === 0) {
        throw new PrismError(error.code, error.message, {
          hint: error.hint ?? '',
          diagnostics: [at(['extends'], 'extends/cycle', error.message)],
        });
      }
      throw error;
    }

    const problems: Diagnostic[] = [];
    const extra = (definition.architectures ?? []).filter((a) => !parent.architectures.includes(a));
    if (extra.length > 0) {
      problems.push(
        at(
          ['base_ami', 'architecture'],
          'extends/architecture',
          `${extra.join(', ')} is not built by the parent "${parent.slug}" (it builds ${parent.architectures.join(', ')})`,
          "a child can only narrow its parent's architectures",
        ),
      );
    }
    const volume = definition.build.volumeSizeGb;
    if (volume !== undefined && parent.build.volumeSizeGb !== undefined && volume < parent.build.volumeSizeGb) {
      problems.push(
        at(
          ['build', 'volume_size_gb'],
          'extends/volume-size',
          `${volume} GiB is smaller than the parent's ${parent.build.volumeSizeGb} GiB; an image's disk cannot shrink`,
          `use ${parent.build.volumeSizeGb} or more, or leave it out to inherit it`,
        ),
      );
    }
    if (problems.length > 0) {
      throw new PrismError('TEMPLATE_INVALID', `${parsed.source.file} does not fit its parent "${parent.slug}"`, {
        diagnostics: problems,
      });
    }
    return mergeTemplate(definition, parent);
  }

  /** Where a duplicated slug is written (its `slug:` key, else line 1), for lint. */
  private async duplicateDiagnostic(ref: TemplateRef, slug: string, files: string[]): Promise<Diagnostic> {
    const display = this.display(ref.file);
    let line = 1;
    let column = 1;
    try {
      const parsed = await this.parse(ref);
      if (parsed.source.data && typeof parsed.source.data === 'object' && 'slug' in parsed.source.data)
        ({ line, column } = locate(parsed.source, ['slug']));
    } catch {
      // An unparsable copy is reported by its own parse errors; the duplicate is still named.
    }
    return {
      severity: 'error',
      rule: 'template/duplicate-slug',
      message: `slug "${slug}" is also the slug of ${files.filter((f) => f !== display).join(' and ')}`,
      file: display,
      line,
      column,
      path: line === 1 && column === 1 ? '' : 'slug',
      fix: 'give each template its own slug (Prism looks templates up by it)',
    };
  }

  display(file: string): string {
    const rel = relative(process.cwd(), file);
    return rel && !rel.startsWith('..') ? rel : file;
  }

  displayDir(): string {
    return `${this.display(this.dir)}/`;
  }
}

/** Reads a file, refusing more than the template size limit without reading it all. */
async function readLimited(file: string, display: string): Promise<Uint8Array> {
  const fail = (message: string, cause?: unknown): never => {
    throw new PrismError('TEMPLATE_NOT_FOUND', `${display}: ${message}`, { cause, hint: 'check the path and its permissions' });
  };
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    return fail('cannot be read', error);
  }
  if (!info.isFile()) return fail('is not a regular file');
  if (info.size > YAML_LIMITS.maxBytes) {
    throw new PrismError('TEMPLATE_INVALID', `${display} is too large`, {
      diagnostics: [
        {
          severity: 'error',
          rule: 'input/too-large',
          message: `file is ${info.size} bytes; templates are limited to ${YAML_LIMITS.maxBytes} bytes (1 MiB)`,
          file: display,
          line: 1,
          column: 1,
          path: '',
          fix: 'move large scripts into files the setup downloads or copies, or split the template',
        },
      ],
    });
  }
  const limit = YAML_LIMITS.maxBytes + 1;
  const handle = await open(file, 'r').catch((error: unknown) => fail('cannot be opened', error));
  try {
    const buffer = Buffer.alloc(Math.min(limit, Math.max(info.size, 0) + 1));
    let total = 0;
    while (total < buffer.length) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return buffer.subarray(0, total);
  } finally {
    await handle.close();
  }
}

export interface LoadTemplateOptions {
  /** The templates folder for slugs; defaults to ./templates. */
  templatesDir?: string;
}

/** Loads a template by slug (from the templates folder) or by path, with extends resolved. */
export async function loadTemplate(ref: string, options: LoadTemplateOptions = {}): Promise<Template> {
  const { library, slug } = libraryFor(ref, options.templatesDir);
  return library.resolve(slug);
}

/** The library a reference belongs to: a path's own folder, or the templates folder. */
export function libraryFor(ref: string, templatesDir = 'templates'): { library: TemplateLibrary; slug: string } {
  if (isTemplatePath(ref)) {
    const file = resolvePath(ref);
    // A file inside the templates folder (a subfolder, as Prism keeps them) belongs to it, so its
    // parents are found anywhere in it; the file itself is named by its path.
    const root = resolvePath(templatesDir);
    const inside = relative(root, file);
    if (inside && !inside.startsWith('..') && !isAbsolute(inside)) return { library: new TemplateLibrary(root), slug: file };
    return { library: new TemplateLibrary(dirname(file)), slug: file };
  }
  return { library: new TemplateLibrary(templatesDir), slug: ref };
}
