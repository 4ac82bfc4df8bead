import { isMap, isScalar, parseDocument } from 'yaml';
import { PrismError } from '../core/errors.js';
import { ARCHITECTURES, type Architecture } from '../core/types.js';

export type AmiMap = Record<string, Partial<Record<Architecture, string>>>;

/** The comment put above an `amis:` block that update-templates appends. */
export const APPENDED_COMMENT = '# Current images from the registry; written by `prism ami update-templates`, do not edit.';

/**
 * A template file's text with its top-level `amis:` block replaced by `map` (or appended at the
 * end when there is none). Only the lines of that block change: comments, key order, quoting
 * and blank lines elsewhere stay byte for byte. The yaml parser finds the key; the block is the
 * key's line and the lines after it that are blank or indented deeper, without trailing blank
 * lines (a comment at the key's own indentation belongs to what follows).
 */
export function writeAmisBlock(text: string, map: AmiMap, file = 'template'): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = bom ? text.slice(1) : text;
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const doc = parseDocument(body);
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new PrismError('TEMPLATE_INVALID', `${file} is not a YAML mapping; cannot write its amis block`, {
      hint: 'prism ami lint shows the problem',
    });
  }
  const indent = indentUnit(body);
  const pair = doc.contents.items.find((item) => isScalar(item.key) && item.key.value === 'amis');
  if (!pair) {
    if (Object.keys(map).length === 0) return text;
    const sep = body === '' || body.endsWith('\n') ? '' : eol;
    return `${bom}${body}${sep}${APPENDED_COMMENT}${eol}${renderAmisBlock(map, indent, eol)}`;
  }
  const keyStart = (pair.key as { range?: [number, number, number] }).range![0];
  const lineStart = body.lastIndexOf('\n', keyStart - 1) + 1;
  if (body.slice(lineStart, keyStart).trim() !== '') {
    throw new PrismError('TEMPLATE_INVALID', `${file}: amis is not a block-style key on its own line; cannot rewrite it safely`, {
      hint: 'write the template in block style (one key per line), or edit the amis map by hand',
    });
  }
  const keyIndent = keyStart - lineStart;
  const end = blockEnd(body, lineStart, keyIndent);
  const valueEnd = (pair.value as { range?: [number, number, number] } | null)?.range?.[1] ?? keyStart;
  if (end < valueEnd) throw new PrismError('INTERNAL', `${file}: could not find the end of the amis block`);
  const block = renderAmisBlock(map, indent, eol, ' '.repeat(keyIndent));
  return `${bom}${body.slice(0, lineStart)}${block}${body.slice(end)}`;
}

/** `amis:` and the map, regions sorted, x86_64 before arm64, each line ending in `eol`. */
export function renderAmisBlock(map: AmiMap, indent = 2, eol = '\n', base = ''): string {
  const regions = Object.keys(map)
    .filter((r) => Object.keys(map[r] ?? {}).length > 0)
    .sort();
  if (regions.length === 0) return `${base}amis: {}${eol}`;
  const pad = (n: number) => base + ' '.repeat(indent * n);
  const lines = [`${base}amis:`];
  for (const region of regions) {
    lines.push(`${pad(1)}${region}:`);
    for (const arch of ARCHITECTURES) {
      const ami = map[region]?.[arch];
      if (ami) lines.push(`${pad(2)}${arch}: ${ami}`);
    }
  }
  return lines.join(eol) + eol;
}

/** The offset just after the last line of the block that starts at `lineStart`. */
function blockEnd(body: string, lineStart: number, keyIndent: number): number {
  let cursor = body.indexOf('\n', lineStart);
  if (cursor === -1) return body.length;
  cursor++;
  let end = cursor;
  while (cursor < body.length) {
    const next = body.indexOf('\n', cursor);
    const lineEnd = next === -1 ? body.length : next + 1;
    const line = body.slice(cursor, lineEnd).replace(/\r?\n$/, '');
    if (line.trim() === '') {
      cursor = lineEnd;
      continue;
    }
    const lineIndent = line.length - line.trimStart().length;
    if (lineIndent <= keyIndent) break;
    cursor = lineEnd;
    end = lineEnd;
  }
  return end;
}

/** The file's indentation step: the smallest indentation of a mapping key line (default 2). */
function indentUnit(body: string): number {
  let unit = Infinity;
  for (const line of body.split('\n')) {
    const match = /^( +)[^\s#-][^:]*:(\s|$)/.exec(line);
    if (match) unit = Math.min(unit, match[1].length);
  }
  return unit >= 1 && unit <= 8 ? unit : 2;
}
