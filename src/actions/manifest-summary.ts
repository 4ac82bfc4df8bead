import type { EventSink } from '../core/events.js';
import type { ImageManifest } from '../core/manifest.js';
import { errorMessage } from '../core/errors.js';
import type { Architecture } from '../core/types.js';
import { diffManifests, diffSummary } from '../registry/manifest/diff.js';
import type { ManifestStore } from '../registry/manifest/store.js';

/**
 * The line `build` prints once its image is recorded: what changed in the packages since the
 * image it superseded ("3 packages changed since limg-…: openssl 3.0.2 → 3.0.3, …").
 */
export async function emitPackageSummary(
  emit: EventSink,
  manifests: ManifestStore,
  target: { template: string; architecture: Architecture; region: string },
  image: { id: string; manifest?: ImageManifest },
  previous: string | undefined,
): Promise<void> {
  if (!previous || !image.manifest) return;
  let before: ImageManifest | undefined;
  try {
    before = await manifests.get(previous);
  } catch (error) {
    emit({ type: 'notice', target, level: 'warning', message: `the manifest of ${previous} could not be read: ${errorMessage(error)}` });
    return;
  }
  if (!before) {
    emit({
      type: 'notice',
      target,
      level: 'info',
      message: `Packages: the superseded image ${previous} has no manifest (not recorded), so there is nothing to compare with`,
    });
    return;
  }
  const diff = diffManifests(before, image.manifest);
  const summary = diffSummary(diff);
  emit({
    type: 'notice',
    target,
    level: 'info',
    message: `Packages since ${previous}: ${summary}${diff.total > 0 ? ` (prism ami diff ${previous} ${image.id})` : ''}`,
  });
}
