import type { ListedImage } from '../actions/list-registry.js';
import { style } from './style.js';
import { formatTable } from './table.js';

/** `prism ami list`: one aligned row per image; with --all, a status column. */
export function formatRegistryImages(images: readonly ListedImage[], options: { all: boolean; registry: string; color: boolean }): string {
  if (images.length === 0) {
    return `No images in ${options.registry}${options.all ? '' : ' (or none current)'}. Record one: prism ami update-registry <template> --region R --architecture A\n`;
  }
  const s = style(options.color);
  const headers = ['TEMPLATE', 'VERSION', 'REGION', 'ARCH', 'AMI', 'CREATED', 'VALIDATED', 'SIZE', ...(options.all ? ['STATUS'] : [])];
  const statusColour = { current: s.green, superseded: s.dim, revoked: s.red, deleted: s.dim, 'failed-validation': s.red } as const;
  return formatTable(
    headers,
    images.map((i) => [
      i.template,
      i.version,
      i.region,
      i.architecture,
      i.ami_id,
      i.created.replace(/\.\d{3}Z$/, 'Z'),
      i.validated ? s.green(`yes ${i.validated_at?.slice(0, 10) ?? ''}`.trim()) : s.yellow('no'),
      i.size_gb === undefined ? '' : `${i.size_gb} GiB`,
      ...(options.all ? [statusColour[i.status](i.status)] : []),
    ]),
  );
}
