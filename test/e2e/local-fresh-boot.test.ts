import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLEAN, events, leftovers, LocalSuite, requireOrSkipLocal } from '../support/local-env.js';

/**
 * The fresh-boot re-test and reboot steps with real containers: a service setup started but did
 * not enable passes in the build container and fails on a fresh boot of the image (no image is
 * kept); enabled, it passes both; a step with reboot: true really reboots the container before
 * the next step.
 */
const runnable = requireOrSkipLocal();

/** A unit that runs forever, started by setup; `enable` decides whether it survives a boot. */
function service(name: string, start: string): string {
  return `name: ${name}
base_ami: {source: debian-12, architecture: [x86_64]}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  cat > /etc/systemd/system/demo.service <<'UNIT'
  [Unit]
  Description=a demo service
  [Service]
  ExecStart=/bin/sleep infinity
  [Install]
  WantedBy=multi-user.target
  UNIT
  systemctl daemon-reload
  ${start}
validation_tests:
  - name: demo is active
    command: systemctl is-active demo
    expected: active
`;
}

const REBOOTING = `name: Rebooting
base_ami: {source: debian-12, architecture: [x86_64]}
setup_steps:
  - name: before the reboot
    reboot: true
    script: |
      set -eu
      date +%s%N > /run/first-boot
      echo first > /etc/boots
  - name: after the reboot
    script: |
      set -eu
      # /run is a new tmpfs on a new boot: the file of the first boot is gone.
      test ! -e /run/first-boot
      echo second >> /etc/boots
validation_tests:
  - name: both steps ran, on two boots
    command: cat /etc/boots
    expected: "first\\nsecond"
`;

describe.runIf(runnable).sequential('local builds: the fresh-boot re-test and reboot steps', { timeout: 600_000 }, () => {
  const suite = new LocalSuite('prism-e2e-fresh-', {
    'started-only.yml': service('Started only', 'systemctl start demo'),
    'enabled.yml': service('Enabled', 'systemctl enable --now demo'),
    'rebooting.yml': REBOOTING,
    'started-only-opted-out.yml': service('Started only, opted out', 'systemctl start demo') + 'build: {retest_on_fresh_boot: false}\n',
  });
  const prism = (args: string[]) => suite.prism(args);
  // A step restored from the step cache does not leave its services running: these tests are
  // about what setup left running in the build container, so every step runs.
  const build = (slug: string, ...more: string[]) => suite.build(slug, '--no-cache', ...more);
  const images = async () => (await readdir(suite.e.imageDir)).filter((n) => n.startsWith('limg-'));

  test('a service started but not enabled passes in the build container, fails on a fresh boot: exit 1, no image kept', async () => {
    const result = await build('started-only');
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain('✅ All tests passed: 1/1');
    expect(result.stdout).toMatch(/Launching a fresh container from limg-[0-9a-f]{12}/);
    expect(result.stdout).toContain('❌ demo is active');
    expect(result.stderr + result.stdout).toContain(
      '1 of 1 validation tests passed in the build container but failed on a fresh boot of the new image: demo is active',
    );
    expect(await images()).toEqual([]);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test('--keep-on-failure keeps the fresh container and the image it boots from; sweep --include-kept removes both', async () => {
    const result = await build('started-only', '--keep-on-failure');
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/nsenter --target \d+ --all/);
    expect((await readdir(suite.e.imageDir)).filter((n) => n.endsWith('.partial'))).toHaveLength(1);
    expect((await leftovers(suite.e)).processes.length).toBeGreaterThan(0);
    const swept = await prism(['ami', 'sweep', '--provider', 'local', '--include-kept']);
    expect(swept.code, swept.stdout + swept.stderr).toBe(0);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test.each([
    ['--no-retest', 'started-only', ['--no-retest']],
    ['build.retest_on_fresh_boot: false', 'started-only-opted-out', []],
  ])('%s lets the same template through on the build container alone', async (_how, slug, flags) => {
    const result = await build(slug, ...flags, '--json');
    expect(result.code, result.stdout.slice(-2000) + result.stderr).toBe(0);
    expect(events(result.stdout).some((ev) => ev.type === 'step-start' && ev.step === 'retest')).toBe(false);
    const [id] = await images();
    const metadata = JSON.parse(await readFile(join(suite.e.imageDir, id, 'metadata.json'), 'utf8')) as { validatedOn: string };
    expect(metadata.validatedOn).toBe('build-machine');
    await rm(join(suite.e.imageDir, id), { recursive: true });
  });

  test('enabled, it passes in the build container and on a fresh boot; the image says where it was validated', async () => {
    const result = await build('enabled', '--json');
    expect(result.code, result.stdout.slice(-2000) + result.stderr).toBe(0);
    const all = events(result.stdout);
    const steps = all.filter((ev) => ev.type === 'step-end').map((ev) => `${String(ev.step)}:${String(ev.status)}`);
    expect(steps).toEqual(expect.arrayContaining(['validate:ok', 'create-image:ok', 'retest-launch:ok', 'retest:ok', 'record:ok']));
    expect(all.filter((ev) => ev.type === 'test-result')).toHaveLength(2);
    const [id] = await images();
    const metadata = JSON.parse(await readFile(join(suite.e.imageDir, id, 'metadata.json'), 'utf8')) as {
      validatedOn: string;
      validated: boolean;
    };
    expect(metadata).toMatchObject({ validatedOn: 'fresh-boot', validated: true });
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test('a setup step with reboot: true reboots the container before the next step', async () => {
    const result = await build('rebooting', '--no-retest');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('✅ Container rebooted');
    expect(result.stdout).toContain('✅ after the reboot done');
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });
});
