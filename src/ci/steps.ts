import { PINNED_ACTIONS, uses } from './pinned-actions.js';
import type { WorkflowSettings } from './settings.js';
import { run } from './yaml-text.js';

/** Check out, set up Node.js 20, install prism-ami. */
export function toolSteps(s: WorkflowSettings, checkout: string[]): string {
  const withLines = checkout.length > 0 ? `\n  with:\n${checkout.map((l) => `    ${l}`).join('\n')}` : '';
  const node = s.install === 'npm-ci' ? `node-version: '20'\n    cache: npm` : `node-version: '20'`;
  const install =
    s.install === 'npm-ci'
      ? `- name: Install prism-ami (the version package-lock.json pins)
  ${run('npm ci --no-audit --no-fund\necho "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"')}`
      : `- name: Install prism-ami ${s.toolVersion}
  run: npm install --global --no-audit --no-fund prism-ami@${s.toolVersion}`;
  return `- name: Check out
  ${uses(PINNED_ACTIONS.checkout)}${withLines}
- name: Set up Node.js
  ${uses(PINNED_ACTIONS.setupNode)}
  with:
    ${node}
${install}`;
}

/** Short-lived AWS credentials from the job's OIDC token: no keys anywhere. */
export function awsStep(session: string, extra: { if?: string; durationSeconds?: number } = {}): string {
  return `- name: AWS credentials (OIDC)${extra.if ? `\n  if: ${extra.if}` : ''}
  ${uses(PINNED_ACTIONS.awsCredentials)}
  with:
    role-to-assume: \${{ env.AMI_ROLE_ARN }}
    role-session-name: prism-ami-${session}-\${{ github.run_id }}
    aws-region: \${{ env.AWS_REGION }}${extra.durationSeconds ? `\n    role-duration-seconds: ${extra.durationSeconds}` : ''}`;
}
