import { PrismError } from '../core/errors.js';
import type { Matrix, MatrixEntry } from './model.js';

/**
 * Splits a build matrix into stages so that an image is built after its parent's image of the
 * same architecture when both are in the matrix (a child is built on its parent's current
 * image). Stage of an entry = 1 + how many of its ancestors are in the matrix for its
 * architecture. Pure. Always returns `count` stages (empty ones included); an entry that needs
 * more is a USAGE error that says how to get more stages.
 */
export function splitStages(matrix: Matrix, parentOf: (slug: string) => string | undefined, count: number): Matrix[] {
  const present = new Set(matrix.include.map(key));
  const stages: Matrix[] = Array.from({ length: count }, () => ({ include: [] }));
  for (const entry of matrix.include) {
    let stage = 1;
    const seen = new Set([entry.template]);
    for (let parent = parentOf(entry.template); parent !== undefined && !seen.has(parent); parent = parentOf(parent)) {
      seen.add(parent);
      if (present.has(key({ template: parent, architecture: entry.architecture }))) stage++;
    }
    if (stage > count) {
      throw new PrismError(
        'USAGE',
        `${entry.template} (${entry.architecture}) needs build stage ${stage}: ${stage - 1} template${stage === 2 ? '' : 's'} of its extends chain ${stage === 2 ? 'is' : 'are'} built before it in this run, and the workflow has ${count} stage${count === 1 ? '' : 's'}`,
        {
          hint: `regenerate the workflow with more stages: prism ami ci init --force --stages ${stage}`,
        },
      );
    }
    stages[stage - 1].include.push(entry);
  }
  return stages;
}

function key(entry: MatrixEntry): string {
  return `${entry.template}\0${entry.architecture}`;
}
