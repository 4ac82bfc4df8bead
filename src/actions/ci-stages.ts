import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Matrix, MatrixEntry } from '../changes/model.js';
import { splitStages } from '../changes/stages.js';
import { PrismError } from '../core/errors.js';
import { isArchitecture } from '../core/types.js';
import { TemplateLibrary } from '../template/library.js';
import { readTemplateNodes } from './template-graph.js';

export interface CiStagesOptions {
  /** The JSON of `prism ami changed --json` or `prism ami plan --json`, or a bare `{include: [...]}`. */
  selection: string;
  /** Where the selection came from, for messages. */
  source: string;
  templatesDir: string;
  stages: number;
  cwd?: string;
}

export interface StagesReport {
  total: number;
  /** Exactly `stages` matrices; a template is in a later one than its parent. */
  stages: Matrix[];
}

/** `prism ami ci stages`: splits a build matrix so that parents are built before their children. */
export async function ciStages(options: CiStagesOptions): Promise<StagesReport> {
  const matrix = readMatrix(options.selection, options.source);
  const library = new TemplateLibrary(resolve(options.cwd ?? process.cwd(), options.templatesDir));
  const nodes = matrix.include.length > 0 ? await readTemplateNodes(library) : [];
  const parents = new Map(nodes.map((n) => [n.slug, n.parent]));
  return { total: matrix.include.length, stages: splitStages(matrix, (slug) => parents.get(slug), options.stages) };
}

/** Reads the selection file ('-' is stdin). */
export async function readSelection(path: string, cwd = process.cwd()): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new PrismError('USAGE', `cannot read ${path}`, {
      cause: error,
      hint: 'pass the file prism ami changed --json (or plan --json) wrote, or - for stdin',
    });
  }
}

function readMatrix(text: string, source: string): Matrix {
  const fail = (why: string): never => {
    throw new PrismError('USAGE', `${source} is not a build selection: ${why}`, {
      hint: 'expected the JSON of prism ami changed --json or prism ami plan --json: {"matrix": {"include": [{"template": …, "architecture": …}]}}',
    });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  const holder = (data as { matrix?: unknown } | null)?.matrix ?? data;
  const include = (holder as { include?: unknown } | null)?.include;
  if (!Array.isArray(include)) return fail('it has no matrix.include list');
  return {
    include: include.map((entry: unknown, i): MatrixEntry => {
      const e = entry as Partial<MatrixEntry> | null;
      if (!e || typeof e.template !== 'string' || !isArchitecture(e.architecture))
        return fail(`entry ${i + 1} needs a template and an architecture (x86_64 or arm64)`);
      return e as MatrixEntry;
    }),
  };
}
