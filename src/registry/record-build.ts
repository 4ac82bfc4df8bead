import { systemClock, type Clock } from '../core/clock.js';
import type { Architecture } from '../core/types.js';
import type { Template } from '../template/model.js';
import { changeRegistry, type ChangeOutcome } from './change.js';
import { record, type RecordInput, type RecordOutcome } from './operations.js';
import type { SsmPublisher } from './publish-ssm.js';
import type { RegistryStore } from './store.js';

/** A finished image, as a build (or a completed region copy) knows it. */
export interface BuildImage {
  /** The template (its description, ports and costs are recorded too), or just its slug. */
  template: Template | string;
  /** The image's region: an AWS region, or `local` for the local provider. */
  region: string;
  architecture: Architecture;
  imageId: string;
  /** When the image was made. */
  created: Date | string;
  /** The build's version (`--version`, else the template's). */
  version: string;
  fingerprint?: string;
  /** The image the build started from (base or parent image); for a copy, the source image. */
  sourceImage?: string;
  buildId?: string;
  /** True when the template's validation tests passed (a build only makes an image when they do). */
  validated: boolean;
  validatedAt?: Date | string;
  sizeGb?: number;
  /** Converted to GiB when sizeGb is not given. */
  sizeBytes?: number;
  /** The digest of the manifest sidecar written for this image. */
  manifestDigest?: string;
}

export interface RecordBuildOptions {
  publisher?: SsmPublisher;
  clock?: Clock;
}

/**
 * Records a finished image in the registry: it becomes the current image of its template,
 * region and architecture (the previous one is kept as superseded), and its SSM parameter follows
 * when a publisher is given. Call it once per image: for the built image, then for each region
 * copy as it completes. Recording the same image again changes nothing, so a retried build step
 * is safe.
 */
export async function recordBuildImage(
  store: RegistryStore,
  image: BuildImage,
  options: RecordBuildOptions = {},
): Promise<ChangeOutcome<RecordOutcome>> {
  const input = toRecordInput(image);
  return changeRegistry(store, (doc) => record(doc, input, options.clock ?? systemClock), {
    ...(options.publisher ? { publisher: options.publisher } : {}),
    touched: () => [{ template: input.template, region: input.region, architecture: input.architecture }],
  });
}

export function toRecordInput(image: BuildImage): RecordInput {
  const template = typeof image.template === 'string' ? undefined : image.template;
  const iso = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const sizeGb = image.sizeGb ?? (image.sizeBytes !== undefined ? Math.round((image.sizeBytes / 2 ** 30) * 100) / 100 : undefined);
  return {
    template: typeof image.template === 'string' ? image.template : image.template.slug,
    region: image.region,
    architecture: image.architecture,
    amiId: image.imageId,
    created: iso(image.created),
    version: image.version,
    validated: image.validated,
    ...(image.fingerprint !== undefined ? { fingerprint: image.fingerprint } : {}),
    ...(image.sourceImage !== undefined ? { sourceAmi: image.sourceImage } : {}),
    ...(image.buildId !== undefined ? { buildId: image.buildId } : {}),
    ...(image.validatedAt !== undefined ? { validatedAt: iso(image.validatedAt) } : {}),
    ...(sizeGb !== undefined ? { sizeGb } : {}),
    ...(image.manifestDigest !== undefined ? { manifestDigest: image.manifestDigest } : {}),
    ...(template ? { description: template.description, ports: template.ports, costs: template.costs } : {}),
  };
}
