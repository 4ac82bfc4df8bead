import type { HistoryEntry, RegistryDocument, Slot } from './model.js';
import { history } from './queries.js';
import { templateSlots } from './slots.js';

export interface LineageMember extends Slot {
  amiId: string;
  entry: HistoryEntry;
}

/**
 * The images of one build: the image itself and every region copy made from it, in any region,
 * found through the build ID they share and the copies' `source_ami` (which names the image they
 * were copied from), in both directions and transitively. Pure.
 */
export function lineageOf(doc: RegistryDocument, template: string, amiId: string): LineageMember[] {
  const all: LineageMember[] = templateSlots(doc, template).flatMap((slot) =>
    history(doc, slot).map((entry) => ({ ...slot, amiId: entry.ami_id, entry })),
  );
  const members = new Map<string, LineageMember>();
  const buildIds = new Set<string>();
  const add = (m: LineageMember) => {
    members.set(`${m.region}/${m.architecture}/${m.amiId}`, m);
    if (m.entry.build_id) buildIds.add(m.entry.build_id);
  };
  for (const m of all) if (m.amiId === amiId) add(m);
  for (let grew = members.size > 0; grew;) {
    grew = false;
    const ids = new Set([...members.values()].map((m) => m.amiId));
    for (const m of all) {
      if (members.has(`${m.region}/${m.architecture}/${m.amiId}`)) continue;
      const related =
        (m.entry.build_id !== undefined && buildIds.has(m.entry.build_id)) ||
        (m.entry.source_ami !== undefined && ids.has(m.entry.source_ami)) ||
        [...members.values()].some((x) => x.entry.source_ami === m.amiId);
      if (related) {
        add(m);
        grew = true;
      }
    }
  }
  return [...members.values()].sort((a, b) => a.region.localeCompare(b.region) || a.architecture.localeCompare(b.architecture));
}
