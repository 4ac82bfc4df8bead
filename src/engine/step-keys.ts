import { createHash } from 'node:crypto';
import type { Architecture } from '../core/types.js';
import type { SetupStep } from '../template/model.js';

/** Bumped when what a cached step holds changes meaning: old entries are then never hit. */
const FORMAT = 1;

/**
 * The step cache's keys: one per setup step, each naming the machine's state after it. A key
 * chains the image the build starts from, the architecture and every step up to it (script and
 * reboot flag; not the name or the timeout, which change no file), so editing step k misses the
 * cache from k on and keeps steps 1..k-1.
 */
export function setupStepKeys(baseId: string, architecture: Architecture, steps: readonly SetupStep[]): string[] {
  let chain = createHash('sha256')
    .update(JSON.stringify({ format: FORMAT, baseId, architecture }))
    .digest('hex');
  return steps.map((step) => {
    chain = createHash('sha256')
      .update(JSON.stringify({ chain, script: step.script, reboot: step.reboot }))
      .digest('hex');
    return chain.slice(0, 32);
  });
}
