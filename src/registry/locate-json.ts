import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * The line and column of a key path in a JSON text, for error messages. JSON is YAML, so the
 * yaml parser (which keeps positions) finds it; the start of the file when it cannot.
 */
export function locateJson(text: string, path: readonly (string | number)[]): { line: number; column: number } {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
    let node: unknown = doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
        if (!pair) break;
        node = pair.value;
        offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof part === 'number' && node.items[part] !== undefined) {
        node = node.items[part];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  } catch {
    return { line: 1, column: 1 };
  }
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}
