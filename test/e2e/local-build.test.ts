import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PRISM_BIN, REPO_ROOT, runPrism } from '../support/cli.js';
import { CLEAN, events, leftovers, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/**
 * Real local builds: debootstrap base (cached), overlay, systemd-nspawn, nsenter. The tests in
 * this file run one after another (they share the image store and nginx's port 8088).
 */
const runnable = requireOrSkipLocal();
const TEMPLATES = join(REPO_ROOT, 'templates');

// On a fresh machine the first build also makes the debootstrap base (about a minute).
describe.runIf(runnable).sequential('local builds, end to end', { timeout: 600_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let extraTemplates: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-local-'));
    e = await localEnv(root);
    extraTemplates = join(root, 'templates');
    await mkdir(extraTemplates);
    await writeFile(
      join(extraTemplates, 'bad-test.yml'),
      `name: Bad test
base_ami: {source: debian-12}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  echo "==> writing the marker"
  echo built > /etc/prism-marker
validation_tests:
  - name: marker written
    command: cat /etc/prism-marker
    expected: built
  - name: wrong expectation
    command: cat /etc/prism-marker
    expected_contains: something else
`,
    );
    await writeFile(
      join(extraTemplates, 'bad-setup.yml'),
      `name: Bad setup
base_ami: {source: debian-12}
setup_steps:
  - name: first
    script: |
      #!/bin/bash
      echo first step ran
  - name: second
    script: |
      #!/bin/bash
      set -euo pipefail
      echo "about to fail" >&2
      exit 3
validation_tests:
  - name: never reached
    command: "true"
    expected_exit_code: 0
`,
    );
    await writeFile(
      join(extraTemplates, 'slow.yml'),
      `name: Slow
base_ami: {source: debian-12}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  echo "==> sleeping"
  sleep 600
validation_tests:
  - name: ok
    command: "true"
    expected_exit_code: 0
`,
    );
  }, 600_000);

  afterAll(async () => {
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept'], { env: e.env });
    await rm(root, { recursive: true, force: true });
  });

  const prism = (args: string[]) => runPrism(args, { env: e.env, cwd: root });

  test('builds hello-web: nginx installed and active, every assertion kind passes, nothing left', async () => {
    const result = await prism(['ami', 'build', 'hello-web', '--provider', 'local', '--templates-dir', TEMPLATES, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const all = events(result.stdout);
    const tests = all.filter((ev) => ev.type === 'test-result');
    const expected = ['nginx is active', 'Page is served', 'nginx version', 'Unknown page is a 404'];
    // Every test passes in the build container, then again on a fresh boot of the new image.
    expect(tests.map((ev) => [ev.step, (ev.result as { name: string }).name, (ev.result as { status: string }).status])).toEqual([
      ...expected.map((name) => ['validate', name, 'passed']),
      ...expected.map((name) => ['retest', name, 'passed']),
    ]);
    const end = all.at(-1) as { type: string; status: string; image: { id: string } };
    expect(end).toMatchObject({ type: 'run-end', status: 'succeeded' });
    const id = end.image.id;
    expect(id).toMatch(/^limg-[0-9a-f]{12}$/);
    // The image is the overlay's upper layer: nginx and the site are in it, the base is not.
    await access(join(e.imageDir, id, 'layer/usr/sbin/nginx'));
    expect(await readFile(join(e.imageDir, id, 'layer/srv/hello/index.html'), 'utf8')).toBe('Hello from prism-ami\n');
    await expect(access(join(e.imageDir, id, 'layer/usr/bin/bash'))).rejects.toThrow();
    const metadata = JSON.parse(await readFile(join(e.imageDir, id, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ template: 'hello-web', architecture: 'x86_64', validated: true, parentImage: null });
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('an unchanged template is not built again; list shows the image', async () => {
    const result = await prism(['ami', 'build', 'hello-web', '--provider', 'local', '--templates-dir', TEMPLATES]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is up to date');
    const list = await prism(['ami', 'list', '--provider', 'local', '--json']);
    const images = JSON.parse(list.stdout) as { template: string }[];
    expect(images.map((i) => i.template)).toEqual(['hello-web']);
  });

  test('a failing test: exit 1, no image, nothing left, the failure explained', async () => {
    const result = await prism(['ami', 'build', 'bad-test', '--provider', 'local', '--templates-dir', extraTemplates]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✅ marker written');
    expect(result.stdout).toContain('❌ wrong expectation: output does not contain "something else"');
    expect(result.stdout).toContain('No image was made');
    expect(result.stdout).toContain('📦 writing the marker');
    const list = JSON.parse((await prism(['ami', 'list', '--provider', 'local', '--json', '--template', 'bad-test'])).stdout);
    expect(list).toEqual([]);
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('a failing setup step: exit 1, the step named with its exit code and output', async () => {
    const result = await prism(['ami', 'build', 'bad-setup', '--provider', 'local', '--templates-dir', extraTemplates]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✅ first done');
    expect(result.stdout).toMatch(/setup step "second" failed with exit code 3:\n\s+about to fail/);
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test("an extends child is built on its parent's image and validates on a fresh container", async () => {
    const parent = JSON.parse((await prism(['ami', 'list', '--provider', 'local', '--json', '--template', 'hello-web'])).stdout)[0];
    const result = await prism(['ami', 'build', 'hello-web-status', '--provider', 'local', '--templates-dir', TEMPLATES, '--json']);
    expect(result.code).toBe(0);
    const end = events(result.stdout).at(-1) as { image: { id: string }; tests: { name: string; status: string }[] };
    expect(end.tests.map((t) => t.name)).toEqual([
      'nginx is active',
      'Page is served',
      'nginx version',
      'Unknown page is a 404',
      'Status page',
    ]);
    const metadata = JSON.parse(await readFile(join(e.imageDir, end.image.id, 'metadata.json'), 'utf8'));
    expect(metadata.parentImage).toBe(parent.id);
    // Only the child's changes are in its layer: nginx itself is in the parent's.
    await expect(access(join(e.imageDir, end.image.id, 'layer/usr/sbin/nginx'))).rejects.toThrow();

    const validated = await prism(['ami', 'validate', 'hello-web-status', '--provider', 'local', '--templates-dir', TEMPLATES]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('Validation passed');
    const after = JSON.parse(await readFile(join(e.imageDir, end.image.id, 'metadata.json'), 'utf8'));
    expect(after.validatedAt > metadata.validatedAt).toBe(true);
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('SIGINT during setup: cleanup runs, exit 130, nothing left', async () => {
    const child = spawn(process.execPath, [PRISM_BIN, 'ami', 'build', 'slow', '--provider', 'local', '--templates-dir', extraTemplates], {
      cwd: root,
      env: { ...process.env, ...e.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Interrupt once the setup script is running.
    const deadline = Date.now() + 120_000;
    while (!stdout.includes('📦 sleeping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stdout).toContain('📦 sleeping');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('Interrupted');
    expect(stdout).toContain('Build cancelled');
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('an unreachable Ubuntu mirror is a clear error naming the mirror and the setting', async () => {
    await writeFile(join(root, 'prism-ami.config.yaml'), 'local:\n  ubuntuMirror: http://127.0.0.1:9/ubuntu\n');
    try {
      const result = await prism([
        'ami',
        'build',
        'basic-ubuntu',
        '--provider',
        'local',
        '--architecture',
        'x86_64',
        '--templates-dir',
        TEMPLATES,
      ]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('cannot reach the ubuntu mirror http://127.0.0.1:9/ubuntu for ubuntu-22.04-lts');
      expect(result.stdout).toContain('local.ubuntuMirror in prism-ami.config.yaml (or PRISM_AMI_UBUNTU_MIRROR)');
      expect(await leftovers(e)).toEqual(CLEAN);
    } finally {
      await rm(join(root, 'prism-ami.config.yaml'));
    }
  });

  test.skipIf(existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64'))(
    'the other architecture without qemu is a clear error naming the packages',
    async () => {
      const result = await prism([
        'ami',
        'build',
        'hello-web',
        '--provider',
        'local',
        '--architecture',
        'arm64',
        '--templates-dir',
        TEMPLATES,
      ]);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain('apt-get install -y qemu-user-static binfmt-support');
      expect(await leftovers(e)).toEqual(CLEAN);
    },
  );

  test('--keep-on-failure keeps the container for inspection; sweep --include-kept removes it', async () => {
    const result = await prism(['ami', 'build', 'bad-test', '--provider', 'local', '--templates-dir', extraTemplates, '--keep-on-failure']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/get a shell in it: sudo nsenter --target \d+ --all \/bin\/bash/);
    const kept = await leftovers(e);
    expect(kept.processes.length).toBeGreaterThan(0);
    expect(kept.mounts.length).toBe(1);
    const dry = await prism(['ami', 'sweep', '--provider', 'local', '--dry-run']);
    expect(dry.stdout).toContain('kept by --keep-on-failure');
    const swept = await prism(['ami', 'sweep', '--provider', 'local', '--include-kept']);
    expect(swept.code).toBe(0);
    expect(swept.stdout).toMatch(/removed\s+container prism-/);
    expect(await leftovers(e)).toEqual(CLEAN);
  });
});
