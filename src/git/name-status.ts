/** One line of `git diff --name-status`: what happened to which path. */
export type DiffEntry =
  | { status: 'added' | 'modified' | 'deleted' | 'type-changed'; path: string }
  | { status: 'renamed' | 'copied'; from: string; path: string };

const SIMPLE = { A: 'added', M: 'modified', D: 'deleted', T: 'type-changed' } as const;

/**
 * Parses `git diff --name-status -z` output: `STATUS\0path\0`, or `R<score>\0old\0new\0` for a
 * rename (C for a copy). With -z, paths are raw: no quoting, any byte but NUL allowed.
 */
export function parseNameStatus(output: string): DiffEntry[] {
  const fields = output.split('\0');
  if (fields.at(-1) === '') fields.pop();
  const entries: DiffEntry[] = [];
  for (let i = 0; i < fields.length;) {
    const status = fields[i++];
    const kind = status[0];
    if (kind === 'R' || kind === 'C') {
      const from = fields[i++];
      const to = fields[i++];
      if (from === undefined || to === undefined) throw new Error(`truncated git diff output after "${status}"`);
      entries.push({ status: kind === 'R' ? 'renamed' : 'copied', from, path: to });
      continue;
    }
    const path = fields[i++];
    if (path === undefined) throw new Error(`truncated git diff output after "${status}"`);
    // U (unmerged) and X (unknown) never appear between two commits; anything else is a change.
    entries.push({ status: kind && kind in SIMPLE ? SIMPLE[kind as keyof typeof SIMPLE] : 'modified', path });
  }
  return entries;
}
