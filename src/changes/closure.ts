import type { Reason, SelectedTemplate, TemplateNode } from './model.js';

/**
 * Adds to the directly changed templates every template that extends (or, in Prism's format,
 * inherits) one of them, directly or not, and every template whose parent was removed. Pure. The result is ordered parents first,
 * then by slug.
 */
export function withDescendants(
  direct: ReadonlyMap<string, Reason[]>,
  nodes: readonly TemplateNode[],
  removed: readonly string[] = [],
): SelectedTemplate[] {
  const bySlug = new Map(nodes.map((n) => [n.slug, n]));
  const children = new Map<string, string[]>();
  const heirs = new Map<string, string[]>();
  for (const node of nodes) {
    for (const parent of node.inherits ?? []) if (parent !== node.slug) heirs.set(parent, [...(heirs.get(parent) ?? []), node.slug]);
    if (node.parent === undefined || node.parent === node.slug) continue;
    children.set(node.parent, [...(children.get(node.parent) ?? []), node.slug]);
  }
  const reasons = new Map<string, Reason[]>();
  const add = (slug: string, reason: Reason): boolean => {
    const known = reasons.get(slug);
    if (known) {
      if (!known.some((r) => sameReason(r, reason))) known.push(reason);
      return false;
    }
    reasons.set(slug, [reason]);
    return true;
  };

  const queue: string[] = [];
  for (const [slug, why] of direct) {
    if (!bySlug.has(slug)) continue;
    for (const reason of why) add(slug, reason);
    queue.push(slug);
  }
  for (const parent of removed) {
    for (const child of children.get(parent) ?? []) if (add(child, { kind: 'parent-removed', parent })) queue.push(child);
  }
  // Breadth first; `reasons` doubles as the visited set, so a cycle in extends ends.
  for (let i = 0; i < queue.length; i++) {
    const parent = queue[i];
    for (const child of children.get(parent) ?? []) if (add(child, { kind: 'extends', parent })) queue.push(child);
    for (const heir of heirs.get(parent) ?? []) if (add(heir, { kind: 'inherits', parent })) queue.push(heir);
  }

  return [...reasons.keys()]
    .sort((a, b) => chainDepth(a, bySlug) - chainDepth(b, bySlug) || a.localeCompare(b))
    .map((template) => {
      const problem = bySlug.get(template)?.problem;
      return { template, reasons: reasons.get(template)!, ...(problem !== undefined ? { problem } : {}) };
    });
}

/** How many templates are above this one in its extends chain (a cycle counts once round). */
export function chainDepth(slug: string, bySlug: ReadonlyMap<string, TemplateNode>): number {
  const seen = new Set<string>([slug]);
  let depth = 0;
  for (let parent = bySlug.get(slug)?.parent; parent !== undefined && !seen.has(parent); parent = bySlug.get(parent)?.parent) {
    seen.add(parent);
    depth++;
  }
  return depth;
}

function sameReason(a: Reason, b: Reason): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
