import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInstanceProfile, writeSeedAmis } from '../test/support/aws-env.js';
import { FaultProxy } from '../test/support/fault-proxy.js';
import { startMoto } from '../test/support/moto.js';
import { median, ms, timePrism } from './lib.js';

/**
 * AWS builds against moto_server through the recording proxy: which API calls one build makes,
 * and how long the tool itself takes apart from waiting for AWS (wall time minus the time the
 * proxy saw requests in flight; moto answers at once and nothing polls twice).
 */
export async function benchAws(report: (name: string, value: string) => void): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'prism-bench-aws-'));
  const moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
  const proxy = new FaultProxy(moto.endpoint);
  await proxy.start();
  try {
    await createInstanceProfile(moto.env);
    await mkdir(join(dir, 'templates'));
    await writeFile(
      join(dir, 'templates', 'bench.yml'),
      'name: Bench\nbase_ami: {source: ubuntu-22.04-lts, architecture: [x86_64]}\nsetup_script: |\n  #!/bin/bash\n  echo hi\nvalidation_tests:\n  - name: a\n    command: "true"\n    expected_exit_code: 0\n  - name: b\n    command: "true"\n    expected_exit_code: 0\n',
    );
    await writeFile(join(dir, 'prism-ami.config.yaml'), 'templatesDir: templates\ninstanceProfile: prism-builder\n');
    const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    const own: number[] = [];
    const walls: number[] = [];
    let calls: Record<string, number> = {};
    for (let i = 0; i < 5; i++) {
      proxy.reset();
      const run = await timePrism(['ami', 'build', 'bench', '--region', 'us-east-1', '--force', '--json'], { cwd: dir, env });
      if (run.code !== 0) throw new Error(`aws build failed: ${run.stdout.slice(-800)}`);
      walls.push(run.ms);
      own.push(run.ms - busyTime(proxy.calls.map((c) => [c.at, c.done ?? c.at])));
      calls = {};
      for (const c of proxy.calls) calls[c.action] = (calls[c.action] ?? 0) + 1;
    }
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    report('aws build against moto: wall time (median of 5)', ms(median(walls)));
    report('aws build: tool time apart from waiting for AWS (median)', ms(median(own)));
    report('aws build: API calls per build (1 setup step, 2 tests)', String(total));
    for (const [action, count] of Object.entries(calls).sort((a, b) => b[1] - a[1])) report(`   ${action}`, String(count));
    return { awsBuildWallMedianMs: median(walls), awsOwnTimeMedianMs: median(own), awsCallsPerBuild: total, awsCallsByOperation: calls };
  } finally {
    await proxy.stop();
    await moto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Total time covered by the intervals (overlaps counted once). */
function busyTime(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (s > end) {
      busy += e - s;
      end = e;
    } else if (e > end) {
      busy += e - end;
      end = e;
    }
  }
  return busy;
}
