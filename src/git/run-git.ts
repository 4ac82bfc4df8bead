import { execFile } from 'node:child_process';
import { PrismError } from '../core/errors.js';

export interface GitOutput {
  /** 0 on success; git's own exit status otherwise. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `git ARGS` in `cwd` without a shell. A non-zero exit is returned, not thrown, so callers
 * decide what it means ("unknown revision" is bad input, not a crash); a missing git is
 * PREREQUISITE_MISSING.
 */
export function runGit(args: readonly string[], cwd: string): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        // Stable English messages, no pager, never a prompt for credentials.
        env: { ...process.env, LC_ALL: 'C', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          const missing = error.code === 'ENOENT';
          reject(
            new PrismError(
              missing ? 'PREREQUISITE_MISSING' : 'INTERNAL',
              missing ? 'git is not installed (or not on PATH)' : `git ${args[0]} failed: ${error.message}`,
              {
                cause: error,
                ...(missing ? { hint: 'install git: apt-get install git' } : {}),
              },
            ),
          );
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}
