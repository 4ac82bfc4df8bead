import type { RunTracker } from '../engine/run-tracker.js';
import { PrismError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Io } from '../render/io.js';

export interface Interrupts {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * The first SIGINT, SIGTERM or SIGHUP (a closed terminal, a dropped SSH session) cancels: steps
 * stop, cleanups run, the command exits 130. A second one exits at once and says what may
 * remain and which command removes it. After a hang-up there is nobody to read the output, so
 * writes that fail (EIO, EPIPE) are dropped rather than crashing the cleanup (render/io.ts).
 */
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function handleInterrupts(io: Io, tracker: RunTracker): Interrupts {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      controller.abort(new PrismError('CANCELLED', `Interrupted (${name})`));
      io.err(`\n⚠️  Interrupted (${name}): stopping and cleaning up. Press Ctrl-C again to exit at once.\n`);
      return;
    }
    const pending = tracker.pending();
    const lines = pending.map((r) => `  - ${r.label}`);
    const providers = tracker.providerNames();
    io.err(
      pending.length > 0
        ? `\nExiting without finishing cleanup. These may remain:\n${lines.join('\n')}\nRemove them with: ${providers.map((p) => `prism ami sweep --provider ${p}`).join(' ; ')}\n`
        : '\nExiting.\n',
    );
    process.exit(ExitCode.interrupted);
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of SIGNALS) process.off(name, onSignal);
    },
  };
}
