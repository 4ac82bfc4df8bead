import type { ErrorCode } from './errors.js';

/** The process exit codes of every prism command, documented in README.md. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
  partial: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The one place where an error code becomes an exit code. */
const EXIT_CODE_OF: Record<ErrorCode, ExitCode> = {
  USAGE: ExitCode.badInput,
  CONFIG_INVALID: ExitCode.badInput,
  TEMPLATE_NOT_FOUND: ExitCode.badInput,
  TEMPLATE_INVALID: ExitCode.badInput,
  EXTENDS_CYCLE: ExitCode.badInput,
  EXTENDS_MISSING: ExitCode.badInput,
  PREREQUISITE_MISSING: ExitCode.badInput,
  NOT_FOUND: ExitCode.badInput,
  REGISTRY_INVALID: ExitCode.badInput,
  REGISTRY_NEWER_SCHEMA: ExitCode.badInput,
  REGISTRY_LOCKED: ExitCode.badInput,
  REGISTRY_UNREACHABLE: ExitCode.badInput,
  CREDENTIALS_MISSING: ExitCode.badInput,
  PERMISSION_DENIED: ExitCode.badInput,
  BASE_UNAVAILABLE: ExitCode.failure,
  BUILD_FAILED: ExitCode.failure,
  VALIDATION_FAILED: ExitCode.failure,
  CLOUD_ERROR: ExitCode.failure,
  TIMEOUT: ExitCode.failure,
  LINT_FAILED: ExitCode.failure,
  OUT_OF_DATE: ExitCode.failure,
  PARTIAL: ExitCode.partial,
  CANCELLED: ExitCode.interrupted,
  INTERNAL: ExitCode.failure,
};

export function exitCodeOf(code: ErrorCode): ExitCode {
  return EXIT_CODE_OF[code];
}

/** How a run (build, validation, copy, build-all) ended, as every command reports it. */
export type RunStatus = 'succeeded' | 'skipped' | 'partial' | 'failed' | 'cancelled';

/** The one place a run's status becomes an exit code; a failed run uses its error's code. */
export function exitCodeOfRun(status: RunStatus, error?: { exitCode: ExitCode }): ExitCode {
  switch (status) {
    case 'succeeded':
    case 'skipped':
      return ExitCode.ok;
    case 'partial':
      return ExitCode.partial;
    case 'cancelled':
      return ExitCode.interrupted;
    case 'failed':
      return error?.exitCode ?? ExitCode.failure;
  }
}
