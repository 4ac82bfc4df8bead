/**
 * `npm run bench`: measures what the issues promise, as medians over several runs.
 *  - `prism ami --help` start-up time;
 *  - local provider: the tool's overhead per build (wall time minus the setup script's own time,
 *    base cached), and the time of a build that is skipped because nothing changed;
 *  - local step cache: a rebuild after editing the last step, cached against --no-cache, and what
 *    the fresh-boot re-test adds to a build;
 *  - AWS provider against moto_server: API calls per build by operation, and the tool's own time
 *    apart from waiting for AWS;
 *  - build-all for 2 templates × 4 regions × 2 architectures against moto_server: instance-hours,
 *    API calls and wall time of `--strategy copy` against `per-region` (as ratios), and the time
 *    of a second run that has nothing to do.
 * Results are printed and written to bench/results/latest.json.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events, median, ms, timePrism } from './lib.js';
import { benchAws } from './aws.js';
import { benchBuildAll } from './build-all.js';
import { benchLocalCache } from './local-cache.js';

const results: Record<string, unknown> = {};
const report = (name: string, value: string) => console.log(`${name.padEnd(58)} ${value}`);

async function benchHelp(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) times.push((await timePrism(['ami', '--help'])).ms);
  results.helpMedianMs = median(times);
  report('prism ami --help (median of 15)', `${ms(median(times))}   target < 400 ms`);
}

async function benchLocal(): Promise<void> {
  if (process.getuid?.() !== 0) {
    report('local provider', 'skipped (needs root)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'prism-bench-local-'));
  try {
    await mkdir(join(dir, 'templates'));
    await writeFile(
      join(dir, 'templates', 'bench.yml'),
      'name: Bench\nbase_ami: {source: debian-12}\nsetup_script: |\n  #!/bin/bash\n  set -euo pipefail\n  echo "==> working"\n  sleep 1\nvalidation_tests:\n  - name: ok\n    command: "test -d /etc"\n    expected_exit_code: 0\n',
    );
    const env = {
      PRISM_AMI_STATE_DIR: join(dir, 'state'),
      PRISM_AMI_LOCAL_IMAGE_DIR: join(dir, 'images'),
      PRISM_AMI_LOCAL_WORK_DIR: join(dir, 'work'),
    };
    // Warm the base cache (a no-op when it exists).
    const warm = await timePrism(['ami', 'build', 'bench', '--provider', 'local', '--templates-dir', join(dir, 'templates'), '--json'], {
      env,
    });
    if (warm.code !== 0) throw new Error(`warm-up build failed: ${warm.stdout.slice(-800)}`);
    const overheads: number[] = [];
    const walls: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await timePrism(
        ['ami', 'build', 'bench', '--provider', 'local', '--templates-dir', join(dir, 'templates'), '--force', '--no-cache', '--json'],
        { env },
      );
      if (run.code !== 0) throw new Error(`build failed: ${run.stdout.slice(-800)}`);
      const setup = events(run.stdout)
        .filter((e) => e.type === 'step-end' && String(e.step).startsWith('setup-'))
        .reduce((sum, e) => sum + Number(e.durationMs), 0);
      overheads.push(run.ms - setup);
      walls.push(run.ms);
    }
    const hits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const run = await timePrism(['ami', 'build', 'bench', '--provider', 'local', '--templates-dir', join(dir, 'templates')], { env });
      if (!run.stdout.includes('is up to date')) throw new Error('expected a cache hit');
      hits.push(run.ms);
    }
    results.localOverheadMedianMs = median(overheads);
    results.localBuildWallMedianMs = median(walls);
    results.localCacheHitMedianMs = median(hits);
    report('local build: wall time (median of 5, setup sleeps 1 s)', ms(median(walls)));
    report('local build: tool overhead = wall - setup script time', `${ms(median(overheads))}   target < 10 s`);
    report('local build: unchanged template, skipped (median of 10)', `${ms(median(hits))}   target < 1.5 s`);
    await timePrism(['ami', 'sweep', '--provider', 'local', '--include-kept'], { env });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log('prism-ami benchmarks\n');
  await benchHelp();
  await benchLocal();
  Object.assign(results, await benchLocalCache(report));
  Object.assign(results, await benchAws(report));
  Object.assign(results, await benchBuildAll(report));
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(
    new URL('./results/latest.json', import.meta.url),
    `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`,
  );
  console.log('\nwritten to bench/results/latest.json');
}

await main();
