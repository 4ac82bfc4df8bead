import type { Architecture } from '../core/types.js';

/**
 * The registry document: the seed's "Centralized AMI Registry" JSON, read and written in that
 * shape. Everything prism adds (schema_version, history, fingerprint, …) is an addition; no seed
 * field is renamed. Unknown fields written by other tools are kept as they are.
 */

/**
 * The newest document layout this code reads; a document with a higher one is refused. Schema 2
 * adds the status `failed-validation`; a document is written as schema 1 while it has no such
 * image, so older prism-ami versions keep reading it (registry/slots.ts `schemaVersionOf`).
 */
export const CURRENT_SCHEMA_VERSION = 2;

/** The seed's `version` field of a document prism creates. */
export const DOCUMENT_FORMAT_VERSION = '1.0';

/** Region key of images built by the local provider. */
export const LOCAL_REGION = 'local';

export const IMAGE_STATUSES = ['current', 'superseded', 'revoked', 'deleted', 'failed-validation'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** One image ever recorded for a template, region and architecture. */
export interface HistoryEntry {
  ami_id: string;
  created: string;
  /** The template version it was built from (`legacy` for imported hard-coded IDs). */
  version: string;
  fingerprint?: string;
  source_ami?: string;
  build_id?: string;
  validated: boolean;
  validated_at?: string;
  status: ImageStatus;
  size_gb?: number;
  /** When prism recorded it. */
  recorded_at?: string;
  revoked_at?: string;
  revoke_reason?: string;
  deleted_at?: string;
  /** When its last validation failed (status failed-validation). */
  failed_validation_at?: string;
  /** The digest of its package manifest (a sidecar per image ID); absent for images recorded before manifests. */
  manifest_digest?: string;
  [extra: string]: unknown;
}

/** `amis.<region>.<arch>`: the seed's entry, always the current image, with prism's extras. */
export interface CurrentImage {
  ami_id: string;
  created: string;
  validated: boolean;
  size_gb?: number;
  version?: string;
  fingerprint?: string;
  source_ami?: string;
  build_id?: string;
  validated_at?: string;
  manifest_digest?: string;
  [extra: string]: unknown;
}

export type PerArch<T> = Partial<Record<Architecture, T>>;
export type PerRegion<T> = Record<string, PerArch<T>>;

export interface TemplateEntry {
  version?: string;
  description?: string;
  amis: PerRegion<CurrentImage>;
  ports?: number[];
  estimated_cost_per_hour?: PerArch<number>;
  /** Every image per region and architecture, oldest first. */
  history?: PerRegion<HistoryEntry[]>;
  [extra: string]: unknown;
}

export interface RegistryDocument {
  version: string;
  schema_version?: number;
  last_updated?: string;
  templates: Record<string, TemplateEntry>;
  [extra: string]: unknown;
}

/** Where one image sits: a template, region and architecture. */
export interface Slot {
  template: string;
  region: string;
  architecture: Architecture;
}

export function slotLabel(slot: Slot): string {
  return `${slot.template}.${slot.region}.${slot.architecture}`;
}
