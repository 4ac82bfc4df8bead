/**
 * The actions the generated workflow uses, pinned to full commit SHAs (a tag can be moved; a
 * commit cannot). The comment after each `uses:` names the release the SHA is. Update the SHA
 * and the version together.
 */
export const PINNED_ACTIONS = {
  checkout: { action: 'actions/checkout', sha: '11bd71901bbe5b1630ceea73d27597364c9af683', version: 'v4.2.2' },
  setupNode: { action: 'actions/setup-node', sha: '39370e3970a6d050c480ffad4ff0ed4d3fdee5af', version: 'v4.1.0' },
  awsCredentials: { action: 'aws-actions/configure-aws-credentials', sha: 'e3dd6a429d7300a6a4c196c26e071d42e0343502', version: 'v4.0.2' },
  createPullRequest: { action: 'peter-evans/create-pull-request', sha: '5e914681df9dc83aa4e4905692ca88beb2f9e91f', version: 'v7.0.5' },
  uploadArtifact: { action: 'actions/upload-artifact', sha: 'ea165f8d65b6e75b540449e92b4886f43607fa02', version: 'v4.6.2' },
} as const;

export type PinnedAction = (typeof PINNED_ACTIONS)[keyof typeof PINNED_ACTIONS];

/** `uses: owner/repo@sha # vX.Y.Z` */
export function uses(pin: PinnedAction): string {
  return `uses: ${pin.action}@${pin.sha} # ${pin.version}`;
}
