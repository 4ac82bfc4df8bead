import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runPrism, type CliResult } from './cli.js';

/** Whether this machine can run real local builds (root, systemd-nspawn, debootstrap). */
export function localBuildsPossible(): { ok: boolean; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root' };
  for (const command of ['systemd-nspawn', 'debootstrap', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) return { ok: false, why: `${command} is not installed` };
  }
  return { ok: true, why: '' };
}

/**
 * Real local builds are part of the suite wherever they can run; scripts/test.sh sets
 * PRISM_AMI_REQUIRE_E2E=1 so CI fails instead of silently skipping them.
 */
export function requireOrSkipLocal(): boolean {
  const { ok, why } = localBuildsPossible();
  if (!ok && process.env.PRISM_AMI_REQUIRE_E2E === '1') throw new Error(`local end-to-end tests are required but cannot run: ${why}`);
  if (!ok) console.warn(`skipping local end-to-end tests: ${why}`);
  return ok;
}

export interface LocalEnv {
  root: string;
  env: Record<string, string>;
  imageDir: string;
  workDir: string;
  stateDir: string;
}

/** Isolated image store, work folder and state (journals, logs); the base cache is shared. */
export async function localEnv(root: string): Promise<LocalEnv> {
  const imageDir = join(root, 'images');
  const workDir = join(root, 'work');
  const stateDir = join(root, 'state');
  await Promise.all([mkdir(imageDir), mkdir(workDir), mkdir(stateDir)]);
  return {
    root,
    imageDir,
    workDir,
    stateDir,
    env: {
      PRISM_AMI_STATE_DIR: stateDir,
      PRISM_AMI_LOCAL_IMAGE_DIR: imageDir,
      PRISM_AMI_LOCAL_WORK_DIR: workDir,
      PRISM_AMI_LOCAL_STEP_CACHE_DIR: join(root, 'steps'),
      ...(process.env.PRISM_AMI_LOCAL_CACHE_DIR ? { PRISM_AMI_LOCAL_CACHE_DIR: process.env.PRISM_AMI_LOCAL_CACHE_DIR } : {}),
    },
  };
}

/** What a build left on the machine: processes, mounts, folders, journals. All empty when clean. */
export async function leftovers(
  e: LocalEnv,
): Promise<{ processes: string[]; mounts: string[]; workEntries: string[]; partialImages: string[]; journals: string[] }> {
  const processes: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(e.workDir) && !/ Z /.test(stat)) processes.push(`${pid} ${cmdline}`);
  }
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(e.root));
  const workEntries = await readdir(e.workDir).catch(() => []);
  const partialImages = (await readdir(e.imageDir).catch(() => [])).filter((n) => n.endsWith('.partial'));
  const journals = await readdir(join(e.stateDir, 'runs')).catch(() => []);
  return { processes, mounts, workEntries, partialImages, journals };
}

export const CLEAN = { processes: [], mounts: [], workEntries: [], partialImages: [], journals: [] };

/** Parses the NDJSON event stream of `--json`. */
export function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The set-up every local end-to-end file shares, registered in the calling describe: a temporary
 * root with its own image store, work folder and state (`localEnv`), a templates folder holding
 * `templates` (file name → text), a file registry, and in afterAll a sweep of everything the
 * builds kept and the root removed. Its fields are set once beforeAll has run.
 */
export class LocalSuite {
  root = '';
  e!: LocalEnv;
  templates = '';
  registry = '';

  constructor(prefix: string, files: Record<string, string> = {}) {
    beforeAll(async () => {
      this.root = await mkdtemp(join(tmpdir(), prefix));
      this.e = await localEnv(this.root);
      this.templates = join(this.root, 'templates');
      this.registry = `file:${join(this.root, 'r.json')}`;
      await mkdir(this.templates);
      for (const [name, text] of Object.entries(files)) await this.write(name, text);
    }, 600_000);
    afterAll(async () => {
      if (!this.root) return;
      await runPrism(['ami', 'sweep', '--provider', 'local', '--include-kept', '--older-than', '0s'], { env: this.e.env });
      await rm(this.root, { recursive: true, force: true });
    });
  }

  get env(): Record<string, string> {
    return this.e.env;
  }

  /** Writes (or replaces) a template file in the templates folder. */
  write(name: string, text: string): Promise<void> {
    return writeFile(join(this.templates, name), text);
  }

  /** `prism <args>` with the suite's environment, run in its root. */
  prism(args: string[]): Promise<CliResult> {
    return runPrism(args, { env: this.e.env, cwd: this.root });
  }

  /** The flags that point a verb at the suite: the local provider, its templates and registry. */
  get flags(): string[] {
    return ['--provider', 'local', '--templates-dir', this.templates, '--registry', this.registry];
  }

  /** `prism ami build <slug>` on the suite's templates and registry, with more flags after. */
  build(slug: string, ...more: string[]): Promise<CliResult> {
    return this.prism(['ami', 'build', slug, ...this.flags, ...more]);
  }
}
