import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';

/**
 * AWS SDK v3 clients, one per service and region, made on first use. Every client uses the
 * SDK's standard credential chain, adaptive retry (client-side rate limiting on throttling) and
 * AWS_ENDPOINT_URL when set (moto_server in tests). The SDK is imported lazily so commands that
 * never touch AWS do not pay for loading it.
 */
export interface AwsClientOptions {
  /** Attempts per call, throttling included (SDK default 3; we use 8). */
  maxAttempts?: number;
  /** Extra middleware, e.g. fault injection in tests: (client, service, region) => void. */
  customize?: (client: { middlewareStack: unknown }, service: string, region: string) => void;
}

export class AwsClients {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly options: AwsClientOptions = {}) {
    // The SDK warns on every run that future versions need Node 22; users cannot act on it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }

  ec2(region: string): Promise<EC2Client> {
    return this.client('ec2', region, async (config) => new (await import('@aws-sdk/client-ec2')).EC2Client(config));
  }

  ssm(region: string): Promise<SSMClient> {
    return this.client('ssm', region, async (config) => new (await import('@aws-sdk/client-ssm')).SSMClient(config));
  }

  s3(region: string): Promise<S3Client> {
    return this.client(
      's3',
      region,
      async (config) =>
        new (await import('@aws-sdk/client-s3')).S3Client({ ...config, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) }),
    );
  }

  iam(): Promise<IAMClient> {
    return this.client('iam', 'us-east-1', async (config) => new (await import('@aws-sdk/client-iam')).IAMClient(config));
  }

  sts(region: string): Promise<STSClient> {
    return this.client('sts', region, async (config) => new (await import('@aws-sdk/client-sts')).STSClient(config));
  }

  private client<T>(service: string, region: string, make: (config: Record<string, unknown>) => Promise<T>): Promise<T> {
    const key = `${service}:${region}`;
    let pending = this.cache.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = make({ region, retryMode: 'adaptive', maxAttempts: this.options.maxAttempts ?? 8 }).then((client) => {
        this.options.customize?.(client as { middlewareStack: unknown }, service, region);
        return client;
      });
      this.cache.set(key, pending);
    }
    return pending;
  }

  destroy(): void {
    for (const pending of this.cache.values()) void pending.then((c) => (c as { destroy?: () => void }).destroy?.());
    this.cache.clear();
  }
}
