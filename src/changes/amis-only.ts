import { stableJson } from '../template/fingerprint.js';
import { parseYamlSource } from '../template/yaml-source.js';

/**
 * True when two versions of a template file differ only in their top-level `amis:` block (what
 * `prism ami update-templates` writes), so the change needs no build. Pure. Anything that does
 * not parse as a mapping, or any other difference (comments included), is a real change.
 */
export function onlyAmisChanged(before: string, after: string): boolean {
  const a = mapping(before);
  const b = mapping(after);
  if (!a || !b) return false;
  const { amis: amisA, ...restA } = a;
  const { amis: amisB, ...restB } = b;
  if (stableJson(amisA ?? null) === stableJson(amisB ?? null)) return false;
  return stableJson(restA) === stableJson(restB) && withoutAmisText(before) === withoutAmisText(after);
}

function mapping(text: string): Record<string, unknown> | undefined {
  const parsed = parseYamlSource(text, 'template.yml');
  if (!parsed.ok) return undefined;
  const data = parsed.source.data;
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
}

/**
 * The text with the top-level `amis:` block cut out, so a comment edited elsewhere still counts
 * as a change. The block is the `amis:` line and the lines after it that are indented, blank or
 * comments, up to the next top-level key.
 */
function withoutAmisText(text: string): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let inAmis = false;
  for (const line of lines) {
    if (/^amis\s*:/.test(line)) {
      inAmis = true;
      continue;
    }
    if (inAmis && (line === '' || /^[\s#]/.test(line))) continue;
    inAmis = false;
    out.push(line);
  }
  return out.join('\n').trimEnd();
}
