import { isPrismError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { formatDiagnostics } from '../render/diagnostics.js';
import type { Io } from '../render/io.js';
import { style } from '../render/style.js';

/** Prints an error the way every command does, and returns the exit code for it. */
export function reportError(error: unknown, io: Io, json: boolean): number {
  if (isPrismError(error)) {
    if (json) {
      // One line, like every other --json output: a stream of events stays one object per line.
      const body = { error: { code: error.code, message: error.message, hint: error.hint, diagnostics: error.diagnostics } };
      io.out(`${JSON.stringify(body)}\n`);
    } else {
      const s = style(io.color);
      let text = formatDiagnostics(error.diagnostics, io.color);
      if (text) text += '\n';
      text += `${s.red('error')} ${s.dim(`[${error.code}]`)}: ${error.message}\n`;
      if (error.hint) text += `  ${s.dim('hint:')} ${error.hint}\n`;
      io.err(text);
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json)
    io.out(
      `${JSON.stringify({ error: { code: 'INTERNAL', message, hint: 'this is a bug in prism-ami; run again with PRISM_DEBUG=1 for the stack trace and report it' } })}\n`,
    );
  io.err(`internal error: ${message}\n`);
  if (process.env.PRISM_DEBUG && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  else io.err('  this is a bug in prism-ami; run again with PRISM_DEBUG=1 for the stack trace and report it\n');
  return ExitCode.failure;
}
