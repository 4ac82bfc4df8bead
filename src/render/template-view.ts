import { Document, isMap, isSeq } from 'yaml';
import type { TemplateSummary } from '../template/describe.js';

/** `show`'s human form: a header of comments, then the resolved template as YAML. */
export function formatTemplateSummary(summary: TemplateSummary): string {
  const inherited = new Set(summary.inheritedTests);
  const header = [
    `# ${summary.slug}  (${summary.file}, ${summary.format} format)`,
    ...(summary.chain.length > 1
      ? [`# extends: ${summary.chain.join(' → ')} (built on the parent's image; only this template's setup runs)`]
      : []),
    ...Object.entries(summary.fingerprints).map(([arch, fp]) => `# fingerprint ${arch.padEnd(6)} ${fp}`),
    ...(summary.inherits.length > 0 ? [`# inherits: ${summary.inherits.join(', ')} (merged into this template, as Prism merges)`] : []),
    ...(summary.notBuilt ? [`# not built: ${summary.notBuilt.message}`, `#   ${summary.notBuilt.fix}`] : []),
    ...(summary.launchTime.length > 0 ? ['# launch-time, not built:'] : []),
    ...summary.launchTime.map((f) => `#   ${f.key}: ${f.why}`),
    ...(summary.nothingToBuild
      ? [`# nothing to build: the image would be ${summary.nothingToBuild}; everything this template sets up happens at launch`]
      : []),
  ];
  const derived = new Map(summary.derivedTests.map((t) => [t.name, t.from]));
  const doc = new Document(summary.template, { aliasDuplicateObjects: false });
  const tests = doc.get('validation_tests', true);
  if (isSeq(tests)) {
    tests.items.forEach((item) => {
      if (!isMap(item)) return;
      const name = String(item.get('name'));
      if (inherited.has(name)) item.commentBefore = ' inherited from the parent';
      else if (derived.has(name)) item.commentBefore = ` derived from ${derived.get(name)}`;
    });
  }
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0 })}`;
}
