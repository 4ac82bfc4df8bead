import { access, lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLEAN, events, leftovers, LocalSuite, requireOrSkipLocal } from '../support/local-env.js';

/**
 * The settle step and the generalization with real containers: an image with openssh-server
 * has no SSH host keys, an empty machine-id, no shell history, temporary files or apt lists, and
 * sshd still starts on a fresh boot of it (its keys are made at that boot); a template's hook
 * runs after the generalization; build.generalize: false keeps everything.
 */
const runnable = requireOrSkipLocal();

const template = (generalize: string) => `name: Generalized
base_ami: {source: debian-12, architecture: [x86_64]}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
  echo "secret command" > /root/.bash_history
  echo junk > /tmp/junk
  systemctl enable ssh
validation_tests:
  - name: sshd runs
    command: systemctl is-active ssh
    expected: active
${generalize}
`;

describe.runIf(runnable).sequential('local builds: settle and generalize', { timeout: 600_000 }, () => {
  const suite = new LocalSuite('prism-e2e-generalize-');

  const build = async (slug: string, generalize: string) => {
    await suite.write(`${slug}.yml`, template(generalize));
    const result = await suite.build(slug, '--json');
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    const all = events(result.stdout);
    const end = all.at(-1) as { image: { id: string } };
    return { all, layer: join(suite.e.imageDir, end.image.id, 'layer') };
  };
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );

  test('the image is generalized, and sshd starts on a fresh boot with keys of its own', async () => {
    const { all, layer } = await build('generalized', '');
    const steps = all.filter((ev) => ev.type === 'step-end').map((ev) => `${String(ev.step)}:${String(ev.status)}`);
    expect(steps).toEqual(expect.arrayContaining(['settle:ok', 'generalize:ok', 'retest:ok']));
    expect(steps.indexOf('settle:ok')).toBeLessThan(steps.indexOf('setup-1:ok'));
    expect(steps.indexOf('generalize:ok')).toBeLessThan(steps.indexOf('create-image:ok'));
    // The fresh boot ran sshd, so its host keys were made there, not taken from the build.
    const retest = all.filter((ev) => ev.type === 'test-result' && ev.step === 'retest');
    expect(retest.map((ev) => (ev.result as { status: string }).status)).toEqual(['passed']);

    expect((await stat(join(layer, 'etc/machine-id'))).size).toBe(0);
    const sshFiles = await readdir(join(layer, 'etc/ssh'));
    expect(sshFiles.filter((f) => f.startsWith('ssh_host_'))).toEqual([]);
    expect(await exists(join(layer, 'etc/systemd/system/multi-user.target.wants/prism-ami-ssh-host-keys.service'))).toBe(true);
    expect(await exists(join(layer, 'root/.bash_history'))).toBe(false);
    expect(await exists(join(layer, 'tmp/junk'))).toBe(false);
    const lists = await readdir(join(layer, 'var/lib/apt/lists')).catch(() => [] as string[]);
    const packageLists = [];
    for (const name of lists) if (!(await lstat(join(layer, 'var/lib/apt/lists', name))).isCharacterDevice()) packageLists.push(name);
    expect(packageLists.filter((n) => n.endsWith('_Packages'))).toEqual([]);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test("the template's hook runs after the generalization; generalize: false keeps the build's files", async () => {
    const hooked = await build('hooked', 'build:\n  generalize: {script: "echo hooked > /etc/prism-hook"}');
    expect(await readFile(join(hooked.layer, 'etc/prism-hook'), 'utf8')).toBe('hooked\n');
    expect(await exists(join(hooked.layer, 'root/.bash_history'))).toBe(false);

    const kept = await build('kept', 'build:\n  generalize: false');
    expect(kept.all.some((ev) => ev.type === 'step-start' && ev.step === 'generalize')).toBe(false);
    expect(await readFile(join(kept.layer, 'root/.bash_history'), 'utf8')).toBe('secret command\n');
    expect((await readdir(join(kept.layer, 'etc/ssh'))).some((f) => f.startsWith('ssh_host_'))).toBe(true);
  });
});
