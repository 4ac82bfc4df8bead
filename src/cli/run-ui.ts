import type { EventSink } from '../core/events.js';
import { RunTracker } from '../engine/run-tracker.js';
import type { Renderer } from '../render/run-renderer.js';
import type { CliContext } from './context.js';
import { handleInterrupts } from './interrupts.js';

export interface RunUi {
  /** Where the run's events go (the renderer, once it exists). */
  sink: EventSink;
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  tracker: RunTracker;
  /** Makes the renderer now (build-all prints its plan first). */
  start(): void;
  /** Stops the renderer (before a summary is printed). */
  close(): void;
}

/**
 * What every verb that runs builds or validations shares: a renderer for its events (live on a
 * terminal, plain otherwise, NDJSON with --json), interrupt handling that cleans up, and a
 * tracker of what is still to be removed. Everything is closed again when `fn` ends.
 */
export async function withRunUi<T>(
  ctx: CliContext,
  options: { json: boolean; many?: boolean; deferred?: boolean },
  fn: (ui: RunUi) => Promise<T>,
): Promise<T> {
  const [{ createRenderer, pickMode }, { createMultiRenderer }] = await Promise.all([
    import('../render/run-renderer.js'),
    import('../render/build-all-view.js'),
  ]);
  const tracker = new RunTracker();
  const interrupts = handleInterrupts(ctx.io, tracker);
  let renderer: Renderer | undefined;
  const start = () => {
    renderer ??= options.many ? createMultiRenderer(ctx.io, options.json) : createRenderer(pickMode(ctx.io, options.json), ctx.io);
  };
  if (!options.deferred) start();
  try {
    return await fn({ sink: (event) => renderer?.sink(event), signal: interrupts.signal, tracker, start, close: () => renderer?.close() });
  } finally {
    renderer?.close();
    interrupts.dispose();
  }
}
