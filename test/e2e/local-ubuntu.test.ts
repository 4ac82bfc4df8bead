import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runPrism } from '../support/cli.js';
import { CLEAN, events, leftovers, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/**
 * Ubuntu on Debian, for real: the archive keyring taken from the mirror's ubuntu-keyring package
 * and checked against the pinned keys, a jammy base made with debootstrap, names resolving in
 * the container (systemd-resolved gets an upstream), apt installing from the archive.
 */
const runnable = requireOrSkipLocal();

describe.runIf(runnable).sequential('local builds of Ubuntu 22.04 templates', { timeout: 900_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let templates: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-ubuntu-'));
    e = await localEnv(root);
    templates = join(root, 'templates');
    await mkdir(templates);
    await writeFile(
      join(templates, 'ubuntu-tools.yml'),
      `name: Ubuntu tools
base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64]}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  export DEBIAN_FRONTEND=noninteractive
  echo "==> installing jq from the Ubuntu archive"
  apt-get update -y
  apt-get install -y --no-install-recommends jq
  # What Ubuntu's cloud image has and setup scripts call (Prism's conda generator runs sudo -u).
  sudo -u nobody -H sh -c 'id -un > /tmp/prism-sudo-user' && cp /tmp/prism-sudo-user /etc/prism-sudo-user
validation_tests:
  - name: sudo ran setup as another user
    command: "cat /etc/prism-sudo-user"
    expected: "nobody"
  - name: the cloud image's tools are there
    command: "for c in sudo curl wget gpg lsb_release ss ps; do command -v $c >/dev/null || echo missing $c; done; echo checked"
    expected: "checked"
  - name: Ubuntu 22.04
    command: ". /etc/os-release && echo $VERSION_ID"
    expected: "22.04"
  - name: jq from the archive
    command: "jq --version"
    expected_regex: "^jq-1\\\\.6"
  - name: names resolve in the container
    command: "getent hosts archive.ubuntu.com"
    expected_contains: "archive.ubuntu.com"
  - name: /etc/resolv.conf is still resolved's stub
    command: "readlink /etc/resolv.conf"
    expected: "../run/systemd/resolve/stub-resolv.conf"
`,
    );
  }, 600_000);

  afterAll(async () => {
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept', '--older-than', '0s'], { env: e.env });
    await rm(root, { recursive: true, force: true });
  });

  const prism = (args: string[]) => runPrism(args, { env: e.env, cwd: root });

  test('builds an Ubuntu 22.04 template: keyring fetched and checked, apt works, names resolve, sudo and the cloud image tools are there, nothing left', async () => {
    const result = await prism(['ami', 'build', 'ubuntu-tools', '--provider', 'local', '--templates-dir', templates, '--json']);
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    const all = events(result.stdout);
    const tests = all.filter((ev) => ev.type === 'test-result').map((ev) => (ev.result as { name: string; status: string }).status);
    // In the build container, then on a fresh boot of the image.
    expect(tests).toEqual(Array(12).fill('passed'));
    expect(await leftovers(e)).toEqual(CLEAN);
    // The keyring is cached with the bases (unless this machine has the ubuntu-keyring package).
    const cacheDir = e.env.PRISM_AMI_LOCAL_CACHE_DIR ?? '/var/cache/prism-ami/bases';
    const keyrings = await readdir(join(cacheDir, 'keyrings')).catch((): string[] => []);
    expect(
      keyrings.includes('ubuntu-archive-keyring.gpg') || (await readdir('/usr/share/keyrings')).includes('ubuntu-archive-keyring.gpg'),
    ).toBe(true);
  });
});
