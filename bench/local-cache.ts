import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events, median, ms, timePrism } from './lib.js';

const template = (edit: number) =>
  `name: Cache bench
base_ami: {source: debian-12}
setup_steps:
  - name: slow
    script: |
      sleep 10
      echo slow > /srv/slow
  - name: edited
    script: echo ${edit} > /srv/edited
validation_tests:
  - name: both ran
    command: cat /srv/slow /srv/edited
    expected: "slow\\n${edit}"
`;

/**
 * The edit → rebuild loop with the step cache: a template whose first step takes 10 s and whose
 * second step is edited between builds. Rebuild wall time with the cache against --no-cache
 * (medians of 3), and what the fresh-boot re-test adds to a build (with it against --no-retest).
 */
export async function benchLocalCache(report: (name: string, value: string) => void): Promise<Record<string, unknown>> {
  if (process.getuid?.() !== 0) return {};
  const dir = await mkdtemp(join(tmpdir(), 'prism-bench-cache-'));
  const env = {
    PRISM_AMI_STATE_DIR: join(dir, 'state'),
    PRISM_AMI_LOCAL_IMAGE_DIR: join(dir, 'images'),
    PRISM_AMI_LOCAL_WORK_DIR: join(dir, 'work'),
    PRISM_AMI_LOCAL_STEP_CACHE_DIR: join(dir, 'steps'),
  };
  let edit = 0;
  const build = async (...flags: string[]) => {
    await writeFile(join(dir, 'templates', 'cache-bench.yml'), template(++edit));
    const args = ['ami', 'build', 'cache-bench', '--provider', 'local', '--templates-dir', join(dir, 'templates'), '--json', ...flags];
    const run = await timePrism(args, { env });
    if (run.code !== 0) throw new Error(`build failed: ${run.stdout.slice(-800)}`);
    return run;
  };
  try {
    await mkdir(join(dir, 'templates'));
    await build();
    const cached: number[] = [];
    const uncached: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await build();
      if (!events(run.stdout).some((e) => e.type === 'step-end' && e.step === 'setup-1' && e.status === 'skipped')) {
        throw new Error('expected the first step to come from the step cache');
      }
      cached.push(run.ms);
      uncached.push((await build('--no-cache')).ms);
    }
    const withRetest: number[] = [];
    const withoutRetest: number[] = [];
    for (let i = 0; i < 3; i++) {
      withRetest.push((await build()).ms);
      withoutRetest.push((await build('--no-retest')).ms);
    }
    const ratio = median(uncached) / median(cached);
    report(
      'local rebuild after editing step 2 of 2 (step 1: 10 s)',
      `${ms(median(cached))} cached vs ${ms(median(uncached))} --no-cache: ${ratio.toFixed(2)}×`,
    );
    report(
      'local build: the fresh-boot re-test adds',
      `${ms(median(withRetest) - median(withoutRetest))} (median of 3: ${ms(median(withRetest))} vs ${ms(median(withoutRetest))})`,
    );
    return {
      stepCacheRebuildMedianMs: median(cached),
      noCacheRebuildMedianMs: median(uncached),
      stepCacheSpeedup: ratio,
      retestAddsMedianMs: median(withRetest) - median(withoutRetest),
    };
  } finally {
    await timePrism(['ami', 'sweep', '--provider', 'local', '--include-kept'], { env });
    await rm(dir, { recursive: true, force: true });
  }
}
