import { describe, expect, test } from 'vitest';
import type { SetupStep } from '../template/model.js';
import { setupStepKeys } from './step-keys.js';

const step = (name: string, script: string, extra: Partial<SetupStep> = {}): SetupStep => ({
  name,
  script,
  timeoutSeconds: 60,
  reboot: false,
  sourcePath: ['setup_steps', 0],
  ...extra,
});

describe('setupStepKeys', () => {
  const steps = [step('a', 'apt-get install -y nginx'), step('b', 'echo hi > /srv/x'), step('c', 'true')];
  const keys = setupStepKeys('debian-12-x86_64-1', 'x86_64', steps);

  test('one key per step, all different, stable', () => {
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    expect(setupStepKeys('debian-12-x86_64-1', 'x86_64', steps)).toEqual(keys);
  });

  test('editing a step changes its key and every later one, never an earlier one', () => {
    const edited = setupStepKeys('debian-12-x86_64-1', 'x86_64', [steps[0], step('b', 'echo bye > /srv/x'), steps[2]]);
    expect(edited[0]).toBe(keys[0]);
    expect(edited[1]).not.toBe(keys[1]);
    expect(edited[2]).not.toBe(keys[2]);
  });

  test('a new base, another architecture or a reboot flag miss; a renamed step or a new timeout hits', () => {
    expect(setupStepKeys('debian-12-x86_64-2', 'x86_64', steps)[0]).not.toBe(keys[0]);
    expect(setupStepKeys('debian-12-x86_64-1', 'arm64', steps)[0]).not.toBe(keys[0]);
    expect(setupStepKeys('debian-12-x86_64-1', 'x86_64', [step('a', steps[0].script, { reboot: true })])[0]).not.toBe(keys[0]);
    expect(setupStepKeys('debian-12-x86_64-1', 'x86_64', [step('renamed', steps[0].script, { timeoutSeconds: 5 })])[0]).toBe(keys[0]);
  });
});
