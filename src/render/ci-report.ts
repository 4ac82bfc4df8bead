import { relative } from 'node:path';
import type { CiInitReport } from '../actions/ci-init.js';
import type { StagesReport } from '../actions/ci-stages.js';
import { describeToolSource } from '../ci/tool-source.js';

/** `prism ami ci stages` as text (also a Markdown list, for a job summary). */
export function formatStages(report: StagesReport): string {
  if (report.total === 0) return 'Nothing to build.\n';
  const lines = report.stages.map((stage, i) => {
    const byTemplate = new Map<string, string[]>();
    for (const e of stage.include) byTemplate.set(e.template, [...(byTemplate.get(e.template) ?? []), e.architecture]);
    const what = [...byTemplate].map(([t, archs]) => `${t} (${archs.join(', ')})`).join(', ');
    return `- stage ${i + 1}: ${what || 'nothing'}`;
  });
  return `Builds (${report.total}), each stage after the one before:\n\n${lines.join('\n')}\n`;
}

/** `prism ami ci init` as text. */
export function formatCiInit(report: CiInitReport): string {
  const s = report.settings;
  const install = describeToolSource(s.source);
  let text = `${report.overwritten ? 'Replaced' : 'Wrote'} ${display(report.file)}\n`;
  text += `  push to ${s.branch} changing ${s.templatesPath || '.'}/${s.sharedPaths.map((p) => `, ${p}/`).join('')}; weekly "${s.schedule}"; on demand\n`;
  text += `  ${s.stages} build stages (a template after the one it extends); prism-ami from ${install}\n`;
  text += `  role ${s.roleArn ?? '(not set)'}; registry ${s.registry ?? '(not set)'}; regions ${s.regions?.join(',') ?? '(not set)'}\n`;
  text += `  updated templates: ${s.openPr ? 'a pull request' : `committed to ${s.branch}`}\n`;
  if (report.missing.length > 0) {
    text += `Not set: ${report.missing.join(', ')}. The workflow stops at its first step with a message until they are (run again with --force and them).\n`;
  }
  const commit = s.source.kind === 'lockfile' ? `the workflow with package.json and ${s.source.lockfile}` : 'the workflow';
  text += `Next: set up the OIDC role and the S3 bucket (docs/ci.md), then commit ${commit}.\n`;
  return text;
}

/** A path relative to the current folder when it is inside it. */
function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
