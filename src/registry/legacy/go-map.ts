import { GoSyntaxError, goTokens, type GoToken } from './go-tokens.js';

/** One value of a hard-coded map, with the line it is on. */
export interface LegacyValue {
  value: string;
  line: number;
}

export type RawRegionMap = Record<string, Record<string, LegacyValue>>;

/** A `map[string]map[string]string{…}` literal found in Go source. */
export interface GoAmiMap {
  /** The string key of the nearest enclosing literal (e.g. `"r-research": {… AMI: map…}`). */
  template?: string;
  line: number;
  regions: RawRegionMap;
}

const REGION_MAP_TYPE = ['map', '[', 'string', ']', 'map', '[', 'string', ']', 'string'];
const TEMPLATE_MAP_TYPE = ['map', '[', 'string', ']', ...REGION_MAP_TYPE];
const ARCH_MAP_TYPE = ['map', '[', 'string', ']', 'string'];

/**
 * Finds the hard-coded AMI maps of Go source, the seed's "Current Problem" shape:
 * `AMI: map[string]map[string]string{"us-east-1": {"x86_64": "ami-…"}}` (a region map, its
 * template being the key of the literal around it, when there is one), and
 * `map[string]map[string]map[string]string{"r-research": {"us-east-1": {…}}}` (template maps).
 * Other Go code is skipped.
 */
export function findGoAmiMaps(text: string): GoAmiMap[] {
  const tokens = goTokens(text);
  const maps: GoAmiMap[] = [];
  const stack: (string | undefined)[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (matches(tokens, i, TEMPLATE_MAP_TYPE) && opensLiteral(tokens, i + TEMPLATE_MAP_TYPE.length)) {
      const parser = new LiteralParser(tokens, i + TEMPLATE_MAP_TYPE.length);
      const line = tokens[i].line;
      for (const [template, regions] of Object.entries(parser.templateMap())) maps.push({ template, line, regions });
      i = parser.position;
    } else if (matches(tokens, i, REGION_MAP_TYPE) && opensLiteral(tokens, i + REGION_MAP_TYPE.length)) {
      const parser = new LiteralParser(tokens, i + REGION_MAP_TYPE.length);
      const template = [...stack].reverse().find((key) => key !== undefined);
      maps.push({ ...(template !== undefined ? { template } : {}), line: tokens[i].line, regions: parser.regionMap() });
      i = parser.position;
    } else {
      const token = tokens[i];
      if (isPunct(token, '{')) stack.push(literalKey(tokens, i));
      else if (isPunct(token, '}')) stack.pop();
      i++;
    }
  }
  return maps;
}

/** `{` then a string key or `}`: a map literal (a function returning the map type opens a body instead). */
function opensLiteral(tokens: GoToken[], at: number): boolean {
  const next = tokens[at + 1];
  return isPunct(tokens[at], '{') && (next?.kind === 'string' || isPunct(next, '}'));
}

/** The string key a `{` opens the value of: `"key": {` or `"key": Type{`. */
function literalKey(tokens: GoToken[], brace: number): string | undefined {
  let k = brace - 1;
  while (k >= 0 && (tokens[k].kind === 'ident' || ['.', '*', '&', '[', ']'].includes(tokens[k].value)) && tokens[k].kind !== 'string') k--;
  if (k >= 1 && isPunct(tokens[k], ':') && tokens[k - 1].kind === 'string') return tokens[k - 1].value;
  return undefined;
}

function matches(tokens: GoToken[], at: number, words: string[]): boolean {
  return words.every((word, k) => tokens[at + k]?.value === word && tokens[at + k].kind !== 'string');
}

function isPunct(token: GoToken | undefined, value: string): boolean {
  return token?.kind === 'punct' && token.value === value;
}

class LiteralParser {
  constructor(
    private readonly tokens: GoToken[],
    public position: number,
  ) {}

  templateMap(): Record<string, RawRegionMap> {
    const out: Record<string, RawRegionMap> = {};
    this.entries(REGION_MAP_TYPE, (key) => {
      out[key.value] = this.regionMap();
    });
    return out;
  }

  regionMap(): RawRegionMap {
    const out: RawRegionMap = {};
    this.entries(ARCH_MAP_TYPE, (key) => {
      const arches: Record<string, LegacyValue> = {};
      this.entries([], (arch) => {
        const value = this.next();
        if (value.kind !== 'string')
          throw new GoSyntaxError(`the value of "${arch.value}" is ${value.value}, not a string literal`, value.line);
        arches[arch.value] = { value: value.value, line: value.line };
      });
      out[key.value] = arches;
    });
    return out;
  }

  /** `{ "key": <value>, … }`, with an optional element type before each nested `{`. */
  private entries(elementType: string[], value: (key: GoToken & { kind: 'string' }) => void): void {
    this.expect('{');
    for (;;) {
      const key = this.next();
      if (isPunct(key, '}')) return;
      if (key.kind !== 'string') throw new GoSyntaxError(`expected a string key, found ${key.value}`, key.line);
      this.expect(':');
      if (elementType.length > 0 && matches(this.tokens, this.position, elementType)) this.position += elementType.length;
      value(key);
      const after = this.next();
      if (isPunct(after, '}')) return;
      if (!isPunct(after, ',')) throw new GoSyntaxError(`expected , or } after "${key.value}", found ${after.value}`, after.line);
    }
  }

  private next(): GoToken {
    const token = this.tokens[this.position++];
    if (!token) throw new GoSyntaxError('the map literal is not closed', this.tokens.at(-1)?.line ?? 1);
    return token;
  }

  private expect(value: string): void {
    const token = this.next();
    if (!isPunct(token, value)) throw new GoSyntaxError(`expected ${value}, found ${token.value}`, token.line);
  }
}
