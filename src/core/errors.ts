import type { Diagnostic } from './diagnostic.js';
import { exitCodeOf, type ExitCode } from './exit-codes.js';

/**
 * Stable error codes. They appear in `--json` output and in the README's exit-code table, so a
 * code is never renamed; add new ones instead.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'TEMPLATE_NOT_FOUND'
  | 'TEMPLATE_INVALID'
  | 'EXTENDS_CYCLE'
  | 'EXTENDS_MISSING'
  | 'PREREQUISITE_MISSING'
  | 'NOT_FOUND'
  | 'REGISTRY_INVALID'
  | 'REGISTRY_NEWER_SCHEMA'
  | 'REGISTRY_LOCKED'
  | 'REGISTRY_UNREACHABLE'
  | 'CREDENTIALS_MISSING'
  | 'PERMISSION_DENIED'
  | 'BASE_UNAVAILABLE'
  | 'BUILD_FAILED'
  | 'VALIDATION_FAILED'
  | 'CLOUD_ERROR'
  | 'TIMEOUT'
  | 'LINT_FAILED'
  | 'OUT_OF_DATE'
  | 'PARTIAL'
  | 'CANCELLED'
  | 'INTERNAL';

export interface PrismErrorOptions {
  /** One line telling the user what to do about it. */
  hint?: string;
  /** Located problems (template or config files) behind this error. */
  diagnostics?: Diagnostic[];
  cause?: unknown;
}

/** The one error type of prism-ami: a stable code, a message, and what to do. */
export class PrismError extends Error {
  override readonly name = 'PrismError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly diagnostics: Diagnostic[];

  constructor(code: ErrorCode, message: string, options: PrismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.diagnostics = options.diagnostics ?? [];
  }

  get exitCode(): ExitCode {
    return exitCodeOf(this.code);
  }
}

export function isPrismError(error: unknown, code?: ErrorCode): error is PrismError {
  return error instanceof PrismError && (code === undefined || error.code === code);
}

/** True for the error an AbortSignal raises, whatever produced it. */
export function isAbortError(error: unknown): boolean {
  return isPrismError(error, 'CANCELLED') || (error instanceof Error && (error.name === 'AbortError' || error.name === 'CancelledError'));
}

export function cancelledError(reason?: unknown): PrismError {
  return new PrismError('CANCELLED', 'Cancelled', { cause: reason });
}

/** Throws the CANCELLED error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal.reason);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
