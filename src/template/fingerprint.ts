import { createHash } from 'node:crypto';
import type { Architecture } from '../core/types.js';
import { stableJson } from '../core/stable-json.js';
import type { BaseSource, Template } from './model.js';

/**
 * The fingerprint of the image a template makes for one architecture: sha256 over a canonical
 * form of what determines that image. It is what "skip unchanged" compares.
 *
 * In: the base source (root templates) or the parent's fingerprint (children), the architecture,
 * the setup scripts in order, the validation tests (command and expectations, in any order), the
 * build instance type for the architecture and the volume size.
 * Out: names of steps and tests, timeouts and retries, description, version, ports, costs,
 * regions, tags, `amis`, comments, key order and YAML formatting.
 */
export function templateFingerprint(template: Template, arch: Architecture): string {
  const canonical = {
    v: 1,
    arch,
    ...(template.parent ? { parent: templateFingerprint(template.parent, arch) } : { base: canonicalBase(template.base) }),
    // A step that reboots after it is written {script, reboot}; the others stay plain, so adding
    // these fields changed no fingerprint of an existing template.
    setup: template.setup.map((step) => (step.reboot ? { script: step.script.trimEnd(), reboot: true } : step.script.trimEnd())),
    tests: template.tests.map((t) => stableJson({ command: t.command, output: t.output ?? null, exitCode: t.exitCode })).sort(),
    instanceType: template.build.instanceType[arch] ?? null,
    volumeSizeGb: template.build.volumeSizeGb ?? null,
    // What generalization changes is in the image: only a template that changes it counts.
    ...(template.build.generalize && (!template.build.generalize.enabled || template.build.generalize.script !== undefined)
      ? { generalize: { enabled: template.build.generalize.enabled, script: template.build.generalize.script?.trimEnd() ?? null } }
      : {}),
  };
  return `sha256:${createHash('sha256').update(stableJson(canonical)).digest('hex')}`;
}

/** The first 12 hex digits, for tables and image names. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.replace(/^sha256:/, '').slice(0, 12);
}

function canonicalBase(base: BaseSource): unknown {
  switch (base.kind) {
    case 'alias':
      return { alias: base.alias };
    case 'image':
      return { image: base.imageId };
    case 'filter':
      return { owners: [...base.owners].sort(), name: base.namePattern };
  }
}

export { stableJson } from '../core/stable-json.js';
