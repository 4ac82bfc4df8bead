/** A small Go lexer: enough of Go to read composite literals of string maps. */

export type GoToken =
  | { kind: 'string'; value: string; line: number }
  | { kind: 'ident'; value: string; line: number }
  | { kind: 'punct'; value: string; line: number }
  | { kind: 'other'; value: string; line: number };

export class GoSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };

export function goTokens(text: string): GoToken[] {
  const tokens: GoToken[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new GoSyntaxError('unterminated /* comment', line);
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      i = end + 2;
    } else if (c === '"') {
      const start = line;
      let value = '';
      i++;
      for (;;) {
        const ch = text[i];
        if (ch === undefined || ch === '\n') throw new GoSyntaxError('unterminated string', start);
        i++;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = text[i++] ?? '';
          value += ESCAPES[next] ?? next;
        } else {
          value += ch;
        }
      }
      tokens.push({ kind: 'string', value, line: start });
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end === -1) throw new GoSyntaxError('unterminated raw string', line);
      const value = text.slice(i + 1, end);
      tokens.push({ kind: 'string', value, line });
      line += value.split('\n').length - 1;
      i = end + 1;
    } else if (c === "'") {
      // A rune literal such as '{' must not count as a brace.
      let k = i + 1;
      while (k < text.length && text[k] !== "'" && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
      if (text[k] !== "'") throw new GoSyntaxError('unterminated rune literal', line);
      tokens.push({ kind: 'other', value: text.slice(i, k + 1), line });
      i = k + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256))!;
      tokens.push({ kind: 'ident', value: match[0], line });
      i += match[0].length;
    } else if ('{}[]():,=.&*;'.includes(c)) {
      tokens.push({ kind: 'punct', value: c, line });
      i++;
    } else {
      const match = /^[^\s{}[\]():,=.&*;"`/]+|^\//.exec(text.slice(i, i + 256))!;
      tokens.push({ kind: 'other', value: match[0], line });
      i += match[0].length;
    }
  }
  return tokens;
}
