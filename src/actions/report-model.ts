import type { Architecture } from '../core/types.js';
import type { HistoryEntry } from '../registry/model.js';
import type { ManifestDiff } from '../registry/manifest/diff.js';

/** What the report site shows, gathered by actions/report.ts and drawn by render/report-site. */
export interface SiteModel {
  generatedAt: string;
  registry: string;
  staleDays: number;
  snapshotPerGbMonth: number;
  regions: string[];
  architectures: Architecture[];
  templates: TemplateView[];
  /** Every image ever recorded, newest first. */
  timeline: TimelineItem[];
  /** Monthly snapshot storage of every image that still exists. */
  totalMonthlyCost: number;
}

export interface TemplateView {
  slug: string;
  description?: string;
  version?: string;
  /** false: no template file of that name in the templates folder (no drift can be told). */
  hasTemplateFile: boolean;
  slots: SlotView[];
}

/** Why a cell needs attention. */
export type StaleReason = 'drift' | 'age' | 'unvalidated' | 'no-current';

export interface SlotView {
  region: string;
  architecture: Architecture;
  current?: HistoryEntry;
  ageDays?: number;
  stale: StaleReason[];
  /** The template's fingerprint now, when it differs from the current image's. */
  templateFingerprint?: string;
  /** Oldest first. */
  history: HistoryEntry[];
  revoked: number;
  failed: number;
  monthlyCost: number;
  /** Package changes between consecutive images of the slot (older → newer), newest first. */
  changes: ImageChange[];
}

export interface ImageChange {
  from: HistoryEntry;
  to: HistoryEntry;
  diff?: ManifestDiff;
  /** Why there is no diff ("not recorded"). */
  note?: string;
}

export interface TimelineItem {
  template: string;
  region: string;
  architecture: Architecture;
  entry: HistoryEntry;
}
