import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { al2023Ids, cloudState, createInstanceProfile, SEEDED, writeSeedAmis } from '../support/aws-env.js';
import { runPrism } from '../support/cli.js';
import { FaultProxy, requestTags } from '../support/fault-proxy.js';
import { InstanceTwin, startAgentRepo, type AgentRepo } from '../support/instance-twin.js';
import { events, requireOrSkipLocal } from '../support/local-env.js';
import { startMoto, type Moto } from '../support/moto.js';

/**
 * AWS builds whose commands execute: real `prism` processes against moto_server behind the fault
 * proxy, with the instance twin giving every instance a real container (the al2023 AMI boots a
 * debian-12 base with the SSM agent stand-in). So the setup really runs, the tests really pass or
 * fail, the fresh-boot re-test boots what CreateImage captured, and a reboot step reboots.
 */
const runnable = requireOrSkipLocal();

const template = (name: string, body: string) => `name: ${name}
base_ami: {source: al2023, architecture: [x86_64]}
regions: [us-east-1]
${body}`;

const TEMPLATES: Record<string, string> = {
  debian: `name: Debian
base_ami: {source: debian-12, architecture: [x86_64]}
regions: [us-east-1]
setup_script: |
  #!/bin/sh
  echo "agent: $(systemctl is-active amazon-ssm-agent)" > /etc/agent-at-setup
validation_tests:
  - name: the agent runs
    command: systemctl is-active amazon-ssm-agent
    expected: active
`,
  configured: template(
    'Configured',
    `setup_script: |
  #!/bin/sh
  set -eu
  echo "configured on $(cat /proc/sys/kernel/random/boot_id)" > /etc/prism-twin-setup
  echo "==> setup done"
validation_tests:
  - name: setup left its file
    command: cut -d' ' -f1-2 /etc/prism-twin-setup
    expected: configured on
`,
  ),
  failing: template(
    'Failing',
    `setup_script: |
  #!/bin/sh
  echo nothing to do
validation_tests:
  - name: the disk is big enough
    command: echo "only 3 MiB free on /srv (twin-real-output)"
    expected: plenty
`,
  ),
  'started-only': template(
    'Started only',
    `setup_script: |
  #!/bin/sh
  set -eu
  cat > /etc/systemd/system/demo.service <<'UNIT'
  [Unit]
  Description=a demo service
  [Service]
  ExecStart=/bin/sleep infinity
  [Install]
  WantedBy=multi-user.target
  UNIT
  systemctl daemon-reload
  systemctl start demo
validation_tests:
  - name: demo is active
    command: systemctl is-active demo
    expected: active
`,
  ),
  // A long install that fails at its end, as apt does: far more output than SSM's 24,000 characters.
  'long-install': template(
    'Long install',
    `setup_script: |
  #!/bin/sh
  i=0
  while [ $i -lt 6000 ]; do echo "Unpacking package-$i (1.0-$i) ..."; i=$((i+1)); done
  echo "E: Unable to locate package no-such-package" >&2
  exit 100
validation_tests:
  - name: never reached
    command: "true"
    expected_exit_code: 0
`,
  ),
  rebooting: template(
    'Rebooting',
    `setup_steps:
  - name: before the reboot
    reboot: true
    script: |
      set -eu
      touch /run/first-boot
      cat /proc/sys/kernel/random/boot_id > /etc/boot-1
  - name: after the reboot
    script: |
      set -eu
      test ! -e /run/first-boot
      cat /proc/sys/kernel/random/boot_id > /etc/boot-2
      if cmp -s /etc/boot-1 /etc/boot-2; then echo "same boot" >&2; exit 1; fi
validation_tests:
  - name: two boots
    command: test -s /etc/boot-1 && test -s /etc/boot-2 && ! cmp -s /etc/boot-1 /etc/boot-2 && echo two
    expected: two
`,
  ),
};

/** A template in Prism's launcher format (in a subfolder, as Prism keeps them): built on AWS as Prism's generator would set it up. */
const PRISM_WEB = `name: "Prism Web (APT)"
slug: "prism-web"
description: "A small Prism-format template: an apt package, a user and a service"
base: "ubuntu-22.04"
package_manager: "apt"
packages:
  system: ["nginx"]
users:
  - name: "researcher"
    groups: ["sudo", "www-data"]
services:
  - name: "nginx"
    port: 80
    enable: true
post_install: |
  echo "served by a Prism template on EC2" > /var/www/html/index.html
user_data: |
  #!/bin/bash
  echo "launch-time only" > /etc/motd
validation_tests:
  - name: the page is served
    command: "curl -s http://localhost/"
    expected: "served by a Prism template on EC2"
architectures: [x86_64]
`;

