import type { WorkflowSettings } from './settings.js';
import { buildJob } from './build-job.js';
import { detectJob } from './detect-job.js';
import { PLACEHOLDER } from './placeholder.js';
import { updateJob } from './update-job.js';
import { q } from './yaml-text.js';

/** Where the workflow is written, relative to the repository root. */
export const WORKFLOW_PATH = '.github/workflows/ami-build.yml';

/**
 * The GitHub Actions workflow that builds a template repository's images: detect what to build,
 * build it in stages (parents before children), one job per template and architecture, then
 * write the new image IDs into the templates. Pure: settings in, YAML text out.
 */
export function renderWorkflow(s: WorkflowSettings): string {
  const stages = Array.from({ length: s.stages }, (_, i) => i + 1);
  return [header(s), triggers(s), globals(s), 'jobs:', detectJob(s), ...stages.map((n) => buildJob(s, n)), updateJob(s)].join('\n');
}

function header(s: WorkflowSettings): string {
  return `# Builds the machine images of this repository's templates with prism-ami: on a push that
# changes templates (only those, and the templates that extend them), every week for security
# updates (only templates whose base image has a newer release), and on demand.
# Written by \`prism ami ci init\` (prism-ami ${s.toolVersion}); docs/ci.md of prism-ami explains
# each job. Run \`prism ami ci init --force\` with other flags to change it.
name: Build AMIs
`;
}

function triggers(s: WorkflowSettings): string {
  const templates = s.templatesPath === '' ? ['*.yml', '*.yaml'] : [`${s.templatesPath}/**`];
  const shared = s.sharedPaths.flatMap((p) => [p, `${p}/**`]);
  return `on:
  push:
    branches:
      - ${q(s.branch)}
    paths:
${[...templates, ...shared].map((p) => `      - ${q(p)}`).join('\n')}
  schedule:
    # Weekly rebuild of the templates whose base image changed (security updates).
    - cron: ${q(s.schedule)}
  workflow_dispatch:
    inputs:
      templates:
        description: 'Templates to build, comma-separated, or all'
        required: false
        default: 'all'
        type: string
      force:
        description: 'Build even when an image with the same fingerprint exists'
        required: false
        default: false
        type: boolean
`;
}

function globals(s: WorkflowSettings): string {
  const value = (v: string | undefined, what: string) => q(v ?? `${PLACEHOLDER}: ${what}`);
  return `# Each job asks for what it needs; this is what the others get.
permissions:
  contents: read

defaults:
  run:
    shell: bash

env:
  # The IAM role the jobs assume through GitHub's OIDC provider: no long-lived AWS keys anywhere.
  AMI_ROLE_ARN: ${value(s.roleArn, 'the IAM role for GitHub OIDC (prism ami ci init --role-arn)')}
  # The region the credentials are issued for; images are built where each template says.
  AWS_REGION: ${value(s.regions?.[0], 'a region (prism ami ci init --regions)')}
  # Regions of templates that name none: the first builds the image, the others get copies.
  AMI_REGIONS: ${value(s.regions?.join(','), 'regions (prism ami ci init --regions)')}
  # The registry in S3: conditional writes, so parallel jobs never lose each other's updates.
  PRISM_AMI_REGISTRY: ${value(s.registry, 'the s3://bucket/key of the registry (prism ami ci init --registry)')}
  # The build instances' profile: its role lets the SSM agent run the setup.
  AMI_INSTANCE_PROFILE: ${q(s.instanceProfile)}
  AMI_TEMPLATES_DIR: ${q(s.templatesPath === '' ? '.' : s.templatesPath)}
`;
}
