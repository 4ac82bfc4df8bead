import type { CliContext } from './context.js';

export type HumanText = string | { out: string; err?: string };

/**
 * The one place a command's result is printed: as one line of JSON on stdout with --json, else as text
 * made by `human` (which may also give lines for stderr, and may load its renderer lazily).
 */
export async function printResult<T>(
  ctx: CliContext,
  json: boolean | undefined,
  value: T,
  human: (value: T) => HumanText | Promise<HumanText>,
): Promise<void> {
  if (json) {
    // One JSON document on one line: every line of --json output is one JSON value.
    ctx.io.out(`${JSON.stringify(value)}\n`);
    return;
  }
  const text = await human(value);
  if (typeof text === 'string') ctx.io.out(text);
  else {
    ctx.io.out(text.out);
    if (text.err) ctx.io.err(text.err);
  }
}
