import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where prism-ami keeps its own state (run journals, build logs). Root uses /var/lib/prism-ami
 * like other system tools; users get $XDG_STATE_HOME/prism-ami. PRISM_AMI_STATE_DIR overrides.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PRISM_AMI_STATE_DIR) return env.PRISM_AMI_STATE_DIR;
  if (process.getuid?.() === 0) return '/var/lib/prism-ami';
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'prism-ami');
}

export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'runs');
}

export function defaultLogDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'logs');
}
