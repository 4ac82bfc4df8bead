import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFiles } from './files.js';
import { tempDir } from './temp.js';

/** Git without the machine's or the user's configuration, so tests behave the same everywhere. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

/** A real git repository in a temporary folder (removed when the test ends). */
export class TestRepo {
  private constructor(readonly dir: string) {}

  /** In `dir` when given (the caller removes it), else in a temporary folder of the current test. */
  static async create(branch = 'main', dir?: string): Promise<TestRepo> {
    const repo = new TestRepo(dir ?? (await tempDir('prism-ami-git-')));
    await repo.git('init', '--quiet', '--initial-branch', branch);
    await repo.git('config', 'user.name', 'Test');
    await repo.git('config', 'user.email', 'test@example.com');
    await repo.git('config', 'commit.gpgsign', 'false');
    return repo;
  }

  /** A repository that already exists (a clone the test made). */
  static at(dir: string): TestRepo {
    return new TestRepo(dir);
  }

  git(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('git', args, { cwd: this.dir, env: { ...process.env, ...GIT_ENV } }, (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args.join(' ')}: ${stderr || error.message}`));
        else resolve(stdout.trim());
      });
    });
  }

  write(files: Record<string, string>): Promise<void> {
    return writeFiles(this.dir, files);
  }

  async remove(...paths: string[]): Promise<void> {
    for (const p of paths) await rm(join(this.dir, p), { recursive: true, force: true });
  }

  /** Stages everything and commits; returns the new commit's SHA. */
  async commit(message: string): Promise<string> {
    await this.git('add', '--all');
    await this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }
}

/** A small valid template; `parent` makes it extend another. */
export function templateYaml(
  name: string,
  options: { parent?: string; setup?: string; architectures?: string[]; regions?: string[] } = {},
): string {
  const arch = options.architectures ?? (options.parent ? undefined : ['x86_64', 'arm64']);
  return [
    `name: "${name}"`,
    `description: "The ${name} template"`,
    ...(options.parent ? [`extends: ${options.parent}`] : []),
    ...(options.parent && !arch
      ? []
      : ['base_ami:', ...(options.parent ? [] : ['  source: ubuntu-22.04-lts']), `  architecture: [${arch!.join(', ')}]`]),
    ...(options.regions ? [`regions: [${options.regions.join(', ')}]`] : []),
    'setup_script: |',
    '  #!/bin/bash',
    '  set -euo pipefail',
    `  ${options.setup ?? `echo ${name}`}`,
    ...(options.parent ? [] : ['validation_tests:', '  - name: "ok"', '    command: "true"', '    expected_exit_code: 0']),
    '',
  ].join('\n');
}
