import { Composer, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, type CST, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../core/diagnostic.js';

/** Limits that keep hostile input from crashing or hanging the tool. */
export const YAML_LIMITS = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxAliasCount: 100,
} as const;

/** A parsed YAML file that still knows where every node came from. */
export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The document as plain data. */
  data: unknown;
}

export interface Position {
  line: number;
  column: number;
}

export type KeyPath = readonly (string | number)[];

export type YamlParseResult = { ok: true; source: YamlSource } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Parses one YAML document from bytes or text, refusing what a template file never is: more than
 * 1 MiB, not UTF-8, several documents, alias bombs, nesting deeper than 64 levels. Never throws
 * for bad input: every problem comes back as a located diagnostic.
 */
export function parseYamlSource(input: string | Uint8Array, file: string): YamlParseResult {
  const fail = (rule: string, message: string, line = 1, column = 1, fix?: string): YamlParseResult => ({
    ok: false,
    diagnostics: [{ severity: 'error', rule, message, file, line, column, path: '', ...(fix ? { fix } : {}) }],
  });

  const byteLength = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (byteLength > YAML_LIMITS.maxBytes) {
    return fail(
      'input/too-large',
      `file is ${byteLength} bytes; templates are limited to ${YAML_LIMITS.maxBytes} bytes (1 MiB)`,
      1,
      1,
      'move large scripts into files the setup downloads or copies, or split the template',
    );
  }

  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const bad = firstInvalidUtf8Byte(input);
    if (bad !== -1) {
      const line = countNewlines(input, bad) + 1;
      return fail(
        'input/encoding',
        `not valid UTF-8 (byte 0x${input[bad].toString(16).padStart(2, '0')} at offset ${bad})`,
        line,
        1,
        'save the file as UTF-8',
      );
    }
    text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lineCounter = new LineCounter();
  const tooDeep = flowDepthExceeded(text);
  if (tooDeep !== -1) {
    const pos = offsetToPosition(text, tooDeep);
    return fail('input/too-deep', `nesting deeper than ${YAML_LIMITS.maxDepth} levels`, pos.line, pos.column);
  }

  // Parse to the concrete syntax tree first (iterative), and refuse deep block nesting
  // (`- - - - …` nests two bytes a level) before the recursive composer sees it.
  const cst = parseCst(text, lineCounter);
  const deepToken = 'tooDeepAt' in cst ? cst.tooDeepAt : cstDepthExceeded(cst.tokens);
  if (deepToken !== -1 || !('tokens' in cst)) {
    const pos = lineCounter.linePos(deepToken);
    return fail('input/too-deep', `nesting deeper than ${YAML_LIMITS.maxDepth} levels`, pos.line, pos.col);
  }
  const docs: Document.Parsed[] = Array.from(new Composer({ uniqueKeys: true, prettyErrors: false, strict: true }).compose(cst.tokens));
  if (docs.length === 0) {
    return fail('input/empty', 'the file is empty', 1, 1, 'start from a bundled template, e.g. templates/basic-ubuntu.yml');
  }
  if (docs.length > 1) {
    const second = docs[1];
    const pos = lineCounter.linePos(second.range[0]);
    return fail(
      'input/multi-document',
      `holds ${docs.length} YAML documents; a template file holds exactly one`,
      pos.line,
      pos.col,
      'put each template in its own file, or remove the extra `---` separator',
    );
  }
  const doc = docs[0];
  const problems = [...doc.errors];
  if (problems.length > 0) {
    return {
      ok: false,
      diagnostics: problems.map((problem) => {
        const pos = lineCounter.linePos(problem.pos[0]);
        return {
          severity: 'error' as const,
          rule: 'yaml/syntax',
          message: yamlMessage(problem.code, problem.message),
          file,
          line: pos.line,
          column: pos.col,
          path: '',
        };
      }),
    };
  }
  const deepNode = blockDepthExceeded(doc.contents);
  if (deepNode) {
    const pos = lineCounter.linePos(deepNode.range?.[0] ?? 0);
    return fail('input/too-deep', `nesting deeper than ${YAML_LIMITS.maxDepth} levels`, pos.line, pos.col);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/alias/i.test(message)) {
      return fail(
        'input/alias-bomb',
        'aliases expand too much (a YAML "billion laughs" document)',
        1,
        1,
        'use fewer aliases (&anchor / *alias), or write the values out',
      );
    }
    return fail('yaml/syntax', message);
  }
  if (data === null || data === undefined) {
    return fail('input/empty', 'the file holds no YAML content', 1, 1, 'start from a bundled template, e.g. templates/basic-ubuntu.yml');
  }
  return { ok: true, source: { file, text, doc, lineCounter, data } };
}

