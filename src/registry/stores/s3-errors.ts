/** What an S3 (or SDK, or network) error is, and what the user can do about it. */

export function s3ErrorName(error: unknown): string | undefined {
  const e = error as { name?: string; Code?: string; code?: string } | null;
  return e?.Code ?? e?.name ?? e?.code;
}

export function s3Status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidToken',
]);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'TimeoutError', 'EHOSTUNREACH']);

export function s3ErrorHint(error: unknown, bucket: string, key: string): string {
  const name = s3ErrorName(error) ?? '';
  const status = s3Status(error);
  if (name === 'NoSuchBucket') return `the bucket ${bucket} does not exist (or not in this account): create it, or fix --registry`;
  if (CREDENTIAL_ERRORS.has(name) || /credential/i.test(String((error as Error)?.message))) {
    return 'no usable AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run aws sso login)';
  }
  if (name === 'AccessDenied' || status === 403) {
    return `the credentials need s3:GetObject and s3:PutObject on arn:aws:s3:::${bucket}/${key} and ${key}.bak`;
  }
  if (NETWORK_ERRORS.has(name) || NETWORK_ERRORS.has((error as { code?: string })?.code ?? '')) {
    return 'S3 cannot be reached: check the network (and AWS_ENDPOINT_URL if you set one)';
  }
  if (status === 301 || name === 'PermanentRedirect') return "the bucket is in another region: set AWS_REGION to the bucket's region";
  return 'check the bucket, the key and your AWS credentials; use a file: registry to work offline';
}
