import type { LocalImage } from '../providers/local/image-store.js';
import { formatBytes } from './format.js';
import { style } from './style.js';
import { formatTable } from './table.js';

export function formatLocalImages(images: readonly LocalImage[], color: boolean): string {
  if (images.length === 0) return 'No local images yet. Build one: prism ami build hello-web --provider local\n';
  const s = style(color);
  return formatTable(
    ['TEMPLATE', 'VERSION', 'ARCH', 'IMAGE', 'CREATED', 'VALIDATED', 'SIZE'],
    images.map((i) => [
      i.template,
      i.version,
      i.architecture,
      i.id,
      i.created.replace(/\.\d{3}Z$/, 'Z'),
      i.validated ? s.green(`yes ${i.validatedAt?.slice(0, 10) ?? ''}`.trim()) : s.red('no'),
      formatBytes(i.sizeBytes),
    ]),
  );
}