function yamlMessage(code: string, message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') return 'a key appears twice in the same mapping';
  return firstLine.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The line and column of the node at `path`, or of its deepest existing ancestor. With
 * `key: true`, the position of the mapping key itself (for unknown-key errors).
 */
export function locate(source: YamlSource, path: KeyPath, options: { key?: boolean } = {}): Position {
  let node: unknown = source.doc.contents;
  const startOf = (n: unknown): number | undefined => (n as { range?: [number, number, number] } | null)?.range?.[0];
  let offset = startOf(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) break;
      if (last && options.key) {
        offset = startOf(pair.key) ?? offset;
        break;
      }
      node = pair.value;
      offset = startOf(node) ?? startOf(pair.key) ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) break;
      node = item;
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  const pos = source.lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** The YAML node at `path`, if there is one. */
export function nodeAt(source: YamlSource, path: KeyPath): Node | undefined {
  const found = source.doc.getIn(path as (string | number)[], true);
  return found && typeof found === 'object' ? (found as Node) : undefined;
}

function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let codePoint = b & (0xff >> (extra + 2));
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (c & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

function offsetToPosition(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Flow collections (`[[[[…`) nest without indentation, so a short file can nest deep enough to
 * exhaust the parser. The lexer is iterative: count depth on its tokens before parsing.
 * Returns the offset where the limit is crossed, or -1.
 */
/** Lexer tokens that mark structure and stand for no source text. */
const CONTROL_TOKENS = new Set(['\x02', '\x18', '\x1f']);

function flowDepthExceeded(text: string): number {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      depth++;
      if (depth > YAML_LIMITS.maxDepth) return offset;
    } else if (token === ']' || token === '}') {
      depth = Math.max(0, depth - 1);
    }
    if (!CONTROL_TOKENS.has(token)) offset += token.length;
  }
  return -1;
}

/**
 * The concrete syntax tree of `text`. The parser keeps its open nodes on a stack; it stops as
 * soon as that stack is clearly deeper than the limit, so a megabyte of `- - - …` fails fast.
 */
function parseCst(text: string, lineCounter: LineCounter): { tokens: CST.Token[] } | { tooDeepAt: number } {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // stack[0] is the document; stack[i] is a node at depth i.
    if (parser.stack.length > YAML_LIMITS.maxDepth + 2) return { tooDeepAt: parser.stack[YAML_LIMITS.maxDepth + 1].offset };
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
}

/**
 * Nesting depth on the concrete syntax tree, without recursion, counted like
 * blockDepthExceeded (the document's value is level 1). Returns the offset of the first node
 * deeper than the limit, or -1.
 */
function cstDepthExceeded(tokens: readonly CST.Token[]): number {
  const stack: { token: CST.Token | null | undefined; depth: number }[] = [];
  for (const token of tokens) if (token.type === 'document') stack.push({ token: token.value, depth: 1 });
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    if (depth > YAML_LIMITS.maxDepth) return token.offset;
    if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) {
        stack.push({ token: item.key, depth: depth + 1 });
        stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return -1;
}

/** Block nesting, checked on the parsed tree without recursion. */
function blockDepthExceeded(root: unknown): Node | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > YAML_LIMITS.maxDepth) return node as Node;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) {
          stack.push({ node: item.value, depth: depth + 1 });
        } else {
          stack.push({ node: item, depth: depth + 1 });
        }
      }
    }
  }
  return undefined;
}
