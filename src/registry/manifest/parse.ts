import * as z from 'zod';
import { PrismError } from '../../core/errors.js';
import { DIGEST_PATTERN, MANIFEST_FORMAT, manifestDigest, type ImageManifest } from '../../core/manifest.js';

const pkg = z.looseObject({ name: z.string(), version: z.string(), arch: z.string().optional() });
const list = z.array(pkg);

const manifestSchema = z.looseObject({
  manifest_format: z.number().int().min(1),
  digest: z.string().regex(DIGEST_PATTERN),
  collected_at: z.string(),
  os: z.looseObject({
    id: z.string().optional(),
    version_id: z.string().optional(),
    version_codename: z.string().optional(),
    pretty_name: z.string().optional(),
  }),
  kernel: z.looseObject({ packages: list, running: z.string().optional() }),
  packages: z.looseObject({
    dpkg: list.optional(),
    rpm: list.optional(),
    python: list.optional(),
    conda: list.optional(),
    R: list.optional(),
  }),
  skipped: z.array(z.looseObject({ ecosystem: z.string(), reason: z.string() })).optional(),
  image_id: z.string().optional(),
});

/**
 * Reads a manifest sidecar, checking its shape and that its content still has its digest (a
 * sidecar edited by hand, or cut short, is an error naming the file, never a wrong answer).
 */
export function parseManifest(text: string, source: string): ImageManifest {
  const fail = (why: string): never => {
    throw new PrismError('REGISTRY_INVALID', `${source} is not a readable image manifest: ${why}`, {
      hint: 'the sidecar was written by prism-ami when the image was built; restore it, or rebuild the image to record a new one',
    });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail((error as Error).message);
  }
  const format = (data as { manifest_format?: unknown } | null)?.manifest_format;
  if (typeof format === 'number' && format > MANIFEST_FORMAT) {
    throw new PrismError('REGISTRY_NEWER_SCHEMA', `${source} was written by a newer prism-ami (manifest format ${format})`, {
      hint: 'upgrade prism-ami',
    });
  }
  const result = manifestSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    return fail(`${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const manifest = result.data as ImageManifest;
  const digest = manifestDigest(manifest);
  if (digest !== manifest.digest) fail(`its content has digest ${digest}, not the ${manifest.digest} it says`);
  return manifest;
}

export function serializeManifest(manifest: ImageManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
