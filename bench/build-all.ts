import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInstanceProfile, writeSeedAmis } from '../test/support/aws-env.js';
import { FaultProxy } from '../test/support/fault-proxy.js';
import { startMoto } from '../test/support/moto.js';
import { median, ms, timePrism } from './lib.js';

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
const STRATEGIES = ['copy', 'per-region'] as const;
type Strategy = (typeof STRATEGIES)[number];
const OPERATIONS = ['RunInstances', 'CreateImage', 'CopyImage'] as const;
const RUNS = 3;
const NOOP_RUNS = 5;

interface StrategyResult {
  /** From `prism ami plan --json` on an empty registry. */
  instanceHours: number;
  builds: number;
  copies: number;
  /** Calls counted at the proxy in one build-all from empty state (the same in every run). */
  calls: Record<(typeof OPERATIONS)[number] | 'total', number>;
  wallMedianMs: number;
  wallMs: number[];
}

const template = (name: string, head: string, setup: string) => `name: ${name}
${head}
setup_script: |
  #!/bin/bash
  set -euo pipefail
  ${setup}
validation_tests:
  - name: shell works
    command: "true"
    expected_exit_code: 0
`;

/**
 * `build-all` for the matrix, two templates (one extends the other) × 4 regions ×
 * 2 architectures, against moto_server through the recording proxy: `copy` (one build per
 * architecture, copied to the other regions) against `per-region` (a build in every region).
 * Instance-hours come from the plan; API calls are counted at the proxy; wall time is the median
 * of RUNS runs, each from an empty registry and an emulator reset to its seeded state. Then the
 * time of a second build-all that has nothing to do.
 */
export async function benchBuildAll(report: (name: string, value: string) => void): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'prism-bench-build-all-'));
  const moto = await startMoto({ amisPath: await writeSeedAmis(dir) });
  const proxy = new FaultProxy(moto.endpoint);
  await proxy.start();
  try {
    await mkdir(join(dir, 'templates'));
    const regions = `regions: [${REGIONS.join(', ')}]`;
    await writeFile(
      join(dir, 'templates', 'base.yml'),
      template('Base', `base_ami: {source: ubuntu-22.04-lts, architecture: [x86_64, arm64]}\n${regions}`, 'echo base'),
    );
    await writeFile(join(dir, 'templates', 'app.yml'), template('App', 'extends: base', 'echo app'));
    await writeFile(
      join(dir, 'prism-ami.config.yaml'),
      `templatesDir: templates\ninstanceProfile: prism-builder\ninstanceProfileWaitSeconds: 2\n${regions}\n`,
    );
    const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, PRISM_AMI_STATE_DIR: join(dir, 'state') };
    const prism = (args: string[]) => timePrism(['ami', ...args], { cwd: dir, env });

    // Empty registry, emulator back to its seeded images, a fresh instance profile.
    const fresh = async () => {
      await rm(join(dir, 'ami-registry.json'), { force: true });
      await rm(join(dir, 'state'), { recursive: true, force: true });
      await moto.reset();
      await createInstanceProfile(moto.env);
      proxy.reset();
    };

    const results = {} as Record<Strategy, StrategyResult>;
    let noop: number[] = [];
    for (const strategy of STRATEGIES) {
      await fresh();
      const planned = await prism(['plan', '--strategy', strategy, '--json']);
      if (planned.code !== 0) throw new Error(`plan (${strategy}) failed: ${planned.stdout.slice(-800)}`);
      const plan = JSON.parse(planned.stdout) as { totals: { builds: number; copies: number; estimate: { instanceHours: number } } };
      const walls: number[] = [];
      let calls = {} as StrategyResult['calls'];
      for (let i = 0; i < RUNS; i++) {
        await fresh();
        const run = await prism(['build-all', '--strategy', strategy, '--json']);
        if (run.code !== 0) throw new Error(`build-all --strategy ${strategy} failed: ${run.stdout.slice(-800)}`);
        walls.push(run.ms);
        const counted = Object.fromEntries(OPERATIONS.map((op) => [op, proxy.count(op)])) as StrategyResult['calls'];
        counted.total = proxy.calls.length;
        if (i > 0 && OPERATIONS.some((op) => counted[op] !== calls[op]))
          throw new Error(`${strategy}: runs made different calls: ${JSON.stringify([calls, counted])}`);
        calls = counted;
      }
      if (calls.CreateImage !== plan.totals.builds || calls.CopyImage !== plan.totals.copies) {
        throw new Error(
          `${strategy}: build-all made ${calls.CreateImage} images and ${calls.CopyImage} copies; the plan said ${plan.totals.builds} and ${plan.totals.copies}`,
        );
      }
      results[strategy] = {
        instanceHours: plan.totals.estimate.instanceHours,
        builds: plan.totals.builds,
        copies: plan.totals.copies,
        calls,
        wallMedianMs: median(walls),
        wallMs: walls,
      };

      if (strategy === 'copy') {
        // The same command again: everything is up to date.
        noop = [];
        for (let i = 0; i < NOOP_RUNS; i++) {
          proxy.reset();
          const run = await prism(['build-all', '--json']);
          if (run.code !== 0 || OPERATIONS.some((op) => proxy.count(op) > 0))
            throw new Error(`the second build-all was expected to make nothing: ${run.stdout.slice(-800)}`);
          noop.push(run.ms);
        }
      }
    }

    const copy = results.copy;
    const perRegion = results['per-region'];
    const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);
    const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '∞');
    const ratios = {
      instanceHours: ratio(perRegion.instanceHours, copy.instanceHours),
      RunInstances: ratio(perRegion.calls.RunInstances, copy.calls.RunInstances),
      CreateImage: ratio(perRegion.calls.CreateImage, copy.calls.CreateImage),
      CopyImage: ratio(perRegion.calls.CopyImage, copy.calls.CopyImage),
      totalCalls: ratio(perRegion.calls.total, copy.calls.total),
      wall: ratio(perRegion.wallMedianMs, copy.wallMedianMs),
    };
    const row = (name: string, c: string, p: string, r: number) =>
      report(name, `copy ${c.padStart(8)}   per-region ${p.padStart(8)}   per-region/copy ${x(r)}`);
    console.log(`\nbuild-all, 2 templates (one extends the other) × ${REGIONS.length} regions × 2 architectures, against moto`);
    row(
      '  builds / copies (plan)',
      `${copy.builds}/${copy.copies}`,
      `${perRegion.builds}/${perRegion.copies}`,
      ratio(perRegion.builds, copy.builds),
    );
    row(
      '  instance-hours (plan, 30 min per build)',
      copy.instanceHours.toFixed(1),
      perRegion.instanceHours.toFixed(1),
      ratios.instanceHours,
    );
    for (const op of OPERATIONS) row(`  API calls: ${op}`, String(copy.calls[op]), String(perRegion.calls[op]), ratios[op]);
    row('  API calls: total', String(copy.calls.total), String(perRegion.calls.total), ratios.totalCalls);
    row(`  wall time (median of ${RUNS}, from empty state)`, ms(copy.wallMedianMs), ms(perRegion.wallMedianMs), ratios.wall);
    report(`  second build-all, nothing to do (median of ${NOOP_RUNS})`, `${ms(median(noop))}   target < 2 s`);
    return { buildAll: { copy, perRegion, ratiosPerRegionToCopy: ratios, noopMedianMs: median(noop), noopMs: noop } };
  } finally {
    await proxy.stop();
    await moto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
