import type { Diagnostic } from '../../core/diagnostic.js';
import { PrismError } from '../../core/errors.js';
import { isRegionName, type Architecture } from '../../core/types.js';
import { AMI_ID_PATTERN } from '../../core/ids.js';
import { SLUG_PATTERN } from '../../template/schema.js';
import { locateJson } from '../locate-json.js';
import { findGoAmiMaps, type LegacyValue, type RawRegionMap } from './go-map.js';
import { GoSyntaxError } from './go-tokens.js';

/** `{region: {arch: ami}}` */
export type AmiMap = Record<string, Partial<Record<Architecture, string>>>;

/** The hard-coded AMI IDs of one file, by template. */
export interface LegacyMap {
  /** yaml: a Prism template's ami_config.amis. */
  format: 'json' | 'go' | 'yaml';
  templates: Record<string, AmiMap>;
}

/** Architecture names older code used. */
const ARCH_NAMES: Readonly<Record<string, Architecture>> = { x86_64: 'x86_64', arm64: 'arm64', amd64: 'x86_64', aarch64: 'arm64' };

/**
 * Reads a hard-coded AMI map (docs/registry.md lists the shapes):
 * - JSON `{template: {region: {arch: ami}}}`, or `{region: {arch: ami}}` for one template
 *   (named with `template`); keys starting with `$` are comments;
 * - Go source with `map[string]map[string]string{"region": {"arch": "ami"}}` literals (the seed's
 *   `AMI:` field), each belonging to the template whose literal key encloses it, or to `template`;
 *   and `map[string]map[string]map[string]string` literals keyed by template.
 * With `template`, only that template is taken from a file that holds several.
 */
export function parseLegacyMap(text: string, file: string, options: { template?: string } = {}): LegacyMap {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  const format = trimmed.startsWith('{') ? 'json' : 'go';
  const problems: Diagnostic[] = [];
  const problem = (line: number, path: string, message: string) =>
    problems.push({ severity: 'error', rule: 'legacy-map', message, file, line, column: 1, path });
  const groups = format === 'json' ? jsonGroups(trimmed, file, problem) : goGroups(text, file);

  const templates: Record<string, AmiMap> = {};
  for (const group of groups) {
    const template = group.template ?? options.template;
    if (template === undefined) {
      throw new PrismError('USAGE', `${file}${group.line ? `:${group.line}` : ''}: this map does not say which template it belongs to`, {
        hint: 'name the template with --template <slug>',
      });
    }
    if (options.template !== undefined && template !== options.template) continue;
    if (!SLUG_PATTERN.test(template)) problem(group.line, template, `"${template}" is not a template slug`);
    const out = (templates[template] ??= {});
    for (const [region, arches] of Object.entries(group.regions)) {
      if (!isRegionName(region))
        problem(arches[Object.keys(arches)[0] ?? '']?.line ?? group.line, `${template}.${region}`, `"${region}" is not a region name`);
      for (const [archName, { value, line }] of Object.entries(arches)) {
        const path = `${template}.${region}.${archName}`;
        const arch = ARCH_NAMES[archName];
        if (!arch) problem(line, path, `"${archName}" is not an architecture; use x86_64 or arm64`);
        else if (!AMI_ID_PATTERN.test(value)) problem(line, path, `"${value}" is not an AMI ID`);
        else if (out[region]?.[arch] !== undefined && out[region][arch] !== value)
          problem(line, path, `${out[region][arch]} and ${value} are both given`);
        else (out[region] ??= {})[arch] = value;
      }
    }
  }
  if (problems.length > 0) {
    throw new PrismError('USAGE', `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, {
      diagnostics: problems,
      hint: 'docs/registry.md lists the shapes import-legacy reads',
    });
  }
  for (const [template, map] of Object.entries(templates)) if (Object.keys(map).length === 0) delete templates[template];
  if (Object.keys(templates).length === 0) {
    throw new PrismError('USAGE', `${file} holds no AMI IDs${options.template ? ` for template "${options.template}"` : ''}`, {
      hint: 'docs/registry.md lists the shapes import-legacy reads',
    });
  }
  return { format, templates };
}

interface Group {
  template?: string;
  line: number;
  regions: RawRegionMap;
}

function jsonGroups(text: string, file: string, problem: (line: number, path: string, message: string) => void): Group[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PrismError('USAGE', `${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'docs/registry.md lists the shapes import-legacy reads',
    });
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(data))
    throw new PrismError('USAGE', `${file} is not a JSON object of AMI IDs`, {
      hint: 'docs/registry.md lists the shapes import-legacy reads',
    });
  const keys = Object.keys(data).filter((k) => !k.startsWith('$'));
  const regionMap = (value: unknown, path: string[]): RawRegionMap => {
    const out: RawRegionMap = {};
    if (!isObject(value)) {
      problem(locateJson(text, path).line, path.join('.'), 'must be an object of regions');
      return out;
    }
    for (const [region, arches] of Object.entries(value)) {
      if (!isObject(arches)) {
        problem(locateJson(text, [...path, region]).line, [...path, region].join('.'), 'must be an object of architectures');
        continue;
      }
      out[region] = {};
      for (const [arch, ami] of Object.entries(arches)) {
        const at = [...path, region, arch];
        const entry: LegacyValue = { value: typeof ami === 'string' ? ami : JSON.stringify(ami), line: locateJson(text, at).line };
        out[region][arch] = entry;
      }
    }
    return out;
  };
  if (keys.length > 0 && keys.every(isRegionName)) {
    return [{ line: 1, regions: regionMap(Object.fromEntries(keys.map((k) => [k, data[k]])), []) }];
  }
  return keys.map((template) => ({ template, line: locateJson(text, [template]).line, regions: regionMap(data[template], [template]) }));
}

function goGroups(text: string, file: string): Group[] {
  try {
    const maps = findGoAmiMaps(text);
    if (maps.length === 0) {
      throw new PrismError('USAGE', `${file} holds no JSON object and no Go map[string]map[string]string literal`, {
        hint: 'docs/registry.md lists the shapes import-legacy reads',
      });
    }
    return maps;
  } catch (error) {
    if (error instanceof GoSyntaxError) {
      throw new PrismError('USAGE', `${file}:${error.line}: cannot read the Go map: ${error.message}`, {
        hint: 'import-legacy reads map literals of string constants only',
      });
    }
    throw error;
  }
}
