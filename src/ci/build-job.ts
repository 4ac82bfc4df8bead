import type { WorkflowSettings } from './settings.js';
import { awsStep, toolSteps } from './steps.js';
import { indent, run } from './yaml-text.js';

export function buildJob(s: WorkflowSettings, stage: number): string {
  const id = `build-${stage}`;
  const needs = stage === 1 ? 'detect' : `[detect, build-${stage - 1}]`;
  // A later stage runs after the one before it even when some of its builds failed: their
  // children fail with a clear message, everything else is built.
  const condition =
    stage === 1
      ? `needs.detect.outputs.stage1_count != '0'`
      : `\${{ !cancelled() && needs.detect.result == 'success' && needs.detect.outputs.stage${stage}_count != '0' }}`;
  const script = `# The template's regions, else AMI_REGIONS: build in the first, copy to the others.
regions="$(prism ami show "$TEMPLATE" --json | jq -r '(.template.regions // []) | join(",")')"
if [[ -z "$regions" ]]; then regions="$AMI_REGIONS"; fi
first="\${regions%%,*}"
others="\${regions#"$first"}"
others="\${others#,}"
args=(ami build "$TEMPLATE" --architecture "$ARCHITECTURE" --region "$first" --instance-profile "$AMI_INSTANCE_PROFILE")
if [[ -n "$others" ]]; then args+=(--copy-to "$others"); fi
# The weekly rebuild is for a newer base image; the template, and so its fingerprint, is unchanged.
if [[ "$FORCE" == true ]]; then args+=(--force); fi
prism "\${args[@]}"`;
  const steps = [
    toolSteps(s, ['persist-credentials: false']),
    awsStep('build', { durationSeconds: 14400 }),
    `- name: Build, validate, copy to every region, record in the registry
  env:
    TEMPLATE: \${{ matrix.template }}
    ARCHITECTURE: \${{ matrix.architecture }}
    FORCE: \${{ github.event_name == 'schedule' || inputs.force == true }}
  ${run(script)}`,
  ].join('\n');
  return indent(
    `${id}:
  name: Build \${{ matrix.template }} \${{ matrix.architecture }}${stage > 1 ? ` (stage ${stage})` : ''}
  needs: ${needs}
  if: ${condition}
  runs-on: ubuntu-latest
  timeout-minutes: 240
  permissions:
    contents: read
    id-token: write
  strategy:
    fail-fast: false
    matrix: \${{ fromJson(needs.detect.outputs.stage${stage}) }}
  # One build of an image at a time; a second push waits instead of building it twice.
  concurrency:
    group: ami-\${{ matrix.template }}-\${{ matrix.architecture }}
    cancel-in-progress: false
  steps:
${indent(steps, 4)}
`,
    2,
  );
}
