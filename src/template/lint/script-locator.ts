import { isScalar, Scalar } from 'yaml';
import { locate, nodeAt, type KeyPath, type Position, type YamlSource } from '../yaml-source.js';

/**
 * Maps a position inside a script to the template file. Exact for literal block scalars
 * (`setup_script: |`), the usual form; other styles map to the scalar's first line.
 */
export function scriptLocator(source: YamlSource, path: KeyPath): (line: number, column: number) => Position {
  const start = locate(source, path);
  const node = nodeAt(source, path);
  if (!isScalar(node) || node.type !== Scalar.BLOCK_LITERAL || !node.range) return () => start;
  const header = source.lineCounter.linePos(node.range[0]);
  const lines = source.text.split('\n');
  let indent = 0;
  for (let i = header.line; i < lines.length; i++) {
    const text = lines[i];
    if (text.trim() === '') continue;
    indent = text.length - text.trimStart().length;
    break;
  }
  return (line, column) => ({ line: header.line + line, column: indent + column });
}
