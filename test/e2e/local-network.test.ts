import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLEAN, events, leftovers, LocalSuite, requireOrSkipLocal } from '../support/local-env.js';

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
  const suite = new LocalSuite('prism-e2e-net-');
  let host: Server;
  let hostPort: number;

  beforeAll(async () => {
    // Something on the host's loopback that a careless test would take for the image's service.
    host = createServer((_req, res) => res.end('Hello from prism-ami\n'));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostPort = (host.address() as { port: number }).port;
    await suite.write(
      'serves-nothing.yml',
      `name: Serves nothing
base_ami: {source: debian-12, architecture: [x86_64]}
setup_script: "echo this image serves nothing"
validation_tests:
  - name: Page is served
    command: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/${hostPort} && printf \\"GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n\\" >&3 && cat <&3'"
    expected_contains: "Hello from prism-ami"
`,
    );
    await suite.write('one.yml', listening('One', 8099, 'one'));
    await suite.write('two.yml', listening('Two', 8099, 'two'));
    await suite.write(
      'online.yml',
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
  });

  test("a service on the host's loopback does not answer the container's tests: the build fails", async () => {
    const result = await suite.build('serves-nothing', '--json');
    expect(result.code, result.stdout.slice(-2000)).toBe(1);
    const test = events(result.stdout).find((ev) => ev.type === 'test-result')!.result as { status: string };
    expect(test.status).toBe('failed');
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test('two builds listen on the same port at the same time, each answering its own', async () => {
    const [one, two] = await Promise.all([suite.build('one'), suite.build('two')]);
    expect(one.code, one.stdout.slice(-2000)).toBe(0);
    expect(two.code, two.stdout.slice(-2000)).toBe(0);
    expect(await leftovers(suite.e)).toEqual(CLEAN);
  });

  test("the mirrors and DNS work from the container's own network; the host's loopback does not", async () => {
    const result = await suite.build('online');
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
  });
});
