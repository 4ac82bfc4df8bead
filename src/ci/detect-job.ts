import type { WorkflowSettings } from './settings.js';
import { PLACEHOLDER } from './placeholder.js';
import { awsStep, toolSteps } from './steps.js';
import { indent, run } from './yaml-text.js';

function checkSettings(): string {
  const checks = [
    ['AMI_ROLE_ARN', '--role-arn arn:aws:iam::ACCOUNT:role/NAME'],
    ['AMI_REGIONS', '--regions us-east-1,us-west-2'],
    ['AWS_REGION', '--regions us-east-1,us-west-2'],
    ['PRISM_AMI_REGISTRY', '--registry s3://BUCKET/ami-registry.json'],
  ];
  const script = `failed=0
${checks
  .map(
    ([name, flag]) => `if [[ "$${name}" == ${PLACEHOLDER}* ]]; then
  echo "::error title=prism-ami settings::${name} is not set. Run prism ami ci init --force ${flag} (docs/ci.md), or edit env: in this file."
  failed=1
fi`,
  )
  .join('\n')}
exit "$failed"`;
  return `- name: Check the settings
  ${run(script)}`;
}

export function detectJob(s: WorkflowSettings): string {
  const only = s.architectures ? ` --architectures ${s.architectures.join(',')}` : '';
  const select = `case "$EVENT" in
  push)
    since=()
    if [[ -n "$BEFORE" && "$BEFORE" != 0000000000000000000000000000000000000000 ]]; then
      if git cat-file -e "$BEFORE^{commit}" 2>/dev/null; then
        since=(--since "$BEFORE")
      else
        echo "::warning::$BEFORE (the branch before this push) is not in the history; comparing with the previous commit"
      fi
    fi
    prism ami changed --json${only} "\${since[@]}" > selection.json
    ;;
  schedule)
    # Only templates whose base image has a newer release (and what extends them).
    prism ami plan --only-outdated --json${only} > selection.json
    ;;
  workflow_dispatch)
    prism ami changed --json${only} --templates "\${REQUESTED:-all}" > selection.json
    ;;
  *)
    echo "::error::unexpected event $EVENT"
    exit 1
    ;;
esac`;
  const stageNumbers = Array.from({ length: s.stages }, (_, i) => i);
  const order = `prism ami ci stages --stages ${s.stages} --json selection.json > stages.json
prism ami ci stages --stages ${s.stages} selection.json >> "$GITHUB_STEP_SUMMARY"
{
  echo "total=$(jq '.total' stages.json)"
${stageNumbers.map((i) => `  echo "stage${i + 1}=$(jq -c '.stages[${i}]' stages.json)"\n  echo "stage${i + 1}_count=$(jq '.stages[${i}].include | length' stages.json)"`).join('\n')}
} >> "$GITHUB_OUTPUT"`;
  const outputs = stageNumbers
    .map(
      (i) =>
        `stage${i + 1}: \${{ steps.order.outputs.stage${i + 1} }}\nstage${i + 1}_count: \${{ steps.order.outputs.stage${i + 1}_count }}`,
    )
    .join('\n');
  const steps = [
    checkSettings(),
    toolSteps(s, ['fetch-depth: 0  # the whole history: change detection compares commits', 'persist-credentials: false']),
    awsStep('plan', { if: "github.event_name == 'schedule'" }),
    `- name: Choose what to build
  id: select
  env:
    EVENT: \${{ github.event_name }}
    BEFORE: \${{ github.event.before }}
    REQUESTED: \${{ inputs.templates }}
  ${run(select)}`,
    `- name: Order the builds (a template after the template it extends)
  id: order
  ${run(order)}`,
  ].join('\n');
  return indent(
    `detect:
  name: Choose templates
  runs-on: ubuntu-latest
  timeout-minutes: 20
  permissions:
    contents: read
    id-token: write  # the weekly plan reads the registry and looks up base images
  outputs:
    total: \${{ steps.order.outputs.total }}
${indent(outputs, 4)}
  steps:
${indent(steps, 4)}
`,
    2,
  );
}
