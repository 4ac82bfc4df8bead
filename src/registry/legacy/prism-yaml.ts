import { basename, extname } from 'node:path';
import { PrismError } from '../../core/errors.js';
import { isRegionName } from '../../core/types.js';
import { AMI_ID_PATTERN } from '../../core/ids.js';
import { parseTemplate } from '../../template/parse-template.js';
import type { AmiMap, LegacyMap } from './legacy-map.js';

const ARCH_NAMES: Readonly<Record<string, 'x86_64' | 'arm64'>> = { x86_64: 'x86_64', arm64: 'arm64', amd64: 'x86_64', aarch64: 'arm64' };

/**
 * The AMIs a Prism template lists in `ami_config.amis` (`{region: {arch: ami}}`: what Prism
 * launches an ami-based template from), as the images of that template (its `slug:`, else the
 * file name).
 */
export function parsePrismAmiConfig(text: string, file: string): LegacyMap {
  const result = parseTemplate(text, file, basename(file, extname(file)));
  if (!result.ok) {
    throw new PrismError('USAGE', `${file} is not a template import-legacy can read`, {
      diagnostics: result.diagnostics,
      hint: 'import-legacy reads JSON, Go source, or a Prism template with ami_config.amis',
    });
  }
  const { definition } = result.parsed;
  const config = definition.prism?.raw.ami_config as { amis?: Record<string, Record<string, string>>; ami_mappings?: unknown } | undefined;
  if (!definition.prism || !config?.amis || Object.keys(config.amis).length === 0) {
    throw new PrismError('USAGE', `${file} lists no AMIs in ami_config.amis`, {
      hint: config?.ami_mappings
        ? 'ami_config.ami_mappings names one AMI per region without its architecture; write them as ami_config.amis: {region: {x86_64: ami-…}}'
        : 'import-legacy takes a Prism template whose ami_config.amis maps region → architecture → AMI ID',
    });
  }
  const map: AmiMap = {};
  const bad: string[] = [];
  for (const [region, arches] of Object.entries(config.amis)) {
    if (!isRegionName(region)) bad.push(`"${region}" is not a region name`);
    for (const [name, ami] of Object.entries(arches)) {
      const arch = ARCH_NAMES[name];
      if (!arch) bad.push(`ami_config.amis.${region}.${name}: "${name}" is not an architecture`);
      else if (!AMI_ID_PATTERN.test(ami)) bad.push(`ami_config.amis.${region}.${name}: "${ami}" is not an AMI ID`);
      else (map[region] ??= {})[arch] = ami;
    }
  }
  if (bad.length > 0) throw new PrismError('USAGE', `${file}: ${bad.join('; ')}`, { hint: 'fix ami_config.amis' });
  return { format: 'yaml', templates: { [definition.slug]: map } };
}
