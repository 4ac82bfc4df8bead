import { isPrismError, PrismError } from '../../core/errors.js';

/** The SDK's error name (e.g. `InvalidInstanceID.NotFound`), or undefined for non-AWS errors. */
export function awsCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { name?: string; Code?: string; code?: string };
  return e.Code ?? e.name ?? e.code;
}

export function isAwsCode(error: unknown, ...codes: string[]): boolean {
  const code = awsCode(error);
  return code !== undefined && codes.includes(code);
}

export const NOT_FOUND_CODES = [
  'InvalidInstanceID.NotFound',
  'InvalidGroup.NotFound',
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Unavailable',
  'InvalidSnapshot.NotFound',
  'InvalidSnapshotID.NotFound',
];

const CREDENTIAL_ERRORS = [
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AuthFailure',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
];

/**
 * An AWS failure as a PrismError: credentials and permissions are the user's to fix (exit 2),
 * everything else is a cloud error (exit 1). `what` says what we were doing.
 */
export function cloudError(error: unknown, what: string): PrismError {
  if (isPrismError(error)) return error;
  const code = awsCode(error) ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (CREDENTIAL_ERRORS.includes(code) || (/could not load credentials|credential/i.test(message) && code === 'Error')) {
    return new PrismError('CREDENTIALS_MISSING', `no usable AWS credentials while ${what}: ${message}`, {
      hint: 'set AWS_PROFILE (and run `aws sso login` for SSO profiles), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance role or OIDC web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) is available',
      cause: error,
    });
  }
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException') {
    return new PrismError('PERMISSION_DENIED', `not allowed while ${what}: ${message}`, {
      hint: '`prism ami iam-policy` prints the permissions the builder needs',
      cause: error,
    });
  }
  return new PrismError('CLOUD_ERROR', `AWS error while ${what}: ${code}: ${message}`, { cause: error });
}

/** Runs an AWS call, turning its failure into a PrismError naming what was being done. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw new PrismError('CANCELLED', 'Cancelled', { cause: error });
    throw cloudError(error, what);
  }
}
