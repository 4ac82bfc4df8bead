import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { ImageManifest } from '../core/manifest.js';
import { ARCHITECTURES, type Architecture } from '../core/types.js';
import { priceTable } from '../plan/prices.js';
import { diffManifests } from '../registry/manifest/diff.js';
import type { ManifestStore } from '../registry/manifest/store.js';
import { LOCAL_REGION, type HistoryEntry, type RegistryDocument } from '../registry/model.js';
import { history } from '../registry/queries.js';
import { templateSlots } from '../registry/slots.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { TemplateLibrary } from '../template/library.js';
import type { ImageChange, SiteModel, SlotView, StaleReason, TemplateView, TimelineItem } from './report-model.js';
import { withRegistry } from './registry-session.js';

export interface ReportOptions extends SettingsInput {
  out: string;
  /** Images older than this are marked stale (default 30 days). */
  staleDays?: number;
  clock?: Clock;
}

export interface ReportSiteResult {
  out: string;
  index: string;
  pages: string[];
}

const DAY_MS = 86_400_000;

/**
 * `prism ami report`, first half: everything the site shows, from the registry, its manifests
 * and the templates folder. render/report-site draws it; writeSite writes the pages.
 */
export async function reportModel(options: Omit<ReportOptions, 'out'>): Promise<SiteModel> {
  const settings = resolveSettings(options);
  return withRegistry(settings, async (store) => {
    const doc = await store.read();
    return buildSiteModel(doc, {
      registry: store.location,
      manifests: store.manifests,
      templatesDir: settings.templatesDir,
      staleDays: options.staleDays ?? 30,
      snapshotPerGbMonth: priceTable(settings.prices).snapshotPerGbMonth,
      now: (options.clock ?? systemClock).now(),
    });
  });
}

/** Writes the pages (path → HTML) under `out`; templates/ is rewritten, so no page of a removed template stays. */
export async function writeSite(out: string, files: Record<string, string>): Promise<ReportSiteResult> {
  const dir = resolve(out);
  await rm(join(dir, 'templates'), { recursive: true, force: true });
  await mkdir(join(dir, 'templates'), { recursive: true });
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
  return { out: dir, index: join(dir, 'index.html'), pages: Object.keys(files).sort() };
}

interface ModelInput {
  registry: string;
  manifests: ManifestStore;
  templatesDir: string;
  staleDays: number;
  snapshotPerGbMonth: number;
  now: Date;
}

export async function buildSiteModel(doc: RegistryDocument, input: ModelInput): Promise<SiteModel> {
  const library = new TemplateLibrary(input.templatesDir);
  const files = new Set((await library.list().catch(() => [])).map((t) => t.slug));
  const manifestCache = new Map<string, Promise<ImageManifest | undefined>>();
  const manifestOf = (entry: HistoryEntry) => {
    if (!entry.manifest_digest) return Promise.resolve(undefined);
    let cached = manifestCache.get(entry.ami_id);
    if (!cached) {
      cached = input.manifests.get(entry.ami_id).catch(() => undefined);
      manifestCache.set(entry.ami_id, cached);
    }
    return cached;
  };
  const templates: TemplateView[] = [];
  const timeline: TimelineItem[] = [];
  const regions = new Set<string>();
  const architectures = new Set<Architecture>();
  for (const slug of Object.keys(doc.templates).sort()) {
    const entry = doc.templates[slug];
    const fingerprints = files.has(slug) ? await currentFingerprints(library, slug) : undefined;
    const slots: SlotView[] = [];
    for (const slot of templateSlots(doc, slug)) {
      regions.add(slot.region);
      architectures.add(slot.architecture);
      const list = [...history(doc, slot)];
      for (const h of list) timeline.push({ ...slot, entry: h });
      slots.push(await slotView(slot.region, slot.architecture, list, fingerprints?.[slot.architecture], input, manifestOf));
    }
    templates.push({
      slug,
      ...(entry.description !== undefined ? { description: entry.description } : {}),
      ...(entry.version !== undefined ? { version: entry.version } : {}),
      hasTemplateFile: files.has(slug),
      slots,
    });
  }
  timeline.sort((a, b) => (a.entry.created < b.entry.created ? 1 : a.entry.created > b.entry.created ? -1 : 0));
  const regionList = [...regions].sort((a, b) => (a === LOCAL_REGION ? 1 : b === LOCAL_REGION ? -1 : a.localeCompare(b)));
  return {
    generatedAt: input.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    registry: input.registry,
    staleDays: input.staleDays,
    snapshotPerGbMonth: input.snapshotPerGbMonth,
    regions: regionList,
    architectures: ARCHITECTURES.filter((a) => architectures.has(a)),
    templates,
    timeline,
    totalMonthlyCost: templates.reduce((n, t) => n + t.slots.reduce((m, s) => m + s.monthlyCost, 0), 0),
  };
}

async function currentFingerprints(library: TemplateLibrary, slug: string): Promise<Partial<Record<Architecture, string>> | undefined> {
  try {
    const template = await library.resolve(slug);
    return Object.fromEntries(ARCHITECTURES.map((a) => [a, templateFingerprint(template, a)]));
  } catch {
    // A template that does not load (lint errors, a missing parent) tells no drift.
    return undefined;
  }
}

async function slotView(
  region: string,
  architecture: Architecture,
  list: HistoryEntry[],
  fingerprint: string | undefined,
  input: ModelInput,
  manifestOf: (entry: HistoryEntry) => Promise<ImageManifest | undefined>,
): Promise<SlotView> {
  const current = list.find((h) => h.status === 'current');
  const stale: StaleReason[] = [];
  let ageDays: number | undefined;
  if (!current) stale.push('no-current');
  else {
    ageDays = Math.floor((input.now.getTime() - Date.parse(current.created)) / DAY_MS);
    if (fingerprint && current.fingerprint && fingerprint !== current.fingerprint) stale.push('drift');
    if (ageDays > input.staleDays) stale.push('age');
    if (!current.validated) stale.push('unvalidated');
  }
  const live = list.filter((h) => h.status !== 'deleted');
  const price = region === LOCAL_REGION ? 0 : input.snapshotPerGbMonth;
  const changes: ImageChange[] = [];
  const ordered = list.filter((h) => h.status !== 'deleted' || h.manifest_digest);
  for (let i = 1; i < ordered.length; i++) changes.push(await change(ordered[i - 1], ordered[i], manifestOf));
  return {
    region,
    architecture,
    ...(current ? { current } : {}),
    ...(ageDays !== undefined ? { ageDays } : {}),
    stale,
    ...(stale.includes('drift') && fingerprint ? { templateFingerprint: fingerprint } : {}),
    history: list,
    revoked: list.filter((h) => h.status === 'revoked').length,
    failed: list.filter((h) => h.status === 'failed-validation').length,
    monthlyCost: live.reduce((n, h) => n + (h.size_gb ?? 0) * price, 0),
    changes: changes.reverse(),
  };
}

async function change(
  from: HistoryEntry,
  to: HistoryEntry,
  manifestOf: (e: HistoryEntry) => Promise<ImageManifest | undefined>,
): Promise<ImageChange> {
  try {
    const [a, b] = await Promise.all([manifestOf(from), manifestOf(to)]);
    if (a && b) return { from, to, diff: diffManifests(a, b) };
    const missing = [a ? undefined : from.ami_id, b ? undefined : to.ami_id].filter(Boolean).join(' and ');
    return { from, to, note: `manifest not recorded for ${missing}` };
  } catch (error) {
    return { from, to, note: errorMessage(error) };
  }
}
