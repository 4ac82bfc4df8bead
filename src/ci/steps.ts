import { PINNED_ACTIONS, uses } from './pinned-actions.js';
import type { WorkflowSettings } from './settings.js';
import type { ToolSource } from './tool-source.js';
import { q, run } from './yaml-text.js';

/** Check out, set up Node.js 20, install exactly the pinned prism-ami. */
export function toolSteps(s: WorkflowSettings, checkout: string[]): string {
  const withLines = checkout.length > 0 ? `\n  with:\n${checkout.map((l) => `    ${l}`).join('\n')}` : '';
  // setup-node's npm cache needs the repository's lock file.
  const node = s.source.kind === 'lockfile' ? `node-version: '20'\n    cache: npm` : `node-version: '20'`;
  return `- name: Check out
  ${uses(PINNED_ACTIONS.checkout)}${withLines}
- name: Set up Node.js
  ${uses(PINNED_ACTIONS.setupNode)}
  with:
    ${node}
${installStep(s.source)}`;
}

/**
 * The install step for each source. The jobs hold cloud credentials, so what they run is pinned
 * to exact bytes (a lock file's or a given checksum) or an exact commit, checked before anything
 * of it runs, and installed without running install scripts.
 */
export function installStep(source: ToolSource): string {
  const flags = '--ignore-scripts --no-audit --no-fund';
  switch (source.kind) {
    case 'lockfile':
      return `- name: Install prism-ami (${source.version}, as ${source.lockfile} pins it)
  ${run(`# Exactly what the lock file pins, each package checked against its integrity.
npm ci ${flags}
echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"
"$GITHUB_WORKSPACE/node_modules/.bin/prism" --version`)}`;
    case 'registry':
      return `- name: Install prism-ami (${source.name}@${source.version}, integrity checked)
  env:
    PRISM_PACKAGE: ${q(`${source.name}@${source.version}`)}
    PRISM_SHA512: ${q(source.sha512)}
  ${run(`# The registry's tarball, checked against the integrity pinned at ci init before it is installed.
tarball="$RUNNER_TEMP/$(npm pack --ignore-scripts --json --pack-destination "$RUNNER_TEMP" "$PRISM_PACKAGE" | jq -r '.[0].filename')"
echo "$PRISM_SHA512  $tarball" | sha512sum --check --strict
npm install --global ${flags} "$tarball"
prism --version`)}`;
    case 'tarball':
      return `- name: Install prism-ami (tarball, sha256 checked)
  env:
    PRISM_TARBALL_URL: ${q(source.url)}
    PRISM_SHA256: ${q(source.sha256)}
  ${run(`# Downloaded over HTTPS only, checked against the sha256 pinned at ci init before it is installed.
tarball="$RUNNER_TEMP/prism-ami.tgz"
curl --fail --silent --show-error --location --proto '=https' --proto-redir '=https' --retry 3 --output "$tarball" "$PRISM_TARBALL_URL"
echo "$PRISM_SHA256  $tarball" | sha256sum --check --strict
npm install --global ${flags} "$tarball"
prism --version`)}`;
    case 'git':
      return `- name: Install prism-ami (git, commit ${source.commit.slice(0, 12)})
  env:
    PRISM_GIT_URL: ${q(source.url)}
    PRISM_GIT_COMMIT: ${q(source.commit)}
  ${run(`# One commit, never a branch or tag: what is built is what was pinned at ci init.
src="$RUNNER_TEMP/prism-ami-src"
git init --quiet "$src"
if ! git -C "$src" fetch --quiet --depth 1 "$PRISM_GIT_URL" "$PRISM_GIT_COMMIT"; then
  # A server that will not serve a commit by its ID: fetch its branches and tags instead.
  git -C "$src" fetch --quiet "$PRISM_GIT_URL" '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
fi
git -C "$src" checkout --quiet --detach "$PRISM_GIT_COMMIT"
if [[ "$(git -C "$src" rev-parse HEAD)" != "$PRISM_GIT_COMMIT" ]]; then
  echo "::error title=prism-ami source::$PRISM_GIT_URL did not give commit $PRISM_GIT_COMMIT"
  exit 1
fi
# Its own lock file pins its dependencies; the build is its own build script.
npm ci --prefix "$src" ${flags}
npm run --prefix "$src" build
npm install --global ${flags} "$src"
prism --version`)}`;
  }
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
