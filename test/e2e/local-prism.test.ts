import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runPrism } from '../support/cli.js';
import { CLEAN, events, leftovers, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/**
 * A template in Prism's launcher format, built for real on Ubuntu 22.04: the setup generated from
 * its packages, user, service and post_install, the derived tests (and a written one) passing in
 * the build container and again on a fresh boot, launch-time fields left out.
 */
const runnable = requireOrSkipLocal();

const PRISM_WEB = `name: "Prism Web (APT)"
slug: "prism-web"
description: "A small Prism-format template: two apt packages, a user and a service"
base: "ubuntu-22.04"
package_manager: "apt"
connection_type: "web"
icon: "🌐"
packages:
  system:
    - "nginx"
    - "jq"
users:
  - name: "researcher"
    groups: ["sudo", "www-data"]
services:
  - name: "nginx"
    port: 80
    enable: true
post_install: |
  echo "served by a Prism template" > /var/www/html/index.html
user_data: |
  #!/bin/bash
  echo "idle check every {{CHECK_INTERVAL_MINUTES}} minutes" > /etc/motd
idle_detection:
  enabled: true
  idle_threshold_minutes: 15
instance_defaults:
  type: "t3.small"
  ports: [22, 80]
  estimated_cost_per_hour: {x86_64: 0.0208}
validation_tests:
  - name: the page is served
    command: "curl -s http://localhost/"
    expected: "served by a Prism template"
version: "1.0.0"
architectures: [x86_64]
`;

describe.runIf(runnable).sequential("local builds of a template in Prism's format", { timeout: 900_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let templates: string;
  let registry: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-prism-'));
    e = await localEnv(root);
    templates = join(root, 'templates');
    registry = join(root, 'ami-registry.json');
    // In a subfolder, named unlike its slug: Prism's layout.
    await mkdir(join(templates, 'community'), { recursive: true });
    await writeFile(join(templates, 'community', 'web-apt.yml'), PRISM_WEB);
  }, 600_000);

  afterAll(async () => {
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept', '--older-than', '0s'], { env: e.env });
    await rm(root, { recursive: true, force: true });
  });

  const prism = (args: string[]) => runPrism(args, { env: e.env, cwd: root });

  test('builds it: generated setup, derived and written tests pass in the build container and on a fresh boot, nothing left', async () => {
    const result = await prism([
      'ami',
      'build',
      'prism-web',
      '--provider',
      'local',
      '--templates-dir',
      templates,
      '--registry',
      registry,
      '--json',
    ]);
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    const all = events(result.stdout);
    const steps = all.filter((ev) => ev.type === 'step-start').map((ev) => ev.title as string);
    expect(steps.filter((t) => t.startsWith('Setup'))).toEqual([
      "Setup 1/5: Prism's base system (apt)",
      'Setup 2/5: system packages',
      'Setup 3/5: users',
      'Setup 4/5: services',
      'Setup 5/5: post_install',
    ]);
    const results = all.filter((ev) => ev.type === 'test-result').map((ev) => ev.result as { name: string; status: string });
    const names = [
      'package nginx is installed',
      'package jq is installed',
      'user researcher exists with shell /bin/bash',
      'user researcher is in group sudo',
      'user researcher is in group www-data',
      'service nginx is enabled',
      'service nginx is active after boot',
      'port 80 is listening (nginx)',
      'the page is served',
    ];
    // In the build container, then on a fresh boot of the image.
    expect(results.map((r) => r.name)).toEqual([...names, ...names]);
    expect(
      results.every((r) => r.status === 'passed'),
      JSON.stringify(results),
    ).toBe(true);
    expect(await leftovers(e)).toEqual(CLEAN);

    const doc = JSON.parse(await readFile(registry, 'utf8')) as {
      templates: Record<string, { ports: number[]; estimated_cost_per_hour: unknown; amis: { local: { x86_64: { ami_id: string } } } }>;
    };
    const entry = doc.templates['prism-web'];
    expect(entry.ports).toEqual([22, 80]);
    expect(entry.estimated_cost_per_hour).toEqual({ x86_64: 0.0208 });
    // user_data is launch-time: the image was built without it.
    const image = entry.amis.local.x86_64.ami_id;
    const layer = join(e.imageDir, image, 'layer');
    await expect(readFile(join(layer, 'etc/motd'), 'utf8')).rejects.toThrow();
    expect(await readFile(join(layer, 'var/www/html/index.html'), 'utf8')).toBe('served by a Prism template\n');
  });

  test('the converted prism-ami template has the same fingerprint: its build is already up to date', async () => {
    const out = join(root, 'converted');
    const converted = await prism(['ami', 'convert', 'prism-web', '--templates-dir', templates, '--out', out]);
    expect(converted.code, converted.stderr).toBe(0);
    const again = await prism([
      'ami',
      'build',
      'prism-web',
      '--provider',
      'local',
      '--templates-dir',
      out,
      '--registry',
      registry,
      '--json',
    ]);
    expect(again.code, again.stdout.slice(-2000) + again.stderr).toBe(0);
    const end = events(again.stdout).find((ev) => ev.type === 'run-end') as { status: string; image?: { id: string } };
    const doc = JSON.parse(await readFile(registry, 'utf8')) as {
      templates: Record<string, { amis: { local: { x86_64: { ami_id: string } } } }>;
    };
    expect(end.status).toBe('skipped');
    expect(end.image?.id).toBe(doc.templates['prism-web'].amis.local.x86_64.ami_id);
  });
});
