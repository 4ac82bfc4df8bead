import { Document, isMap, isSeq } from 'yaml';
import { templateAsDocument } from './describe.js';
import type { Template } from './model.js';

/**
 * A template (any format) written as a prism-ami template file: the resolved setup steps,
 * validation tests (derived ones say what they check), base, architectures, regions, ports and
 * costs, under a header that says where it came from and what was left out as launch-time. The
 * file has the same fingerprint as the template it came from.
 */
export function convertedTemplateText(template: Template, sourceFile: string): string {
  const formatName = { prism: "Prism's launcher format", legacy: 'the legacy Prism AMI format', 'prism-ami': 'the prism-ami format' }[
    template.format
  ];
  const header = [
    `Converted by prism-ami from ${sourceFile} (${formatName}).`,
    ...(template.format === 'prism'
      ? ["Generated from what it installs, with Prism's meaning (docs/templates.md#prisms-launcher-format)."]
      : []),
  ];
  if (template.inherits?.length) header.push(`Its inherits (${template.inherits.join(', ')}) are merged in: this file needs none of them.`);
  const launchTime = template.launchTime ?? [];
  if (launchTime.length > 0) {
    header.push('Left out as launch-time (the launcher still does these when an instance starts):');
    for (const field of launchTime) header.push(`  ${field.key}: ${field.why}`);
  }
  if (template.parent) header.push(`Built on the image of ${template.parent.slug} (extends).`);
  const doc = new Document(templateAsDocument(template), { aliasDuplicateObjects: false });
  doc.commentBefore = header.map((line) => ` ${line}`).join('\n');
  const derived = new Map(template.tests.flatMap((t) => (t.derivedFrom ? [[t.name, t.derivedFrom] as const] : [])));
  const tests = doc.get('validation_tests', true);
  if (isSeq(tests)) {
    for (const item of tests.items) {
      if (!isMap(item)) continue;
      const from = derived.get(String(item.get('name')));
      if (from) item.commentBefore = ` derived from ${from}`;
    }
  }
  return doc.toString({ lineWidth: 0 });
}
