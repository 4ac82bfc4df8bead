import { PrismError } from '../core/errors.js';
import { isRegionName, type Architecture } from '../core/types.js';
import { checkToolSource, type ToolSource } from './tool-source.js';

/** What the generated workflow is made from: every value checked, so it is safe to write into YAML and shell. */
export interface WorkflowSettings {
  /** The prism-ami version that wrote the workflow (named in its header comment). */
  toolVersion: string;
  /** Exactly which prism-ami the jobs install: the repository's lock file, or a pinned source. */
  source: ToolSource;
  /** The branch whose pushes build images, and where updated templates go. */
  branch: string;
  /** The templates folder relative to the repository root ('' for the root). */
  templatesPath: string;
  /** Shared folders the templates read, relative to the root: a change there rebuilds all. */
  sharedPaths: string[];
  /** Regions of templates that name none; undefined: a placeholder that fails the run early. */
  regions?: string[];
  /** The IAM role to assume through GitHub's OIDC provider; undefined: a placeholder. */
  roleArn?: string;
  /** `s3://bucket/key`; undefined: a placeholder. */
  registry?: string;
  /** Only these architectures (default: each template's own). */
  architectures?: Architecture[];
  /** The build instances' instance profile. */
  instanceProfile: string;
  /** Open a pull request with the updated templates instead of committing them to the branch. */
  openPr: boolean;
  /** Build stages: a template is built in a later stage than its parent (extends depth). */
  stages: number;
  /** When the weekly rebuild runs (cron, UTC). */
  schedule: string;
}

export const DEFAULT_SCHEDULE = '0 2 * * 1';
export const MAX_STAGES = 8;

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[\w!\-.*'()/]+$/;
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$)[\w.\-/]{1,200}$/;
const SAFE_PATH = /^[\w.\-/]*$/;
const INSTANCE_PROFILE = /^[\w+=,.@-]{1,128}$/;
const VERSION = /^\d+\.\d+\.\d+(-[\w.]+)?$/;

/** Throws USAGE (exit 2) for any value that is not what it claims to be. */
export function checkWorkflowSettings(s: WorkflowSettings): WorkflowSettings {
  const bad = (flag: string, value: string, hint: string): never => {
    throw new PrismError('USAGE', `${flag} ${JSON.stringify(value)} is not valid`, { hint });
  };
  if (s.roleArn !== undefined && !ROLE_ARN.test(s.roleArn))
    bad('--role-arn', s.roleArn, 'an IAM role ARN: arn:aws:iam::123456789012:role/prism-ami-ci');
  if (s.registry !== undefined && !S3_URL.test(s.registry)) {
    bad('--registry', s.registry, 'the workflow needs the registry in S3 (parallel jobs write it): s3://bucket/path/ami-registry.json');
  }
  for (const region of s.regions ?? [])
    if (!isRegionName(region)) bad('--regions', region, 'regions look like us-east-1, separated by commas');
  if (s.regions !== undefined && s.regions.length === 0) bad('--regions', '', 'name at least one region');
  if (!BRANCH.test(s.branch)) bad('--branch', s.branch, 'a branch name such as main');
  if (!SAFE_PATH.test(s.templatesPath)) bad('the templates folder', s.templatesPath, 'use a folder name of letters, digits, . _ - and /');
  for (const p of s.sharedPaths)
    if (!SAFE_PATH.test(p) || p === '') bad('sharedPaths entry', p, 'use folder names of letters, digits, . _ - and /');
  if (!INSTANCE_PROFILE.test(s.instanceProfile))
    bad('--instance-profile', s.instanceProfile, 'an instance profile name such as prism-builder');
  if (!Number.isInteger(s.stages) || s.stages < 1 || s.stages > MAX_STAGES)
    bad('--stages', String(s.stages), `a whole number from 1 to ${MAX_STAGES}`);
  if (!VERSION.test(s.toolVersion)) bad('the prism-ami version', s.toolVersion, 'a version such as 1.2.3');
  checkToolSource(s.source);
  if (!/^[\d*/,\- ]+$/.test(s.schedule) || s.schedule.trim().split(/\s+/).length !== 5)
    bad('--schedule', s.schedule, 'five cron fields, e.g. "0 2 * * 1" (Mondays 02:00 UTC)');
  return s;
}
