import { ARCHITECTURES, type Architecture } from '../core/types.js';
import type { Matrix, SelectedTemplate, TemplateNode } from './model.js';

/**
 * The build matrix: one entry per selected template and architecture it builds (every
 * architecture when it does not resolve, so each build reports the template's errors), limited
 * to `only` when given. Pure; regions are not a dimension: a build reaches them by copies.
 */
export function buildMatrix(selected: readonly SelectedTemplate[], nodes: readonly TemplateNode[], only?: readonly Architecture[]): Matrix {
  const bySlug = new Map(nodes.map((n) => [n.slug, n]));
  const include = selected.flatMap(({ template }) => {
    const architectures = bySlug.get(template)?.architectures ?? ARCHITECTURES;
    return architectures.filter((a) => !only || only.includes(a)).map((architecture) => ({ template, architecture }));
  });
  return { include };
}
