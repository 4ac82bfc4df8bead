import { CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import {
  CopyImageCommand,
  CreateImageCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { al2023Ids, SEEDED, writeSeedAmis } from '../support/aws-env.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { InstanceTwin, startAgentRepo, STDERR_LIMIT, STDOUT_LIMIT, type AgentRepo } from '../support/instance-twin.js';
import { requireOrSkipLocal } from '../support/local-env.js';
import { startMoto, type Moto } from '../support/moto.js';
import { twinClients } from '../support/twin/clients.js';

/**
 * The instance twin itself, driven with the AWS SDK as prism-ami would: real moto, real
 * containers. What SSM answers (statuses, exit codes, output limits, timeouts, cancellation,
 * InvalidInstanceId without an agent), user data at boot with cloud-init's status, the Debian
 * agent bootstrap from the loopback bucket, reboots, and images that boot what was captured.
 */
const runnable = requireOrSkipLocal();
const AL2023 = runnable ? al2023Ids().x86_64 : '';

const userScript = (body: string) => Buffer.from(`#!/bin/sh\nset -e\n${body}\n`).toString('base64');

describe.runIf(runnable).sequential('the instance twin', { timeout: 300_000 }, () => {
  let dir: string;
  let moto: Moto;
  let proxy: FaultProxy;
  let twin: InstanceTwin;
  let repo: AgentRepo;
  let aws: ReturnType<typeof twinClients>;
  /** An instance from the AMI with the agent, shared by the command tests. */
  let agentful: string;

  const launch = async (imageId: string, userData?: string, region = 'us-east-1') => {
    const client = region === 'us-east-1' ? aws : twinClients(proxy.endpoint, region);
    const out = await client.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
        ...(userData ? { UserData: userData } : {}),
      }),
    );
    return out.Instances![0].InstanceId!;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prism-e2e-twin-'));
    moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
    proxy = new FaultProxy(moto.endpoint);
    await proxy.start();
    twin = await InstanceTwin.start({
      proxy,
      amis: { [SEEDED.debianAmd64]: { base: 'debian-12', agent: false }, [AL2023]: { base: 'debian-12', agent: true } },
    });
    repo = await startAgentRepo(join(dir, 'repo'));
    aws = twinClients(proxy.endpoint);
    await twin.prepare();
  }, 600_000);

  afterAll(async () => {
    aws?.destroy();
    await repo?.stop();
    const root = twin?.root;
    await twin?.stop();
    if (twin) expect(await twin.liveContainers()).toEqual([]);
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    // Nothing of the twin is left: no container, no folder.
    if (root) await expect(stat(root)).rejects.toThrow();
  });

  test('user data runs once at boot, as cloud-init does; the agent answers once it runs', async () => {
    agentful = await launch(
      AL2023,
      userScript('echo "user data ran on $(cat /run/prism-twin/imds/instance-id)"\necho once >> /etc/user-data-runs'),
    );
    await aws.agentOnline(agentful);
    const status = await aws.run(agentful, ['cloud-init status --wait']);
    expect(status.StandardOutputContent).toMatch(/status: done\n$/);
    const log = await aws.run(agentful, ['cat /var/log/cloud-init-output.log', 'cat /etc/user-data-runs']);
    expect(log.StandardOutputContent).toContain(`user data ran on ${agentful}`);
    expect(log.StandardOutputContent).toMatch(/once\n$/);
    expect(twin.errors).toEqual([]);
  });

  test('commands run with sh as root from /, without HOME; exit codes and statuses as SSM reports them', async () => {
    const ok = await aws.run(agentful, ['pwd', 'id -u', 'echo "home=${HOME-unset}"', 'readlink /proc/$$/exe']);
    expect(ok.Status).toBe('Success');
    expect(ok.ResponseCode).toBe(0);
    expect(ok.StandardOutputContent).toBe('/\n0\nhome=unset\n/usr/bin/dash\n');
    const failed = await aws.run(agentful, ['echo to stderr >&2', 'exit 3']);
    expect([failed.Status, failed.StatusDetails, failed.ResponseCode]).toEqual(['Failed', 'Failed', 3]);
    expect(failed.StandardErrorContent).toBe('to stderr\n');
  });

  test('output is cut to its first 24,000 (stdout) and 8,000 (stderr) characters', async () => {
    const long = await aws.run(agentful, ['seq 1 20000', 'seq 1 5000 >&2']);
    expect(long.StandardOutputContent).toHaveLength(STDOUT_LIMIT);
    expect(long.StandardOutputContent!.startsWith('1\n2\n3\n')).toBe(true);
    expect(long.StandardErrorContent).toHaveLength(STDERR_LIMIT);
    expect(long.StandardErrorContent!.startsWith('1\n2\n')).toBe(true);
  });

  test('executionTimeout kills the command (TimedOut); CancelCommand cancels one (Cancelled)', async () => {
    const timedOut = await aws.run(agentful, ['echo started', 'sleep 60'], 2);
    expect([timedOut.Status, timedOut.StatusDetails]).toEqual(['TimedOut', 'ExecutionTimedOut']);
    const id = await aws.send(agentful, ['sleep 60']);
    await new Promise((r) => setTimeout(r, 500));
    await aws.ssm.send(new CancelCommandCommand({ CommandId: id, InstanceIds: [agentful] }));
    expect((await aws.result(agentful, id)).Status).toBe('Cancelled');
    // Nothing of either is left running.
    const ps = await twin.exec(agentful, 'ps -eo args');
    expect(ps.stdout).not.toContain('sleep 60');
  });

  test('without an agent SendCommand is InvalidInstanceId; a failed user data is status: error', async () => {
    const bare = await launch(SEEDED.debianAmd64, userScript('echo "no luck" >&2\nexit 4'));
    await twin.settled(bare);
    expect(twin.instance(bare)!.state).toBe('running');
    const status = await twin.exec(bare, 'cloud-init status --wait');
    expect([status.exitCode, status.stdout.trim().split('\n').at(-1)]).toEqual([1, 'status: error']);
    expect((await twin.exec(bare, 'cat /var/log/cloud-init-output.log')).stdout).toContain('no luck');
    await expect(aws.send(bare, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [bare] }));
  });

  test('the Debian bootstrap: user data downloads the agent package from the loopback bucket, checks it with gpgv and starts it', async () => {
    const key = (await readFile(repo.keyPath)).toString('base64');
    const url = repo.urlTemplate.replace('{region}', 'us-east-1').replace('{arch}', 'amd64');
    const bootstrap = userScript(
      [
        'cd "$(mktemp -d)"',
        `echo ${key} | base64 -d > agent-key.gpg`,
        `curl -fsS -o amazon-ssm-agent.deb ${url}`,
        `curl -fsS -o amazon-ssm-agent.deb.sig ${url}.sig`,
        'gpgv --keyring ./agent-key.gpg amazon-ssm-agent.deb.sig amazon-ssm-agent.deb',
        'dpkg -i amazon-ssm-agent.deb',
        'systemctl enable --now amazon-ssm-agent',
      ].join('\n'),
    );
    const id = await launch(SEEDED.debianAmd64, bootstrap);
    const refused = await aws.agentOnline(id);
    expect(refused).toBeGreaterThan(0);
    expect(repo.requests.map((r) => `${r.status} ${r.path}`)).toEqual([
      '200 /amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb',
      '200 /amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb.sig',
    ]);
    // The package's postinst starts the agent while the user data still runs: wait for it, as the settle step does.
    const check = await aws.run(id, [
      'cloud-init status --wait | tail -n 1',
      'systemctl is-enabled amazon-ssm-agent',
      'dpkg-query -W amazon-ssm-agent',
    ]);
    expect(check.StandardOutputContent).toBe('status: done\nenabled\namazon-ssm-agent\t3.3.0.0-1prism-twin\n');
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  test('RebootInstances reboots: the agent is away until the new boot, /run is new, user data does not run again', async () => {
    const before = await aws.run(agentful, ['cat /proc/sys/kernel/random/boot_id', 'touch /run/marker']);
    await aws.ec2.send(new RebootInstancesCommand({ InstanceIds: [agentful] }));
    await expect(aws.send(agentful, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    await aws.agentOnline(agentful);
    const after = await aws.run(agentful, [
      'cat /proc/sys/kernel/random/boot_id',
      'test ! -e /run/marker && echo marker gone',
      'cat /etc/user-data-runs',
    ]);
    const [bootBefore] = before.StandardOutputContent!.split('\n');
    const [bootAfter, marker, runs] = after.StandardOutputContent!.split('\n');
    expect(bootAfter).not.toBe(bootBefore);
    expect([marker, runs]).toEqual(['marker gone', 'once']);
    expect(twin.instance(agentful)!.boots).toBe(2);
  });

  test('CreateImage captures the file system; instances from the image and from its copy boot it, with their own user data', async () => {
    await aws.run(agentful, ['echo built > /etc/built-here']);
    const hostKey = (await aws.run(agentful, ['cat /etc/ssh/ssh_host_ed25519_key.pub'])).StandardOutputContent;
    expect(hostKey).toMatch(/^ssh-ed25519 /);
    const image = await aws.ec2.send(new CreateImageCommand({ InstanceId: agentful, Name: 'twin-capture' }));
    // Like EC2 without NoReboot: the instance reboots for the snapshot, then runs again.
    await aws.agentOnline(agentful);
    expect(twin.instance(agentful)!.boots).toBe(3);
    const west = twinClients(proxy.endpoint, 'us-west-2');
    const copy = await west.ec2.send(new CopyImageCommand({ SourceImageId: image.ImageId, SourceRegion: 'us-east-1', Name: 'twin-copy' }));
    west.destroy();
    for (const [imageId, region] of [
      [image.ImageId!, 'us-east-1'],
      [copy.ImageId!, 'us-west-2'],
    ]) {
      const id = await launch(imageId, userScript('echo second >> /etc/user-data-runs'), region);
      const client = twinClients(proxy.endpoint, region);
      await client.agentOnline(id);
      const seen = await client.run(id, ['cloud-init status --wait >/dev/null', 'cat /etc/built-here /etc/user-data-runs']);
      expect(seen.StandardOutputContent).toBe('built\nonce\nsecond\n');
      // A new instance makes its own SSH host keys at its first boot, as cloud-init does.
      const key = await client.run(id, ['cat /etc/ssh/ssh_host_ed25519_key.pub']);
      expect(key.StandardOutputContent).toMatch(/^ssh-ed25519 /);
      expect(key.StandardOutputContent).not.toBe(hostKey);
      await client.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      client.destroy();
    }
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [agentful] }));
    for (const instance of twin.allInstances) await twin.settled(instance.id);
    expect(await twin.liveContainers()).toEqual([]);
    expect(twin.errors).toEqual([]);
  });

  test('a command to an unknown instance is InvalidInstanceId; other documents go to moto', async () => {
    await expect(aws.send('i-0000000000000000f', ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    const other = await aws.ssm.send(
      new SendCommandCommand({
        InstanceIds: ['i-0000000000000000f'],
        DocumentName: 'AWS-RunPowerShellScript',
        Parameters: { commands: ['dir'] },
      }),
    );
    expect(other.Command?.CommandId).toBeTruthy();
  });

  test('an instance left running, with a command still running, is removed by stop() (afterAll checks)', async () => {
    const left = await launch(AL2023);
    await aws.agentOnline(left);
    const id = await aws.send(left, ['sleep 600']);
    expect(['Pending', 'InProgress']).toContain(
      (await aws.ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: left }))).Status,
    );
    expect(await twin.liveContainers()).toHaveLength(1);
  });
});
