/**
 * The least-privilege IAM policies prism-ami needs (`prism ami iam-policy`). Every call that
 * creates something is allowed only when the request tags what it makes `prism:managed=true`,
 * and every call that changes or removes something only on resources carrying that tag; what a
 * call merely uses and cannot be tagged by us is listed with a reason. Keep in step with the
 * calls the AWS provider makes: the AWS end-to-end tests check every call they record (its
 * action, and the tags of each resource it creates) against this policy, and iam-policy.test.ts
 * checks the conditions.
 */
export interface IamPolicyOptions {
  /** The role of the build instances' profile (iam:PassRole is limited to it). */
  roleName?: string;
  /** `s3://bucket/key` of the registry, to allow reading and writing it. */
  registry?: string;
  /** Prefix of the SSM parameters the registry publishes (default /prism/ami). */
  ssmPrefix?: string;
  /** Prefix of the parameters published in Prism's layout (ssm.layout prism or both). */
  prismSsmPrefix?: string;
}

type Statement = {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};

/** On resources that exist: only what a build of ours made carries the tag. */
const MANAGED = { 'aws:ResourceTag/prism:managed': 'true' };
/** On resources being made: the request must tag them as ours (tag on create). */
const TAGGED_REQUEST = { 'aws:RequestTag/prism:managed': 'true' };
/** The calls that make resources; CreateTags without a resource tag is allowed only inside them. */
const CREATING = ['RunInstances', 'CreateSecurityGroup', 'CreateImage', 'CopyImage'];

export function builderPolicy(options: IamPolicyOptions = {}): { Version: string; Statement: Statement[] } {
  const role = options.roleName ?? 'prism-builder';
  const prefix = (options.ssmPrefix ?? '/prism/ami').replace(/^\//, '');
  const statements: Statement[] = [
    {
      Sid: 'ReadOnly',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSnapshots',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeLaunchTemplateVersions',
        'ssm:GetParameter',
        'ssm:GetCommandInvocation',
        'ssm:DescribeInstanceInformation',
        'sts:GetCallerIdentity',
        'iam:GetInstanceProfile',
      ],
      Resource: '*',
    },
    {
      Sid: 'LaunchTaggedBuildInstances',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:volume/*', 'arn:aws:ec2:*:*:network-interface/*'],
      Condition: { StringEquals: TAGGED_REQUEST },
    },
    {
      // Used, not made, and not ours to tag: base images are public (Canonical, Amazon, Debian)
      // or a parent image; subnets belong to the VPC; the group is the build's own, but a dry run
      // launches without one (the VPC's default group).
      Sid: 'LaunchFromImagesIntoSubnets',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: ['arn:aws:ec2:*::image/*', 'arn:aws:ec2:*:*:subnet/*', 'arn:aws:ec2:*:*:security-group/*'],
    },
    {
      Sid: 'CreateTaggedSecurityGroups',
      Effect: 'Allow',
      Action: ['ec2:CreateSecurityGroup'],
      Resource: 'arn:aws:ec2:*:*:security-group/*',
      Condition: { StringEquals: TAGGED_REQUEST },
    },
    {
      // The default VPC (or the subnet's): used, not made, and not ours to tag.
      Sid: 'CreateSecurityGroupsInVpcs',
      Effect: 'Allow',
      Action: ['ec2:CreateSecurityGroup'],
      Resource: 'arn:aws:ec2:*:*:vpc/*',
    },
    {
      // The image and its snapshots are tagged by CreateImage itself; copies and their snapshots
      // by CopyImage.
      Sid: 'CreateTaggedImages',
      Effect: 'Allow',
      Action: ['ec2:CreateImage', 'ec2:CopyImage'],
      Resource: ['arn:aws:ec2:*::image/*', 'arn:aws:ec2:*::snapshot/*'],
      Condition: { StringEquals: TAGGED_REQUEST },
    },
    {
      // Images are made only of build instances, which are tagged at launch.
      Sid: 'ImageBuildInstances',
      Effect: 'Allow',
      Action: ['ec2:CreateImage'],
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: { StringEquals: { 'ec2:ResourceTag/prism:managed': 'true' } },
    },
    {
      // Copies are made only of images of ours (tagged with their snapshots at creation). This
      // must stay conditioned: the copy is an image too, and an unconditioned image statement
      // would let an untagged copy through.
      Sid: 'CopyOwnImages',
      Effect: 'Allow',
      Action: ['ec2:CopyImage'],
      Resource: ['arn:aws:ec2:*::image/*', 'arn:aws:ec2:*::snapshot/*'],
      Condition: { StringEquals: { 'ec2:ResourceTag/prism:managed': 'true' } },
    },
    {
      Sid: 'TagOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: '*',
      Condition: { StringEquals: { 'ec2:CreateAction': CREATING, ...TAGGED_REQUEST } },
    },
    {
      // Snapshots carry the tag from CreateImage/CopyImage on, so they need no statement of their own.
      Sid: 'ManageOwnResources',
      Effect: 'Allow',
      Action: [
        'ec2:TerminateInstances',
        'ec2:RebootInstances',
        'ec2:DeleteSecurityGroup',
        'ec2:DeregisterImage',
        'ec2:DeleteSnapshot',
        'ec2:ModifyImageAttribute',
        'ec2:CreateTags',
      ],
      Resource: '*',
      Condition: { StringEquals: MANAGED },
    },
    {
      Sid: 'RunCommandsOnBuildInstances',
      Effect: 'Allow',
      Action: ['ssm:SendCommand', 'ssm:CancelCommand'],
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: { StringEquals: { 'ssm:resourceTag/prism:managed': 'true' } },
    },
    {
      // AWS's own document: used, not ours to tag.
      Sid: 'RunShellScriptDocument',
      Effect: 'Allow',
      Action: ['ssm:SendCommand'],
      Resource: 'arn:aws:ssm:*::document/AWS-RunShellScript',
    },
    {
      Sid: 'PassBuildRole',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: `arn:aws:iam::*:role/${role}`,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      Sid: 'PublishImageParameters',
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameterHistory', 'ssm:AddTagsToResource'],
      Resource: `arn:aws:ssm:*:*:parameter/${prefix}/*`,
    },
  ];
  if (options.prismSsmPrefix !== undefined) {
    statements.push({
      Sid: 'PublishPrismLayoutParameters',
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParametersByPath'],
      Resource: `arn:aws:ssm:*:*:parameter/${options.prismSsmPrefix.replace(/^\//, '')}/*`,
    });
  }
  const registry = /^s3:\/\/([^/]+)\/(.+)$/.exec(options.registry ?? '');
  if (registry) {
    statements.push({
      Sid: 'Registry',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [
        `arn:aws:s3:::${registry[1]}/${registry[2]}`,
        `arn:aws:s3:::${registry[1]}/${registry[2]}.bak`,
        // The image manifests, a sidecar per image next to the document (registry/manifest/store.ts).
        `arn:aws:s3:::${registry[1]}/${registry[2].replace(/\.json$/i, '')}.manifests/*`,
      ],
    });
    statements.push({ Sid: 'RegistryBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: `arn:aws:s3:::${registry[1]}` });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The build instances' role: SSM's managed core policy, assumable by EC2. */
export function instanceProfilePolicy(options: IamPolicyOptions = {}) {
  return {
    roleName: options.roleName ?? 'prism-builder',
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
  };
}

/** Every action the builder policy allows, for checks. */
export function allowedActions(options: IamPolicyOptions = {}): Set<string> {
  return new Set(builderPolicy(options).Statement.flatMap((s) => s.Action));
}
