import { PINNED_ACTIONS, uses } from './pinned-actions.js';
import type { WorkflowSettings } from './settings.js';
import { awsStep, toolSteps } from './steps.js';
import { indent, run } from './yaml-text.js';

export function updateJob(s: WorkflowSettings): string {
  const builds = Array.from({ length: s.stages }, (_, i) => `build-${i + 1}`);
  const permissions = [
    'contents: write  # commits the updated templates',
    ...(s.openPr ? ['pull-requests: write'] : []),
    'id-token: write  # reads the registry',
  ];
  const addPaths = s.templatesPath === '' ? ['*.yml', '*.yaml'] : [`${s.templatesPath}/*.yml`, `${s.templatesPath}/*.yaml`];
  const publish = s.openPr
    ? `- name: Open a pull request
  ${uses(PINNED_ACTIONS.createPullRequest)}
  with:
    branch: prism-ami/update-templates
    delete-branch: true
    commit-message: Update AMI IDs in templates
    title: Update AMI IDs in templates
    body: |
      \`prism ami update-templates\` wrote the registry's current images into the templates' \`amis:\` blocks after run \${{ github.run_id }}.
    add-paths: |
${addPaths.map((p) => `      ${p}`).join('\n')}`
    : `- name: Commit the templates to \${{ github.ref_name }}
  env:
    BRANCH: \${{ github.ref_name }}
  ${run(`if git diff --quiet -- "$AMI_TEMPLATES_DIR"; then
  echo "The templates already show the registry's current images."
  exit 0
fi
git config user.name 'github-actions[bot]'
git config user.email '41898282+github-actions[bot]@users.noreply.github.com'
git add -- "$AMI_TEMPLATES_DIR"
git commit -m "Update AMI IDs in templates" -m "Written by prism ami update-templates in run $GITHUB_RUN_ID."
# Another run may have pushed meanwhile: rebase on it and try again.
for attempt in 1 2 3; do
  if git push origin "HEAD:$BRANCH"; then exit 0; fi
  echo "push failed (attempt $attempt); rebasing on $BRANCH"
  git pull --rebase origin "$BRANCH"
done
echo "::error::could not push the updated templates to $BRANCH"
exit 1`)}`;
  const steps = [
    toolSteps(s, [
      'ref: ${{ github.ref }}  # the branch as it is now, not the commit that started the run',
      `persist-credentials: ${s.openPr ? 'false' : 'true'}`,
    ]),
    awsStep('update'),
    `- name: Write the current images into the templates' amis blocks
  run: prism ami update-templates`,
    publish,
    // The report is worth having whatever the steps above did (docs/manifests.md).
    `- name: Write the image report (matrix, history, package diffs)
  if: \${{ !cancelled() }}
  run: prism ami report --out ami-report
- name: Upload the image report
  if: \${{ !cancelled() }}
  ${uses(PINNED_ACTIONS.uploadArtifact)}
  with:
    name: ami-report
    path: ami-report
    if-no-files-found: error
    retention-days: 90`,
  ].join('\n');
  return indent(
    `update-templates:
  name: Update the templates
  needs: [detect, ${builds.join(', ')}]
  # After every build, even failed ones: whatever was built is in the registry.
  if: \${{ always() && needs.detect.result == 'success' && needs.detect.outputs.total != '0' }}
  runs-on: ubuntu-latest
  timeout-minutes: 20
  permissions:
${indent(permissions.join('\n'), 4)}
  concurrency:
    group: prism-ami-update-templates
    cancel-in-progress: false
  steps:
${indent(steps, 4)}
`,
    2,
  );
}
