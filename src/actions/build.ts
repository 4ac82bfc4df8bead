import { join } from 'node:path';
import { runBuild, type BuildSettings, type RunOutcome } from '../build/pipeline.js';
import type { RunTracker } from '../build/run-tracker.js';
import type { ConfigFile } from '../config/config.js';
import { PrismError } from '../core/errors.js';
import type { EventSink, Target } from '../core/events.js';
import { newBuildId } from '../core/ids.js';
import { defaultLogDir, runsDir } from '../core/paths.js';
import { hostArchitecture, type Architecture } from '../core/types.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { libraryFor } from '../template/library.js';
import type { Template } from '../template/model.js';
import { createProvider, type ProviderName } from '../providers/create-provider.js';
import type { ExistingImage, Provider } from '../providers/provider.js';

export interface BuildOptions {
  template: string;
  templatesDir?: string;
  provider: ProviderName;
  architecture?: Architecture;
  region?: string;
  version?: string;
  /** Build even when an image with the same fingerprint exists. */
  force?: boolean;
  keepOnFailure?: boolean;
  config?: ConfigFile;
  logDir?: string;
  emit: EventSink;
  signal: AbortSignal;
  tracker?: RunTracker;
  /** A provider made by the caller (tests, build-all); else one is created. */
  providerInstance?: Provider;
  /** AWS: subnet and instance profile (else from the config file). */
  subnet?: string;
  instanceProfile?: string;
  /** AWS: regions to copy the image to once it is built. */
  copyTo?: readonly string[];
  copyConcurrency?: number;
  /** AWS: shared SDK clients (tests add fault-injection middleware here). */
  awsClients?: import('../providers/aws/clients.js').AwsClients;
  /** Called when the image (and each copy) is finished: the registry records it. */
  onImage?: BuildSettings['onImage'];
  onCopy?: BuildSettings['onCopy'];
  /** Shared per-region copy limits (build-all). */
  copySlots?: BuildSettings['copySlots'];
}

export type BuildResult =
  | { status: 'skipped'; target: Target; fingerprint: string; existing: ExistingImage }
  | ({ status: RunOutcome['status']; target: Target; fingerprint: string } & RunOutcome);

/**
 * `prism ami build`: one template, one architecture, one region. Skips when a validated image
 * with the same fingerprint exists (unless forced).
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const { library, slug } = libraryFor(options.template, options.templatesDir);
  const template = await library.resolve(slug);
  const architecture = chooseArchitecture(template, options.architecture, options.provider);
  const region = options.region ?? options.config?.region ?? template.regions[0];
  const provider =
    options.providerInstance ??
    (await createProvider(options.provider, {
      config: options.config ?? {},
      ...(region ? { region } : {}),
      ...(options.subnet ? { subnet: options.subnet } : {}),
      ...(options.instanceProfile ? { instanceProfile: options.instanceProfile } : {}),
      ...(options.awsClients ? { awsClients: options.awsClients } : {}),
    }));
  const fingerprint = templateFingerprint(template, architecture);
  const target: Target = { template: template.slug, architecture, region: provider.region };

  if (!options.force) {
    const existing = await provider.findImage(template.slug, architecture, fingerprint);
    if (existing) {
      options.emit({
        type: 'run-end',
        kind: 'build',
        target,
        status: 'skipped',
        durationMs: 0,
        image: { id: existing.id, name: existing.name, region: existing.region, ...(existing.sizeBytes !== undefined ? { sizeBytes: existing.sizeBytes } : {}) },
      });
      return { status: 'skipped', target, fingerprint, existing };
    }
  }

  const copyTo = (options.copyTo ?? options.config?.copyTo ?? []).filter((r) => r !== provider.region);
  const buildId = newBuildId();
  const logDir = options.logDir ?? options.config?.logDir ?? defaultLogDir();
  const outcome = await runBuild({
    provider,
    template,
    architecture,
    version: options.version ?? template.version ?? 'dev',
    buildId,
    fingerprint,
    emit: options.emit,
    signal: options.signal,
    logFile: join(logDir, `${template.slug}-${architecture}-${buildId}.log`),
    journalDir: runsDir(),
    keepOnFailure: options.keepOnFailure ?? false,
    ...(options.tracker ? { tracker: options.tracker } : {}),
    ...(copyTo.length > 0 ? { copyTo, copyConcurrency: options.copyConcurrency ?? options.config?.copyConcurrency ?? 8 } : {}),
    ...(options.onImage ? { onImage: options.onImage } : {}),
    ...(options.onCopy ? { onCopy: options.onCopy } : {}),
    ...(options.copySlots ? { copySlots: options.copySlots } : {}),
  });
  return { ...outcome, target, fingerprint };
}

export function chooseArchitecture(template: Template, requested: Architecture | undefined, provider: ProviderName): Architecture {
  if (requested) {
    if (!template.architectures.includes(requested)) {
      throw new PrismError('USAGE', `${template.slug} is not built for ${requested}; it builds ${template.architectures.join(' and ')}`, {
        hint: 'pick one of those with --architecture, or add it to base_ami.architecture',
      });
    }
    return requested;
  }
  if (provider === 'local') {
    const host = hostArchitecture();
    if (host && template.architectures.includes(host)) return host;
  }
  if (template.architectures.length === 1) return template.architectures[0]!;
  throw new PrismError('USAGE', `--architecture is required: ${template.slug} builds ${template.architectures.join(' and ')}`, {
    hint: `add --architecture ${template.architectures[0]}, or use prism ami build-all to build every architecture`,
  });
}
