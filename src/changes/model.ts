import type { Architecture } from '../core/types.js';

/** A template of the working tree, as change detection sees it. */
export interface TemplateNode {
  slug: string;
  /** The slug its file `extends`; read even when the rest of the file is invalid. */
  parent?: string;
  /** The slugs of the Prism templates it `inherits` (merged into it: a change to one changes it). */
  inherits?: string[];
  /** The architectures it builds, `extends` resolved; undefined when it does not resolve. */
  architectures?: Architecture[];
  /** Why it does not parse or resolve (the build reports the details). */
  problem?: string;
}

/** Why a template is to be built. */
export type Reason =
  /** Its own file was added, changed or renamed to this name. */
  | { kind: 'changed'; path: string }
  /** Its parent is built in the same run, so its base image changes. */
  | { kind: 'extends'; parent: string }
  /** A Prism template it inherits from changed, and is merged into it. */
  | { kind: 'inherits'; parent: string }
  /** Its parent was removed or renamed: the build will say what to fix. */
  | { kind: 'parent-removed'; parent: string }
  /** A file in a shared folder the templates read changed. */
  | { kind: 'shared'; path: string }
  /** Named on the command line (`--templates`). */
  | { kind: 'requested' }
  /** There is no earlier commit to compare with. */
  | { kind: 'no-history' };

export interface SelectedTemplate {
  template: string;
  reasons: Reason[];
  problem?: string;
}

export interface IgnoredChange {
  template: string;
  path: string;
  why: string;
}

export interface MatrixEntry {
  template: string;
  architecture: Architecture;
}

/** What GitHub Actions' `strategy.matrix` takes through `fromJson`. */
export interface Matrix {
  include: MatrixEntry[];
}
