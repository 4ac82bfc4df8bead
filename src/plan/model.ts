import type { Architecture } from '../core/types.js';

export type Strategy = 'copy' | 'per-region';

export type ReasonCode =
  'new' | 'changed' | 'not-validated' | 'base-changed' | 'parent-rebuilt' | 'forced' | 'revoked' | 'missing-regions' | 'up-to-date';

export interface PlanReason {
  code: ReasonCode;
  /** One line for people, e.g. "base image ami-1 → ami-2". */
  detail: string;
}

export interface Estimate {
  /** Build and re-test machines together. */
  instanceHours: number;
  /** The part of instanceHours the fresh-boot re-tests take. */
  retestInstanceHours: number;
  buildUsd: number;
  /** GB moved between regions by copies. */
  copyGb: number;
  copyUsd: number;
  /** Snapshot storage the images will take, per month. */
  storageGbMonth: number;
  storageUsdPerMonth: number;
}

/** What happens to one template and architecture. */
export interface PlanItem {
  /** `template/architecture`. */
  key: string;
  template: string;
  architecture: Architecture;
  fingerprint: string;
  /** build: new image(s); copy: an up-to-date image exists, only copies are missing; skip. */
  action: 'build' | 'copy' | 'skip';
  reasons: PlanReason[];
  /** Every region the template wants its image in. */
  regions: string[];
  /** Where it is built (copy strategy: one; per-region: every region that needs it). */
  buildRegions: string[];
  /** Regions reached by copying. */
  copyTo: string[];
  /** For action copy: the existing image copies come from. */
  sourceImage?: { region: string; imageId: string };
  /** Key of the parent's item (extends); it runs first. */
  parent?: string;
  /** The base image the build starts from, when known (root templates). */
  baseImage?: string;
  instanceType: string;
  volumeGb: number;
  /** Asked for on the command line, rather than included as a parent. */
  requested: boolean;
  /** Each build boots its new image once more to re-run the tests (the fresh-boot re-test). */
  retest: boolean;
  estimate: Estimate;
}

export interface BuildPlan {
  strategy: Strategy;
  createdAt: string;
  items: PlanItem[];
  totals: { builds: number; copies: number; skips: number; estimate: Estimate };
  /** The same work with a build in every region (the seed's pipeline), to compare. */
  perRegion: { builds: number; estimate: Estimate };
}
