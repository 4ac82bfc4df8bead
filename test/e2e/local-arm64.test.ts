import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CLEAN, events, leftovers, LocalSuite, requireOrSkipLocal } from '../support/local-env.js';

/**
 * A local build of the other architecture (arm64 on an x86_64 host) under qemu-user-static, end
 * to end: plan plans arm64, the build's commands really run as aarch64, and the image validates
 * on a fresh boot. scripts/install-deps.sh --with-qemu registers the emulator; CI requires it.
 */
const runnable = requireOrSkipLocal();
const emulated = process.arch === 'x64' && existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64');
if (runnable && !emulated && process.arch === 'x64' && process.env.PRISM_AMI_REQUIRE_E2E === '1') {
  throw new Error('the arm64 local build test is required but qemu-aarch64 is not registered: bash scripts/install-deps.sh --with-qemu');
}

const TEMPLATE = `name: Arm
base_ami: {source: debian-12, architecture: [x86_64, arm64]}
setup_script: |
  #!/bin/sh
  set -eu
  uname -m > /etc/built-on
validation_tests:
  - name: built as aarch64
    command: cat /etc/built-on
    expected: aarch64
  - name: the packages are arm64
    command: dpkg --print-architecture
    expected: arm64
`;

describe.runIf(runnable && emulated).sequential('local builds of arm64 under emulation', { timeout: 1_500_000 }, () => {
  const suite = new LocalSuite('prism-e2e-arm64-', { 'arm.yml': TEMPLATE });
  const prism = (args: string[]) => suite.prism(args);

  test('plan --architectures arm64 plans arm64 only', async () => {
    const plan = await prism(['ami', 'plan', 'arm', ...suite.flags, '--architectures', 'arm64', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const items = (JSON.parse(plan.stdout) as { items: { architecture: string; action: string }[] }).items;
    expect(items.map((i) => [i.architecture, i.action])).toEqual([['arm64', 'build']]);
  });

  test('an arm64 build runs its setup as aarch64 and validates on a fresh boot', async () => {
    const result = await prism(['ami', 'build', 'arm', ...suite.flags, '--architecture', 'arm64', '--json']);
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    const tests = events(result.stdout).filter((ev) => ev.type === 'test-result');
    expect(tests.map((ev) => `${String(ev.step)}:${(ev.result as { status: string }).status}`)).toEqual([
      'validate:passed',
      'validate:passed',
      'retest:passed',
      'retest:passed',
    ]);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });
});
