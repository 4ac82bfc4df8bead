import type { Architecture } from './types.js';

/**
 * The typed events of a build, validation or multi-target run. Renderers (human, plain, json)
 * and the build log consume them; docs/events.md documents the JSON form. Fields are only ever
 * added, never renamed.
 */

/** Which build an event belongs to: build-all runs many at once. */
export interface Target {
  template: string;
  architecture: Architecture;
  region: string;
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'cancelled';

export interface TestResult {
  name: string;
  status: 'passed' | 'failed';
  attempts: number;
  durationMs: number;
  exitCode: number | null;
  /** Why it failed, in one line. */
  reason?: string;
  /** The end of the command's output, for the report. */
  excerpt: string;
}

export interface ImageInfo {
  id: string;
  name: string;
  region: string;
  sizeBytes?: number;
}

export type BuildEvent =
  | {
      type: 'run-start';
      /** copy: an up-to-date image is only copied to more regions (build-all). */
      kind: 'build' | 'validate' | 'copy';
      buildId: string;
      target: Target;
      provider: string;
      version: string;
      fingerprint: string;
      logFile: string;
    }
  | { type: 'step-start'; target: Target; step: string; title: string }
  /** origin: a `==> text` line of the setup script, or the tool's own progress. */
  | { type: 'step-progress'; target: Target; step: string; message: string; origin: 'script' | 'tool' }
  | { type: 'step-output'; target: Target; step: string; line: string }
  | {
      type: 'step-end';
      target: Target;
      step: string;
      title: string;
      status: StepStatus;
      durationMs: number;
      detail?: string;
      error?: string;
    }
  | {
      type: 'test-result';
      target: Target;
      /** The step the test ran in: validate, or retest (the fresh boot). */ step: string;
      result: TestResult;
    }
  | { type: 'cleanup'; target: Target; resource: string; status: 'removed' | 'kept' | 'failed'; error?: string }
  | { type: 'notice'; target: Target; level: 'info' | 'warning'; message: string }
  | {
      type: 'run-end';
      kind: 'build' | 'validate' | 'copy';
      target: Target;
      /** partial: the image was made but some region copies failed. */
      status: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'partial';
      durationMs: number;
      image?: ImageInfo;
      /** Regions the image was copied to, with their image IDs. */
      copies?: ImageInfo[];
      tests?: TestResult[];
      error?: { code: string; message: string; hint?: string };
      /** Resources left on purpose (--keep-on-failure) or that cleanup could not remove. */
      leftovers?: string[];
      /** How to reach a kept build machine, or to remove leftovers. */
      hints?: string[];
    };

/** Anything that consumes build events. */
export type EventSink = (event: BuildEvent) => void;

export function fanOut(...sinks: (EventSink | undefined)[]): EventSink {
  const live = sinks.filter((s): s is EventSink => s !== undefined);
  return (event) => {
    for (const sink of live) sink(event);
  };
}

export function targetLabel(target: Target): string {
  return target.region === 'local'
    ? `${target.template} ${target.architecture}`
    : `${target.template} ${target.architecture} ${target.region}`;
}
