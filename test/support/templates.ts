import { mergeTemplate } from '../../src/template/merge.js';
import type { Template } from '../../src/template/model.js';
import { parseTemplate } from '../../src/template/parse-template.js';

/**
 * A resolved Template from a small YAML text, through the real parser and extends merge, so
 * tests build templates the way the tool does (defaults included).
 */
export function templateFromYaml(yaml: string, slug = 'demo', parent?: Template): Template {
  const result = parseTemplate(yaml, `${slug}.yml`, slug);
  if (!result.ok) {
    throw new Error(
      `invalid test template ${slug}:\n${result.diagnostics.map((d) => `${d.line}:${d.column} [${d.rule}] ${d.message}`).join('\n')}`,
    );
  }
  return mergeTemplate(result.parsed.definition, parent);
}
