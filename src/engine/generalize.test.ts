import { describe, expect, it } from 'vitest';
import { build, stepTrail } from '../../test/support/pipeline-harness.js';

const template = (build: string) => `
name: Demo
base_ami: {source: debian-12}
setup_script: echo hi
validation_tests:
  - name: ok
    command: "true"
    expected_exit_code: 0
build:
  retest_on_fresh_boot: false
${build}
`;

/** The settle step before setup and the generalization before the snapshot, with the in-memory cloud. */
describe('settle and generalize', () => {
  it('settle runs before the first setup step; its last line is the step detail', async () => {
    const { cloud, events } = await build(
      { exec: { settle: { stdout: 'cloud-init done in 12 s; waited for the package locks\n' } } },
      { yaml: template('') },
    );
    expect(cloud.calls.slice(4, 6)).toEqual(['exec command settle', 'exec script setup script']);
    expect(events.find((e) => e.type === 'step-end' && e.step === 'settle')).toMatchObject({
      status: 'ok',
      detail: 'cloud-init done in 12 s; waited for the package locks',
    });
  });

  it('a machine that does not settle in time fails the build with TIMEOUT, before any setup', async () => {
    const { cloud, outcome } = await build(
      { exec: { settle: { exitCode: 124, stderr: 'cloud-init was still running after 600 s\n' } } },
      { yaml: template('') },
    );
    expect(outcome.error).toMatchObject({
      code: 'TIMEOUT',
      message: 'the container did not settle: cloud-init was still running after 600 s',
    });
    expect(cloud.calls).not.toContain('exec script setup script');
  });

  it('generalizes after the tests and before the image; the template hook runs after it', async () => {
    const { cloud } = await build({}, { yaml: template('  generalize: {script: "rm -rf /opt/build-cache"}') });
    const at = cloud.calls.indexOf('createImage m-1');
    expect(cloud.calls.slice(at - 2, at + 1)).toEqual(['exec command generalize', 'exec script generalize (template)', 'createImage m-1']);
    const hook = cloud.execRequests.find((r) => r.name === 'generalize (template)');
    expect(hook).toMatchObject({ kind: 'script', script: 'rm -rf /opt/build-cache' });
  });

  it('build.generalize: false makes no generalize step', async () => {
    const { cloud, events } = await build({}, { yaml: template('  generalize: false') });
    expect(cloud.calls.some((c) => c.includes('generalize'))).toBe(false);
    expect(stepTrail(events)).not.toContain('start:generalize');
  });

  it('a failed generalization fails the build and keeps no image', async () => {
    const { cloud, outcome } = await build(
      { exec: { generalize: { exitCode: 2, stderr: 'rm: cannot remove\n' } } },
      { yaml: template('') },
    );
    expect(outcome.error).toMatchObject({ code: 'BUILD_FAILED', message: 'the generalization failed (exit 2): rm: cannot remove' });
    expect(cloud.calls).not.toContain('createImage m-1');
  });
});