describe.runIf(runnable).sequential('aws builds against moto_server with the instance twin', { timeout: 300_000 }, () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let twin: InstanceTwin;
  let env: Record<string, string>;
  let repo: AgentRepo;
  const al2023 = runnable ? al2023Ids().x86_64 : '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-aws-twin-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    twin = await InstanceTwin.start({
      proxy,
      amis: {
        [al2023]: { base: 'debian-12', agent: true },
        [SEEDED.debianAmd64]: { base: 'debian-12', agent: false },
        [SEEDED.jammyAmd64]: { base: 'ubuntu-22.04-lts', agent: true },
      },
    });
    await twin.prepare();
    repo = await startAgentRepo(join(dir, 'agent-repo'));
    await createInstanceProfile(moto.env);
    env = { ...moto.env, ...repo.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    await mkdir(join(dir, 'templates'));
    for (const [slug, text] of Object.entries(TEMPLATES)) await writeFile(join(dir, 'templates', `${slug}.yml`), text);
    await mkdir(join(dir, 'templates', 'community'));
    await writeFile(join(dir, 'templates', 'community', 'web-apt.yml'), PRISM_WEB);
    await writeFile(
      join(dir, 'prism-ami.config.yaml'),
      'templatesDir: templates\ninstanceProfile: prism-builder\ninstanceProfileWaitSeconds: 2\nreadyTimeoutMinutes: 3\nimageTimeoutMinutes: 2\nregions: [us-east-1]\n',
    );
  }, 600_000);

  afterAll(async () => {
    await repo?.stop();
    await twin?.stop();
    if (twin) expect(await twin.liveContainers()).toEqual([]);
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // What each test's builds did: the twin keeps every instance and command of the file.
  let seenInvocations = 0;
  let seenInstances = 0;
  beforeEach(() => {
    proxy.reset();
    seenInvocations = twin.invocations.length;
    seenInstances = twin.allInstances.length;
  });
  const commands = () => twin.invocations.slice(seenInvocations);
  const instances = () => twin.allInstances.slice(seenInstances);

  const prism = (args: string[]) => runPrism(args, { cwd: dir, env });
  const build = async (slug: string) => {
    const result = await prism(['ami', 'build', slug, '--region', 'us-east-1', '--force', '--json']);
    const all = events(result.stdout);
    return { ...result, all, end: all.at(-1) as { status: string; image?: { id: string }; error?: { message: string } } };
  };
  const launched = (role: string) => proxy.calls.filter((c) => c.action === 'RunInstances' && requestTags(c)['prism:role'] === role);
  /** Nothing of any build is left: no live instance in moto, no container of the twin. */
  const nothingLeft = async () => {
    for (const instance of twin.allInstances) await twin.settled(instance.id);
    const [state] = await cloudState(moto.endpoint, ['us-east-1']);
    expect(state.liveInstances).toEqual([]);
    expect(await twin.liveContainers()).toEqual([]);
    expect(twin.errors).toEqual([]);
  };
  const images = async () => {
    const ec2 = new EC2Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      return (await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? [];
    } finally {
      ec2.destroy();
    }
  };

  test('the setup really runs: its file is in the image, and the fresh boot from the image sees it', async () => {
    const result = await build('configured');
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    const imageId = result.end.image!.id;
    // The image's file system holds what the setup wrote, over the base.
    const image = await twin.mountImage(imageId);
    expect(await readFile(join(image.root, 'etc/prism-twin-setup'), 'utf8')).toMatch(/^configured on [0-9a-f-]{36}\n$/);
    expect(await readFile(join(image.root, 'etc/os-release'), 'utf8')).toContain('bookworm');
    // Generalized: the build instance's identity and the agent's state of it (removed as the
    // instance shut down for the snapshot) are not in the image.
    expect(await readFile(join(image.root, 'etc/machine-id'), 'utf8')).toBe('');
    expect((await readdir(join(image.root, 'etc/ssh'))).filter((f) => f.startsWith('ssh_host_'))).toEqual([]);
    expect(await readdir(join(image.root, 'var/lib/cloud'))).not.toContain('instance');
    expect((await readdir(join(image.root, 'var/lib/amazon/ssm')).catch(() => [])).filter((f) => f.startsWith('i-'))).toEqual([]);
    await image.unmount();
    // The setup's output came back through GetCommandInvocation; the re-test ran on an instance of the new image.
    const setup = commands().find((i) => i.stdout.includes('==> setup done'));
    expect(setup?.status).toBe('Success');
    const [retest] = launched('retest');
    expect(retest.params.ImageId).toBe(imageId);
    const tests = commands().filter((i) => i.commands.some((c) => c.includes('/etc/prism-twin-setup')) && i.status === 'Success');
    expect(tests.map((i) => twin.instance(i.instanceId)!.imageId)).toEqual([al2023, imageId]);
    await nothingLeft();
  });

  test('`validate` runs the tests on a fresh instance of the current image', async () => {
    const result = await prism(['ami', 'validate', 'configured', '--region', 'us-east-1', '--architecture', 'x86_64', '--json']);
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    expect(launched('validate')).toHaveLength(1);
    const [instance] = instances();
    expect(instance.imageId).toBe(launched('validate')[0].params.ImageId);
    const ran = commands().filter((i) => i.commands.some((c) => c.includes('/etc/prism-twin-setup')));
    expect(ran.map((i) => [i.instanceId, i.status, i.stdout])).toEqual([[instance.id, 'Success', 'configured on\n']]);
    await nothingLeft();
  });

  test('a failing validation test fails the build (exit 1) with its real output, and no image is kept', async () => {
    const result = await build('failing');
    expect(result.code).toBe(1);
    expect(result.end.status).toBe('failed');
    expect(result.end.error!.message).toContain('the disk is big enough');
    const failed = result.all.find((e) => e.type === 'test-result') as { result: { status: string; reason: string } };
    expect(failed.result.status).toBe('failed');
    expect(failed.result.reason).toContain('only 3 MiB free on /srv (twin-real-output)');
    expect(proxy.count('CreateImage')).toBe(0);
    await nothingLeft();
  });

  test('the fresh-boot re-test catches a service setup started but did not enable (exit 1, image deleted)', async () => {
    const before = (await images()).length;
    const result = await build('started-only');
    expect(result.code).toBe(1);
    expect(result.end.error!.message).toContain('passed in the build instance but failed on a fresh boot');
    // It passed in the build instance, really: the command ran there and printed "active".
    const [buildInstance, retestInstance] = instances();
    expect([buildInstance.tags['prism:role'], retestInstance.tags['prism:role']]).toEqual(['build', 'retest']);
    const checks = (id: string) => commands().filter((i) => i.instanceId === id && i.commands.includes('systemctl is-active demo'));
    expect(checks(buildInstance.id).map((i) => i.stdout)).toEqual(['active\n']);
    expect(new Set(checks(retestInstance.id).map((i) => i.stdout))).toEqual(new Set(['inactive\n']));
    expect(proxy.count('CreateImage')).toBe(1);
    expect(proxy.count('DeregisterImage')).toBeGreaterThanOrEqual(1);
    expect((await images()).length).toBe(before);
    await nothingLeft();
  });

  test("a setup step's output far past SSM's 24,000 characters reaches the build log whole, and its last error line is in the failure", async () => {
    const result = await build('long-install');
    expect(result.code).toBe(1);
    expect(result.end.error!.message).toContain('E: Unable to locate package no-such-package');
    // The step printed about 200,000 characters, eight times what SSM returns of one command: every
    // line is in the per-build log all the same, in order, once.
    const start = result.all.find((e) => e.type === 'run-start') as { logFile: string };
    const log = await readFile(start.logFile, 'utf8');
    const printed = [...log.matchAll(/^\S+ \[setup-1 stdout\] Unpacking package-(\d+) /gm)].map((m) => Number(m[1]));
    expect(printed).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    expect(log).toContain('E: Unable to locate package no-such-package');
    expect(proxy.count('CreateImage')).toBe(0);
    await nothingLeft();
  });

  test('a setup step with reboot: true really reboots the instance before the next step', async () => {
    const result = await build('rebooting');
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    expect(proxy.count('RebootInstances')).toBe(1);
    const [buildInstance] = instances();
    expect(buildInstance.tags['prism:role']).toBe('build');
    // Booted, rebooted by the step, rebooted by CreateImage.
    expect(buildInstance.boots).toBe(3);
    const [top] = await twin.layersOf(result.end.image!.id)!;
    const [one, two] = await Promise.all([readFile(join(top, 'etc/boot-1'), 'utf8'), readFile(join(top, 'etc/boot-2'), 'utf8')]);
    expect(one).not.toBe(two);
    await nothingLeft();
  });

  test('a Debian base gets the agent through user data: the signed package from the bucket, checked, enabled, started', async () => {
    const result = await build('debian');
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    const [buildInstance, retestInstance] = instances();
    expect([buildInstance.imageId, buildInstance.tags['prism:role']]).toEqual([SEEDED.debianAmd64, 'build']);
    expect(buildInstance.userData.toString()).toContain('gpgv');
    // Downloaded once, by the build instance; the image has the agent, so the re-test's instance does not.
    expect(repo.requests.map((r) => `${r.status} ${r.path}`)).toEqual([
      '200 /amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb',
      '200 /amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb.sig',
    ]);
    expect(retestInstance.imageId).toBe(result.end.image!.id);
    const image = await twin.mountImage(result.end.image!.id);
    expect(await readFile(join(image.root, 'etc/agent-at-setup'), 'utf8')).toBe('agent: active\n');
    expect(await readdir(join(image.root, 'etc/systemd/system/multi-user.target.wants'))).toContain('amazon-ssm-agent.service');
    await image.unmount();
    await nothingLeft();
  });

  test("a Prism launcher template builds on Ubuntu: its generated setup and derived tests run, and Prism's SSM path names the image", async () => {
    const result = await build('prism-web');
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    const imageId = result.end.image!.id;
    const [buildInstance, retestInstance] = instances();
    expect([buildInstance.imageId, retestInstance.imageId]).toEqual([SEEDED.jammyAmd64, imageId]);
    // Prism's generated setup ran on the instance, step by step.
    const steps = result.all.filter((ev) => ev.type === 'step-start').map((ev) => ev.title as string);
    expect(steps.filter((t) => t.startsWith('Setup'))).toEqual([
      "Setup 1/5: Prism's base system (apt)",
      'Setup 2/5: system packages',
      'Setup 3/5: users',
      'Setup 4/5: services',
      'Setup 5/5: post_install',
    ]);
    // The derived tests and the written one passed on the build instance, then on a fresh boot of the image.
    const results = result.all.filter((ev) => ev.type === 'test-result').map((ev) => ev.result as { name: string; status: string });
    const names = [
      'package nginx is installed',
      'user researcher exists with shell /bin/bash',
      'user researcher is in group sudo',
      'user researcher is in group www-data',
      'service nginx is enabled',
      'service nginx is active after boot',
      'port 80 is listening (nginx)',
      'the page is served',
    ];
    expect(results.map((r) => `${r.name}: ${r.status}`)).toEqual([...names, ...names].map((n) => `${n}: passed`));
    const served = commands().filter((i) => i.commands.includes('curl -s http://localhost/'));
    expect(served.map((i) => [twin.instance(i.instanceId)!.imageId, i.status, i.stdout])).toEqual([
      [SEEDED.jammyAmd64, 'Success', 'served by a Prism template on EC2\n'],
      [imageId, 'Success', 'served by a Prism template on EC2\n'],
    ]);
    // What the image holds: Ubuntu, the user in its groups, nginx enabled, no launch-time user_data.
    const image = await twin.mountImage(imageId);
    expect(await readFile(join(image.root, 'etc/os-release'), 'utf8')).toContain('jammy');
    expect(await readFile(join(image.root, 'etc/passwd'), 'utf8')).toMatch(/^researcher:x:\d+:\d+:.*:\/bin\/bash$/m);
    expect(await readFile(join(image.root, 'etc/group'), 'utf8')).toMatch(/^sudo:x:\d+:.*researcher/m);
    expect(await readdir(join(image.root, 'etc/systemd/system/multi-user.target.wants'))).toContain('nginx.service');
    expect(await readFile(join(image.root, 'etc/motd'), 'utf8').catch(() => '')).not.toContain('launch-time only');
    await image.unmount();
    await nothingLeft();

    // Its package manifest was listed on the instance by dpkg-query (nginx with Ubuntu's version), stored and tagged.
    const shown = await prism(['ami', 'manifest', imageId, '--json']);
    expect(shown.code, shown.stdout + shown.stderr).toBe(0);
    const manifest = JSON.parse(shown.stdout) as {
      recorded: boolean;
      manifest_digest: string;
      manifest: { os: { id: string; version_id: string }; packages: { dpkg: { name: string; version: string; arch: string }[] } };
    };
    expect(manifest.recorded).toBe(true);
    expect(manifest.manifest.os).toMatchObject({ id: 'ubuntu', version_id: '22.04' });
    expect(manifest.manifest.packages.dpkg.find((p) => p.name === 'nginx')).toMatchObject({
      version: expect.stringMatching(/ubuntu/),
      arch: 'amd64',
    });
    const [described] = (await images()).filter((i) => i.ImageId === imageId);
    expect(described.Tags?.find((t) => t.Key === 'prism:manifest')?.Value).toBe(manifest.manifest_digest);

    // Published where Prism's launcher reads it: /cloudworkstation/amis/<slug>/<region>/<arch>, a JSON reference.
    const published = await prism(['ami', 'publish-ssm', 'prism-web', '--layout', 'prism', '--json']);
    expect(published.code, published.stdout + published.stderr).toBe(0);
    const ssm = new SSMClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/cloudworkstation/amis/prism-web/us-east-1/x86_64' }));
      expect((JSON.parse(Parameter!.Value!) as { AMIID: string }).AMIID).toBe(imageId);
    } finally {
      ssm.destroy();
    }
  }, 900_000);
});
