import { mapLimit, type Semaphore } from '../core/concurrency.js';
import { errorMessage, PrismError } from '../core/errors.js';
import type { CreatedImage, ImageRecord, Provider } from '../providers/provider.js';
import type { Run } from './run.js';

export interface CopyOptions {
  provider: Provider;
  copyTo: readonly string[];
  /** Copies at once (default: all of them). */
  copyConcurrency?: number;
  /** Called as each copy completes: the registry records it. */
  onCopy?: (copy: CreatedImage, record: ImageRecord) => Promise<void>;
  /** Limits on copies per target region shared with other runs. */
  copySlots?: (region: string) => Semaphore | undefined;
}

/**
 * Copies the image to every region at once (bounded). Each copy is kept and recorded as soon as
 * it completes; a failed copy is removed and the others go on. Any failure makes the run partial.
 */
export async function copyToRegions(run: Run, options: CopyOptions, image: CreatedImage, record: ImageRecord): Promise<void> {
  const provider = options.provider;
  const copy = provider.copyImage?.bind(provider);
  if (!copy)
    throw new PrismError('USAGE', `the ${provider.name} provider cannot copy images to other regions`, { hint: 'leave out --copy-to' });
  const regions = [...new Set(options.copyTo)].filter((r) => r !== image.region);
  const slot = options.copySlots ?? (() => undefined);
  const results = await mapLimit(regions, options.copyConcurrency ?? regions.length, (region) => {
    const work = () =>
      run.step(
        `copy-${region}`,
        `Copying image to ${region}`,
        async () => {
          const made = await copy(image, region, record, run.ctx);
          await made.commit();
          run.copies.push(made.image);
          await options.onCopy?.(made.image, record);
          return made.image;
        },
        (c: CreatedImage) => c.id,
      );
    const limiter = slot(region);
    return limiter ? limiter.run(work) : work();
  });
  if (run.signal.aborted) throw new PrismError('CANCELLED', 'Cancelled');
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${regions[i]}: ${errorMessage(r.reason)}`] : []));
  if (failed.length > 0) {
    throw new PrismError(
      'PARTIAL',
      `image ${image.id} was built in ${image.region}, but ${failed.length} of ${regions.length} copies failed: ${failed.join('; ')}`,
      {
        hint: 'run the build again to retry the copies (the image is reused: same fingerprint)',
      },
    );
  }
}
