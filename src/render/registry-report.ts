import type { ImportReport } from '../actions/import-legacy.js';
import type { RevokeReport } from '../actions/revoke.js';
import type { RollbackReport } from '../actions/rollback.js';
import type { UpdateRegistryReport } from '../actions/update-registry.js';
import type { UpdateTemplatesReport } from '../actions/update-templates.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';

/** Text output of the registry verbs that change something. */

export function formatPublished(published: readonly PublishedParameter[]): string {
  return published
    .map((p) =>
      p.action === 'put'
        ? `  ssm ${p.region} ${p.name} = ${p.amiId}${p.version !== undefined ? ` (version ${p.version})` : ''}\n`
        : p.action === 'delete'
          ? `  ssm ${p.region} ${p.name} deleted (no current image)\n`
          : `  ssm ${p.region} ${p.name} already ${p.amiId ?? 'absent'}\n`,
    )
    .join('');
}

export function formatUpdateRegistry(r: UpdateRegistryReport): string {
  const label = `${r.template}.${r.region}.${r.architecture}`;
  const head =
    r.outcome.status === 'recorded'
      ? `Recorded ${label} = ${r.amiId} (version ${r.version}, ${r.validated ? 'validated' : 'not validated'})${r.outcome.previous ? `; ${r.outcome.previous} is superseded` : ''}\n`
      : `${label}: ${r.amiId} is already recorded (${r.outcome.imageStatus}); nothing changed\n`;
  return head + formatPublished(r.published);
}

export function formatRollback(r: RollbackReport): string {
  const label = `${r.template}.${r.region}.${r.architecture}`;
  const head = r.changed ? `Rolled back ${label}: ${r.from ?? '(none)'} → ${r.to}\n` : `${label} is already ${r.to}; nothing changed\n`;
  return head + formatPublished(r.published);
}

export function formatRevoke(r: RevokeReport): string {
  if (!r.changed) return `${r.amiId} is already revoked; nothing changed\n`;
  const what = (s: RevokeReport['slots'][number]) => {
    const label = `${s.template}.${s.region}.${s.architecture}`;
    if (s.already) return `${s.amiId} (${label}) was already revoked`;
    if (!s.wasCurrent) return `${s.amiId} (${label}, not current)`;
    return s.replacedBy ? `${s.amiId}: ${label} is now ${s.replacedBy}` : `${s.amiId}: ${label} has no current image now`;
  };
  if (r.slots.length === 1) return `Revoked ${what(r.slots[0])}\n${formatPublished(r.published)}`;
  const copies = r.slots.filter((s) => s.amiId !== r.amiId).length;
  const head =
    r.scope === 'lineage'
      ? `Revoked ${r.amiId} and the ${copies} region cop${copies === 1 ? 'y' : 'ies'} of the same build (--only-this-region revokes just the one):\n`
      : `Revoked ${r.amiId}:\n`;
  return head + r.slots.map((s) => `  revoked ${what(s)}\n`).join('') + formatPublished(r.published);
}

export function formatImport(r: ImportReport): string {
  const words = {
    imported: 'imported',
    'already-recorded': 'already recorded',
    'kept-current': 'kept the current image',
    revoked: 'revoked in the registry: not imported',
  } as const;
  const lines = r.images.map(
    (i) =>
      `  ${i.template}.${i.region}.${i.architecture} = ${i.amiId}  ${words[i.status]}${i.current ? ` ${i.current} (--replace makes the legacy image current)` : ''}\n`,
  );
  const count = r.images.filter((i) => i.status === 'imported').length;
  return `Imported ${count} of ${r.images.length} images from ${r.file} (${r.format}) as version legacy\n${lines.join('')}${formatPublished(r.published)}`;
}

/** The seed's `r-research.us-east-1.x86_64 = ami-…` lines on stdout; a status line per file. */
export function formatUpdateTemplates(r: UpdateTemplatesReport, check: boolean): { out: string; err: string } {
  if (r.generated) {
    const g = r.generated;
    if (g.status === 'printed') return { out: g.content, err: '' };
    const word = { written: 'written', 'up-to-date': 'up to date', 'out-of-date': 'out of date', printed: '' }[g.status];
    return { out: '', err: `${g.file}: ${word}\n` };
  }
  let out = '';
  let err = '';
  for (const t of r.templates) {
    const word = {
      updated: 'updated',
      'up-to-date': 'up to date',
      'out-of-date': check ? 'out of date' : 'would change',
      skipped: 'skipped',
    }[t.status];
    err += `${t.file}: ${word}${t.reason ? ` (${t.reason})` : ''}\n`;
    if (t.status !== 'skipped') out += t.lines.map((l) => `${l}\n`).join('');
  }
  return { out, err };
}
