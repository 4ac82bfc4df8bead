import { compactTimestamp } from '../core/clock.js';
import type { Architecture } from '../core/types.js';
import type { Template } from '../template/model.js';
import type { ImageRecord } from './provider.js';

/** Image names: `<slug>-<version>-<arch>-<UTC timestamp>`, within EC2's 128 characters. */
export function imageName(slug: string, version: string, architecture: Architecture, at: Date): string {
  const safeVersion = version.replace(/[^A-Za-z0-9().\-/_]/g, '-');
  return `${slug}-${safeVersion}-${architecture}-${compactTimestamp(at)}`.slice(0, 128);
}

/** What a machine is for: the build, the fresh-boot re-test of its image, or `validate`. */
export type MachineRole = 'build' | 'retest' | 'validate';

/** Tags every resource of a build carries (machines, security groups, volumes). */
export function buildTags(
  template: Template,
  buildId: string,
  architecture: Architecture,
  role: MachineRole = 'build',
): Record<string, string> {
  return {
    'prism:managed': 'true',
    'prism:build-id': buildId,
    'prism:template': template.slug,
    'prism:architecture': architecture,
    'prism:role': role,
    Name: `prism-build-${template.slug}-${architecture}`,
  };
}

/**
 * The tags of an image (and its snapshots and copies), docs/templates.md "Image names and tags".
 * `building` while it is being made (sweep removes such images when their run is gone),
 * `complete` once it is recorded.
 */
export function imageTags(record: ImageRecord, status: 'building' | 'complete'): Record<string, string> {
  const name = imageName(record.template.slug, record.version, record.architecture, record.created);
  return {
    ...record.template.tags,
    'prism:managed': 'true',
    'prism:template': record.template.slug,
    'prism:version': record.version,
    'prism:fingerprint': record.fingerprint,
    'prism:source-image': record.base.id,
    'prism:build-id': record.buildId,
    'prism:architecture': record.architecture,
    'prism:validated': String(record.tests.every((t) => t.status === 'passed')),
    'prism:validated-at': record.created.toISOString(),
    ...(record.validatedOn ? { 'prism:validated-on': record.validatedOn } : {}),
    ...(record.manifest ? { 'prism:manifest': record.manifest.digest } : {}),
    'prism:created-by': 'prism-ami',
    'prism:status': status,
    Name: name,
  };
}
