import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runPrism } from '../support/cli.js';
import { events, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/**
 * Package manifests of real local builds (Debian 12 base, systemd-nspawn): two builds of one
 * template that differ by a package, their manifests, the diff between them and the summary the
 * second build prints. The tests run in order: the second build supersedes the first.
 */
const runnable = requireOrSkipLocal();

const template = (packages: string, version: string) => `name: Package diff
description: two builds that differ by a package
version: "${version}"
base_ami: {source: debian-12}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ${packages}
  rm -rf /var/lib/apt/lists/*
validation_tests:
  - name: tree runs
    command: tree --version
    expected_contains: tree
build:
  retest_on_fresh_boot: false
`;

interface ManifestJson {
  image_id: string;
  recorded: boolean;
  manifest_digest: string;
  manifest: {
    digest: string;
    os: { id: string; version_id: string; pretty_name: string };
    kernel: { packages: unknown[] };
    packages: { dpkg: { name: string; version: string; arch: string }[] };
  };
}

describe.runIf(runnable).sequential('package manifests of real local builds', { timeout: 900_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let templates: string;
  let first: ManifestJson;
  const prism = (args: string[]) => runPrism(args, { env: e.env, cwd: root });
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-manifest-'));
    e = await localEnv(root);
    templates = join(root, 'templates');
    await mkdir(templates);
  });

  afterAll(async () => {
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local'], { env: e.env });
    await rm(root, { recursive: true, force: true });
  });

  test('a build records its manifest: OS release, every dpkg package with version and architecture', async () => {
    await writeFile(join(templates, 'pkgdiff.yml'), template('tree', '1.0.0'));
    const result = await prism(['ami', 'build', 'pkgdiff', '--provider', 'local', '--templates-dir', templates, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const all = events(result.stdout);
    const step = all.find((ev) => ev.type === 'step-end' && ev.step === 'manifest') as { status: string; detail: string };
    expect(step).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^\d+ packages \(dpkg \d+/) as unknown });
    // The step runs before the image is made.
    const steps = all.filter((ev) => ev.type === 'step-start').map((ev) => ev.step);
    expect(steps.indexOf('manifest')).toBe(steps.indexOf('validate') + 1);
    expect(steps.indexOf('manifest')).toBeLessThan(steps.indexOf('create-image'));

    const shown = await prism(['ami', 'manifest', 'pkgdiff', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    first = JSON.parse(shown.stdout) as ManifestJson;
    expect(first.recorded).toBe(true);
    expect(first.manifest.os).toMatchObject({ id: 'debian', version_id: '12' });
    const dpkg = first.manifest.packages.dpkg;
    expect(dpkg.length).toBeGreaterThan(80);
    expect(dpkg.find((p) => p.name === 'tree')).toMatchObject({ version: expect.stringMatching(/^2\./) as unknown, arch });
    expect(dpkg.find((p) => p.name === 'bash')).toMatchObject({ arch });
    expect(dpkg.some((p) => p.name === 'jq')).toBe(false);
    // A container image has no kernel package.
    expect(first.manifest.kernel.packages).toEqual([]);

    // The digest is in the registry entry, in the image's metadata, and names the sidecar's content.
    const registry = JSON.parse(await readFile(join(root, 'ami-registry.json'), 'utf8'));
    expect(registry.templates.pkgdiff.amis.local[process.arch === 'arm64' ? 'arm64' : 'x86_64'].manifest_digest).toBe(
      first.manifest.digest,
    );
    const metadata = JSON.parse(await readFile(join(e.imageDir, first.image_id, 'metadata.json'), 'utf8'));
    expect(metadata.manifestDigest).toBe(first.manifest.digest);
    await access(join(root, 'ami-registry.manifests', `${first.image_id}.json`));
    // Nothing of the collection is left in the image.
    await expect(access(join(e.imageDir, first.image_id, 'layer/run/prism-ami'))).rejects.toThrow();

    const text = await prism(['ami', 'manifest', first.image_id]);
    expect(text.stdout).toContain('OS: Debian GNU/Linux 12 (bookworm)');
    expect(text.stdout).toMatch(/^ {2}tree +2\.\S+ +(amd64|arm64)$/m);
  });

  test('a second build that adds a package: build prints what changed; diff lists it by ecosystem', async () => {
    await writeFile(join(templates, 'pkgdiff.yml'), template('tree jq', '1.1.0'));
    const result = await prism(['ami', 'build', 'pkgdiff', '--provider', 'local', '--templates-dir', templates]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Packages since ${first.image_id}: \\d+ packages? changed: .*\\+ jq 1\\.`));
    expect(result.stdout).toMatch(/✅ Package manifest: \d+ packages \(dpkg \d+/);

    const diff = await prism(['ami', 'diff', 'pkgdiff@1.0.0', 'pkgdiff@1.1.0', '--json']);
    expect(diff.code, diff.stderr).toBe(0);
    const report = JSON.parse(diff.stdout) as {
      same_template: boolean;
      a: { image_id: string };
      diff: { total: number; ecosystems: { ecosystem: string; added: { name: string }[]; removed: unknown[]; changed: unknown[] }[] };
    };
    expect(report.same_template).toBe(true);
    expect(report.a.image_id).toBe(first.image_id);
    const dpkg = report.diff.ecosystems.find((x) => x.ecosystem === 'dpkg')!;
    expect(dpkg.added.map((p) => p.name)).toContain('jq');
    expect(dpkg.added.map((p) => p.name)).not.toContain('tree');
    expect(dpkg.removed).toEqual([]);
    expect(dpkg.changed).toEqual([]);

    const text = await prism(['ami', 'diff', first.image_id, 'pkgdiff']);
    expect(text.stdout).toContain('system (dpkg):');
    expect(text.stdout).toMatch(/^ {2}\+ jq {2}1\./m);
  });

  test("conda packages are listed where Prism's generator installs Miniforge (/opt/miniforge), off the PATH", async () => {
    // Miniforge itself comes from GitHub, which this machine cannot reach: a stand-in conda at
    // Prism's path prints what `conda list --json` prints. The collection script and container are real.
    await writeFile(
      join(templates, 'condaish.yml'),
      `name: Conda where Prism puts it
version: "1.0.0"
base_ami: {source: debian-12}
setup_script: |
  #!/bin/sh
  set -eu
  mkdir -p /opt/miniforge/bin
  cat > /opt/miniforge/bin/conda <<'CONDA'
  #!/bin/sh
  [ "$1 $2" = "list --json" ] || exit 2
  echo '[{"name": "numpy", "version": "1.26.4", "channel": "conda-forge"}, {"name": "plotly", "version": "5.22.0", "channel": "pypi"}]'
  CONDA
  chmod 755 /opt/miniforge/bin/conda
validation_tests:
  - name: conda is not on the PATH
    command: command -v conda || echo none
    expected: none
build:
  retest_on_fresh_boot: false
`,
    );
    const result = await prism(['ami', 'build', 'condaish', '--provider', 'local', '--templates-dir', templates]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✅ Package manifest: \d+ packages \(dpkg \d+, conda 2\)/);
    const shown = JSON.parse((await prism(['ami', 'manifest', 'condaish', '--json'])).stdout) as {
      manifest: { packages: { conda: { name: string; version: string }[] } };
    };
    expect(shown.manifest.packages.conda).toEqual([
      { name: 'numpy', version: '1.26.4' },
      { name: 'plotly', version: '5.22.0' },
    ]);
  });
});
