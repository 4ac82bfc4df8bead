import { readFile, stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../core/atomic-file.js';
import { PrismError } from '../core/errors.js';
import { ARCHITECTURES } from '../core/types.js';
import { writeAmisBlock, type AmiMap } from '../registry/amis-block.js';
import { generateCode, type CodeFormat } from '../registry/codegen.js';
import type { RegistryDocument } from '../registry/model.js';
import { currentMap } from '../registry/queries.js';
import { libraryFor, TemplateLibrary, type TemplateRef } from '../template/library.js';
import { parseTemplate } from '../template/parse-template.js';
import type { SettingsInput } from '../config/settings.js';
import { registrySession } from './registry-session.js';

export interface UpdateTemplatesOptions extends SettingsInput {
  /** Slugs or paths; none: every template of the templates folder (for --format: of the registry). */
  templates: string[];
  /** Write nothing; report what is out of date. */
  check?: boolean;
  /** Empty the amis: block of a template the registry has no images of (refused otherwise). */
  prune?: boolean;
  /** Write the map as code instead of into the templates. */
  format?: CodeFormat;
  /** Where the code goes; undefined: returned for stdout. */
  out?: string;
  goPackage?: string;
  /** What keys the generated map: the slug (default), or the template's name (Prism's TemplateResolver). */
  key?: 'slug' | 'name';
}

export type TemplateStatus = 'updated' | 'up-to-date' | 'out-of-date' | 'skipped';

export interface TemplateUpdate {
  template: string;
  file: string;
  status: TemplateStatus;
  reason?: string;
  amis: AmiMap;
  /** `r-research.us-east-1.x86_64 = ami-…`, as the seed prints them. */
  lines: string[];
}

export interface GeneratedCode {
  format: CodeFormat;
  file?: string;
  status: 'written' | 'up-to-date' | 'out-of-date' | 'printed';
  content: string;
}

export interface UpdateTemplatesReport {
  registry: string;
  templates: TemplateUpdate[];
  generated?: GeneratedCode;
  /** Templates (or the generated file) that are out of date: with --check, a failure. */
  outOfDate: number;
}

/**
 * `prism ami update-templates`: writes each template's current images from the registry into its
 * `amis:` block (only that block changes), or with --format the whole map as code.
 */
export async function updateTemplates(options: UpdateTemplatesOptions): Promise<UpdateTemplatesReport> {
  return registrySession(options, async ({ settings, store, doc, known }) => {
    if (options.format) {
      const generated = await writeCode(doc, { ...options, templatesDir: settings.templatesDir }, known);
      return { registry: store.location, templates: [], generated, outOfDate: generated.status === 'out-of-date' ? 1 : 0 };
    }
    const refs = await templateRefs(options.templates, settings.templatesDir);
    if (!options.prune) await refuseBlanking(refs, doc, store.location);
    const templates: TemplateUpdate[] = [];
    for (const { library, ref } of refs) templates.push(await updateOne(library, ref, doc, options.check ?? false));
    return { registry: store.location, templates, outOfDate: templates.filter((t) => t.status === 'out-of-date').length };
  });
}

async function templateRefs(names: string[], templatesDir: string): Promise<{ library: TemplateLibrary; ref: TemplateRef }[]> {
  if (names.length === 0) {
    const library = new TemplateLibrary(templatesDir);
    return (await library.list()).map((ref) => ({ library, ref }));
  }
  const out: { library: TemplateLibrary; ref: TemplateRef }[] = [];
  for (const name of names) {
    const { library, slug } = libraryFor(name, templatesDir);
    out.push({ library, ref: await library.find(slug) });
  }
  return out;
}

/**
 * A template whose amis: block lists images, and of which the registry has none, is almost always
 * a sign of the wrong registry (--registry, PRISM_AMI_REGISTRY, registry in the config): emptying
 * its block would lose the IDs. Refused, for every template at once, before anything is written.
 */
async function refuseBlanking(
  refs: { library: TemplateLibrary; ref: TemplateRef }[],
  doc: RegistryDocument,
  location: string,
): Promise<void> {
  const blanked: string[] = [];
  for (const { library, ref } of refs) {
    const { definition } = await library.parse(ref);
    if (Object.keys(canonical(definition.amis)).length > 0 && canonical(currentMap(doc, ref.slug)).length === 0)
      blanked.push(library.display(ref.file));
  }
  if (blanked.length === 0) return;
  throw new PrismError(
    'USAGE',
    `${location} has no current images of ${blanked.length === 1 ? 'the template' : 'the templates'} in ${blanked.join(', ')}, whose amis: block lists some; nothing was written`,
    {
      hint: 'check which registry this is (--registry, then PRISM_AMI_REGISTRY, then registry in the config); pass --prune to empty the block anyway',
    },
  );
}

async function updateOne(library: TemplateLibrary, ref: TemplateRef, doc: RegistryDocument, check: boolean): Promise<TemplateUpdate> {
  const parsed = await library.parse(ref);
  const file = library.display(ref.file);
  const amis = currentMap(doc, ref.slug);
  const base = { template: ref.slug, file, amis, lines: amiLines(ref.slug, amis) };
  if (parsed.definition.format === 'legacy') {
    return {
      ...base,
      status: 'skipped',
      reason: 'legacy-format templates have no amis field; convert it to the prism-ami format (prism ami show prints it)',
    };
  }
  if (parsed.definition.format === 'prism' && parsed.definition.amis && Object.keys(parsed.definition.amis).length === 0) {
    return {
      ...base,
      status: 'skipped',
      reason:
        "Prism's launcher does not read an amis: block; publish with publish-ssm --layout prism, or generate its map with --format go --key name (or convert the template)",
    };
  }
  if (isDeepStrictEqual(canonical(parsed.definition.amis), canonical(amis))) return { ...base, status: 'up-to-date' };
  if (check) return { ...base, status: 'out-of-date' };
  const text = await readFile(ref.file, 'utf8');
  const next = writeAmisBlock(text, amis, file);
  verifyRewrite(text, next, file, ref.slug, amis);
  const mode = (await stat(ref.file)).mode & 0o7777;
  await writeFileAtomic(ref.file, next, mode);
  return { ...base, status: 'updated' };
}

/** The rewritten file must be a valid template equal to the old one except for `amis`. */
function verifyRewrite(before: string, after: string, file: string, slug: string, amis: AmiMap): void {
  const result = parseTemplate(after, file, slug);
  const strip = (text: string) => {
    const data = { ...(parseYaml(text.replace(/^\uFEFF/, '')) as Record<string, unknown>) };
    delete data.amis;
    return data;
  };
  if (
    !result.ok ||
    !isDeepStrictEqual(canonical(result.parsed.definition.amis), canonical(amis)) ||
    !isDeepStrictEqual(strip(before), strip(after))
  ) {
    throw new PrismError('INTERNAL', `rewriting the amis block of ${file} would change more than the block; the file was not written`, {
      hint: 'edit the amis block by hand, and report this with the template attached',
    });
  }
}

/** Regions sorted, architectures in order, empty regions dropped: for comparing maps. */
function canonical(map: AmiMap): [string, [string, string][]][] {
  return Object.keys(map)
    .sort()
    .map(
      (region) =>
        [region, ARCHITECTURES.flatMap((a) => (map[region]?.[a] ? [[a, map[region][a]] as [string, string]] : []))] as [
          string,
          [string, string][],
        ],
    )
    .filter(([, arches]) => arches.length > 0);
}

export function amiLines(slug: string, amis: AmiMap): string[] {
  return canonical(amis).flatMap(([region, arches]) => arches.map(([arch, ami]) => `${slug}.${region}.${arch} = ${ami}`));
}

async function writeCode(
  doc: RegistryDocument,
  options: UpdateTemplatesOptions,
  known: (name: string) => Promise<string>,
): Promise<GeneratedCode> {
  const format = options.format!;
  const slugs: string[] = [];
  for (const name of options.templates) slugs.push(await known(name));
  const chosen = slugs.length > 0 ? slugs : Object.keys(doc.templates);
  const keyOf = options.key === 'name' ? await templateNames(options.templatesDir ?? 'templates', chosen) : (slug: string) => slug;
  const maps: Record<string, AmiMap> = {};
  for (const slug of chosen) {
    const map = currentMap(doc, slug);
    if (Object.keys(map).length === 0 && slugs.length === 0) continue;
    const key = keyOf(slug);
    if (maps[key])
      throw new PrismError('USAGE', `two templates are named "${key}"`, { hint: 'give each template its own name, or use --key slug' });
    maps[key] = map;
  }
  const content = generateCode(format, maps, options.goPackage ? { goPackage: options.goPackage } : {});
  if (options.out === undefined) return { format, status: 'printed', content };
  const existing = await readFile(options.out, 'utf8').catch(() => undefined);
  if (existing === content) return { format, file: options.out, status: 'up-to-date', content };
  if (options.check) return { format, file: options.out, status: 'out-of-date', content };
  try {
    await writeFileAtomic(options.out, content);
  } catch (error) {
    throw new PrismError('USAGE', `cannot write ${options.out}: ${(error as Error).message}`, {
      hint: 'check that its folder exists and is writable',
      cause: error,
    });
  }
  return { format, file: options.out, status: 'written', content };
}

/**
 * slug → `name:` of the templates folder's templates, for `--key name`: Prism's TemplateResolver
 * looks pre-built AMIs up by template name (`AMIRegistry[template.Name]`).
 */
async function templateNames(templatesDir: string, slugs: readonly string[]): Promise<(slug: string) => string> {
  const refs = await new TemplateLibrary(templatesDir).list().catch(() => [] as TemplateRef[]);
  const names = new Map(refs.flatMap((r) => (r.name ? [[r.slug, r.name] as const] : [])));
  const missing = slugs.filter((s) => !names.has(s));
  if (missing.length > 0) {
    throw new PrismError(
      'USAGE',
      `--key name needs each template's name, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${templatesDir}/`,
      {
        hint: 'pass --templates-dir for the folder that holds them, or use --key slug',
      },
    );
  }
  return (slug) => names.get(slug)!;
}
