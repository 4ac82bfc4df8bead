import { PrismError } from '../core/errors.js';
import { hostArchitecture, type Architecture } from '../core/types.js';
import type { ProviderName } from '../core/types.js';
import type { Template } from '../template/model.js';

/** The architecture asked for, else the host's (local), else the template's only one. */
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
  if (template.architectures.length === 1) return template.architectures[0];
  throw new PrismError('USAGE', `--architecture is required: ${template.slug} builds ${template.architectures.join(' and ')}`, {
    hint: `add --architecture ${template.architectures[0]}, or use prism ami build-all to build every architecture`,
  });
}
