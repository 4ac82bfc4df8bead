import { join } from 'node:path';
import { expect } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import type { BuildEvent } from '../../src/core/events.js';
import { runBuild, type BuildRunSettings, type RunOutcome } from '../../src/engine/pipeline.js';
import type { Template } from '../../src/template/model.js';
import { MemoryCloud, type MemoryCloudOptions } from './memory-cloud.js';
import { tempDir } from './temp.js';
import { templateFromYaml } from './templates.js';

/** Runs the engine's build of a small template against an in-memory cloud (the pipeline's tests). */
export const TEMPLATE = `
name: Demo
description: a demo image
version: "1.2.3"
base_ami: {source: debian-12}
setup_steps:
  - name: Install
    timeout_seconds: 600
    script: |
      #!/bin/bash
      echo install
  - name: Configure
    script: echo configure
validation_tests:
  - name: service active
    command: systemctl is-active demo
    expected: active
    timeout_seconds: 30
  - name: page served
    command: curl -s localhost
    expected_contains: Hello
tags:
  team: research
`;

export const SINGLE_SETUP = `
name: Single
base_ami: {source: debian-12}
setup_script: |
  echo hi
validation_tests:
  - name: ok
    command: "true"
    expected_exit_code: 0
`;

/** Outputs that make the tests of TEMPLATE pass. */
export const PASSING = { 'service active': { stdout: 'active\n' }, 'page served': { stdout: '<p>Hello</p>\n' } };

export const BUILD_ID = 'build-0123456789ab';

export interface Harness {
  cloud: MemoryCloud;
  events: BuildEvent[];
  outcome: RunOutcome;
  dir: string;
  logFile: string;
  journalDir: string;
}

export async function build(
  cloudOptions: MemoryCloudOptions = {},
  settings: Partial<BuildRunSettings> & {
    yaml?: string;
    template?: Template;
    beforeRun?: (cloud: MemoryCloud, controller: AbortController) => void;
  } = {},
): Promise<Harness> {
  const dir = await tempDir();
  const cloud = new MemoryCloud({ ...cloudOptions, exec: { ...PASSING, ...cloudOptions.exec } });
  const events: BuildEvent[] = [];
  const controller = new AbortController();
  const { yaml, template, beforeRun, ...rest } = settings;
  const logFile = join(dir, 'logs', 'build.log');
  const journalDir = join(dir, 'runs');
  beforeRun?.(cloud, controller);
  const outcome = await runBuild({
    provider: cloud,
    template: template ?? templateFromYaml(yaml ?? TEMPLATE),
    architecture: 'x86_64',
    version: '1.2.3',
    buildId: BUILD_ID,
    fingerprint: 'fp-1',
    emit: (e) => events.push(e),
    signal: controller.signal,
    logFile,
    journalDir,
    clock: fixedClock('2024-06-17T08:30:00Z'),
    ...rest,
  });
  return { cloud, events, outcome, dir, logFile, journalDir };
}

export function runEnd(events: BuildEvent[]): Extract<BuildEvent, { type: 'run-end' }> {
  const ends = events.filter((e): e is Extract<BuildEvent, { type: 'run-end' }> => e.type === 'run-end');
  expect(ends).toHaveLength(1);
  expect(events.at(-1)).toBe(ends[0]);
  return ends[0];
}

/** step-start / step-end as `start:id` / `end:id:status`. */
export function stepTrail(events: BuildEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'step-start' ? [`start:${e.step}`] : e.type === 'step-end' ? [`end:${e.step}:${e.status}`] : [],
  );
}

export const ALL_STEPS = [
  'preflight',
  'find-base',
  'launch',
  'wait-ready',
  'settle',
  'setup-1',
  'setup-2',
  'validate',
  'generalize',
  'create-image',
  'retest-launch',
  'retest-wait-ready',
  'retest',
  'record',
];
