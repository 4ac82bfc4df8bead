import { describe, expect, it } from 'vitest';
import { build, stepTrail } from '../../test/support/pipeline-harness.js';

const REBOOTING = `
name: Rebooting
base_ami: {source: debian-12}
setup_steps:
  - name: Kernel
    reboot: true
    script: apt-get install -y linux-image-amd64
  - name: After
    script: uname -r
build:
  retest_on_fresh_boot: false
`;

/** Reboot steps (engine/reboot.ts), against the in-memory cloud. */
describe('a setup step with reboot: true', () => {
  it('marks the boot, reboots, waits until ready on a new boot, then runs the next step', async () => {
    const { cloud, events, outcome } = await build({}, { yaml: REBOOTING });
    expect(outcome.status).toBe('succeeded');
    expect(cloud.calls.slice(3, 11)).toEqual([
      'waitReady m-1',
      'exec command settle',
      'exec script Kernel',
      'exec command mark this boot',
      'reboot m-1',
      'waitReady m-1',
      'exec command new boot?',
      'exec script After',
    ]);
    expect(stepTrail(events)).toContain('end:reboot-1:ok');
    const title = events.find((e) => e.type === 'step-start' && e.step === 'reboot-1');
    expect(title).toMatchObject({ title: 'Rebooting the container (after "Kernel")' });
  });

  it('keeps waiting while the machine still answers from the old boot', async () => {
    const { cloud, outcome } = await build({ exec: { 'new boot?': [{ exitCode: 1 }, { exitCode: 0 }] } }, { yaml: REBOOTING });
    expect(outcome.status).toBe('succeeded');
    expect(cloud.calls.filter((c) => c === 'exec command new boot?' || c === 'waitReady m-1')).toEqual([
      'waitReady m-1',
      'waitReady m-1',
      'exec command new boot?',
      'waitReady m-1',
      'exec command new boot?',
    ]);
  }, 20_000);

  it('a reboot the cloud refuses fails the build at that step and removes everything', async () => {
    const { cloud, events, outcome } = await build({ failAt: { reboot: new Error('IncorrectState') } }, { yaml: REBOOTING });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('IncorrectState');
    expect(stepTrail(events)).toContain('end:reboot-1:failed');
    expect(cloud.calls).not.toContain('exec script After');
    expect(cloud.remaining()).toEqual([]);
  });

  it('a step without reboot does not reboot', async () => {
    const { cloud } = await build({}, { yaml: REBOOTING.replace('reboot: true', 'reboot: false') });
    expect(cloud.calls.some((c) => c.startsWith('reboot'))).toBe(false);
  });
});
