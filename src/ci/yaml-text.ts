/* Small helpers for writing YAML by hand: the workflow is generated as text, comments and all. */

/** `'text'`: a YAML single-quoted scalar (safe for any one-line text). */
export function q(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Indents every non-empty line of a block by `n` spaces. */
export function indent(block: string, n: number): string {
  const pad = ' '.repeat(n);
  return block
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** A `run: |` block with the script indented under it. */
export function run(script: string): string {
  // The `run:` key sits two spaces into its step; the script goes two further.
  return `run: |\n${indent(script.trim(), 4)}`;
}
