import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runPrism } from '../support/cli.js';
import { CLEAN, events, leftovers, localEnv, requireOrSkipLocal, type LocalEnv } from '../support/local-env.js';

/**
 * Every build and validation container has a network of its own: its localhost is its own (a
 * service on the host does not answer its tests), two builds listen on one port side by side,
 * and the mirrors and DNS still work.
 */
const runnable = requireOrSkipLocal();

/** A systemd socket on `port` answering `text` to every connection: a service without any package. */
function listening(name: string, port: number, text: string): string {
  return `name: ${name}
base_ami: {source: debian-12, architecture: [x86_64]}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  cat > /etc/systemd/system/hello.socket <<'UNIT'
  [Socket]
  ListenStream=127.0.0.1:${port}
  Accept=yes
  [Install]
  WantedBy=sockets.target
  UNIT
  cat > /etc/systemd/system/hello@.service <<'UNIT'
  [Service]
  ExecStart=/bin/echo ${text}
  StandardOutput=socket
  UNIT
  systemctl daemon-reload
  systemctl enable --now hello.socket
  sleep 3
validation_tests:
  - name: answers on ${port}
    command: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3'"
    expected: "${text}"
`;
}

describe.runIf(runnable).sequential('local build containers: a network of their own', { timeout: 600_000 }, () => {
  let root: string;
  let e: LocalEnv;
  let templates: string;
  let host: Server;
  let hostPort: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prism-e2e-net-'));
    e = await localEnv(root);
    templates = join(root, 'templates');
    await mkdir(templates);
    // Something on the host's loopback that a careless test would take for the image's service.
    host = createServer((_req, res) => res.end('Hello from prism-ami\n'));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostPort = (host.address() as { port: number }).port;
    await writeFile(
      join(templates, 'serves-nothing.yml'),
      `name: Serves nothing
base_ami: {source: debian-12, architecture: [x86_64]}
setup_script: "echo this image serves nothing"
validation_tests:
  - name: Page is served
    command: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/${hostPort} && printf \\"GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n\\" >&3 && cat <&3'"
    expected_contains: "Hello from prism-ami"
`,
    );
    await writeFile(join(templates, 'one.yml'), listening('One', 8099, 'one'));
    await writeFile(join(templates, 'two.yml'), listening('Two', 8099, 'two'));
    await writeFile(
      join(templates, 'online.yml'),
      `name: Online
base_ami: {source: debian-12, architecture: [x86_64]}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  apt-get update -y
validation_tests:
  - name: names resolve
    command: "getent hosts deb.debian.org"
    expected_contains: "deb.debian.org"
  - name: the host's loopback is not reachable
    command: "bash -c 'exec 3<>/dev/tcp/10.0.2.2/${hostPort}'"
    expected_exit_code: 1
`,
    );
  }, 600_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
    if (!root) return;
    await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept', '--older-than', '0s'], { env: e.env });
    await rm(root, { recursive: true, force: true });
  });

  const prism = (args: string[]) => runPrism(args, { env: e.env, cwd: root });

  test("a service on the host's loopback does not answer the container's tests: the build fails", async () => {
    const result = await prism(['ami', 'build', 'serves-nothing', '--provider', 'local', '--templates-dir', templates, '--json']);
    expect(result.code, result.stdout.slice(-2000)).toBe(1);
    const test = events(result.stdout).find((ev) => ev.type === 'test-result')!.result as { status: string };
    expect(test.status).toBe('failed');
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test('two builds listen on the same port at the same time, each answering its own', async () => {
    const [one, two] = await Promise.all([
      prism(['ami', 'build', 'one', '--provider', 'local', '--templates-dir', templates]),
      prism(['ami', 'build', 'two', '--provider', 'local', '--templates-dir', templates]),
    ]);
    expect(one.code, one.stdout.slice(-2000)).toBe(0);
    expect(two.code, two.stdout.slice(-2000)).toBe(0);
    expect(await leftovers(e)).toEqual(CLEAN);
  });

  test("the mirrors and DNS work from the container's own network; the host's loopback does not", async () => {
    const result = await prism(['ami', 'build', 'online', '--provider', 'local', '--templates-dir', templates]);
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
  });
});
