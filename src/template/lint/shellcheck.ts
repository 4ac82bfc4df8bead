import { spawn, spawnSync } from 'node:child_process';

export interface ShellcheckFinding {
  code: number;
  level: 'error' | 'warning' | 'info' | 'style';
  message: string;
  line: number;
  column: number;
}

/** Runs shellcheck on one script; the lint action passes it in, tests may pass another. */
export type ShellcheckRunner = (script: string) => Promise<ShellcheckFinding[]>;

/** The shellcheck on PATH as a runner, or undefined when it is not installed. */
export function findShellcheck(command = 'shellcheck'): ShellcheckRunner | undefined {
  const probe = spawnSync(command, ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return undefined;
  return (script) => runShellcheck(command, script);
}

function runShellcheck(command: string, script: string): Promise<ShellcheckFinding[]> {
  const args = ['--format=json1', '--severity=warning', '--external-sources'];
  if (!script.startsWith('#!')) args.push('--shell=bash');
  args.push('-');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      // 0: clean, 1: findings; anything else is shellcheck failing.
      if (code !== 0 && code !== 1) {
        reject(new Error(`shellcheck exited with ${code}: ${stderr.trim()}`));
        return;
      }
      try {
        resolve(parseShellcheckJson(stdout));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(script);
  });
}

export function parseShellcheckJson(text: string): ShellcheckFinding[] {
  const parsed = JSON.parse(text) as { comments?: { code: number; level: string; message: string; line: number; column: number }[] };
  return (parsed.comments ?? []).map((c) => ({
    code: c.code,
    level: (['error', 'warning', 'info', 'style'].includes(c.level) ? c.level : 'warning') as ShellcheckFinding['level'],
    message: c.message,
    line: c.line,
    column: c.column,
  }));
}
