/**
 * The least-privilege IAM policies prism-ami needs (`prism ami iam-policy`). Keep in step with
 * the calls the AWS provider makes: the AWS end-to-end tests check every call they record
 * against this policy.
 */
export interface IamPolicyOptions {
  /** The role of the build instances' profile (iam:PassRole is limited to it). */
  roleName?: string;
  /** `s3://bucket/key` of the registry, to allow reading and writing it. */
  registry?: string;
  /** Prefix of the SSM parameters the registry publishes (default /prism/ami). */
  ssmPrefix?: string;
}

type Statement = {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};

const MANAGED = { 'aws:ResourceTag/prism:managed': 'true' };

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
      Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:volume/*'],
      Condition: { StringEquals: { 'aws:RequestTag/prism:managed': 'true' } },
    },
    {
      Sid: 'LaunchFromImagesIntoSubnets',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: [
        'arn:aws:ec2:*::image/*',
        'arn:aws:ec2:*:*:subnet/*',
        'arn:aws:ec2:*:*:network-interface/*',
        'arn:aws:ec2:*:*:security-group/*',
      ],
    },
    {
      Sid: 'CreateTaggedSecurityGroups',
      Effect: 'Allow',
      Action: ['ec2:CreateSecurityGroup'],
      Resource: ['arn:aws:ec2:*:*:security-group/*', 'arn:aws:ec2:*:*:vpc/*'],
    },
    {
      Sid: 'TagOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: '*',
      Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateSecurityGroup', 'CreateImage', 'CopyImage'] } },
    },
    {
      Sid: 'ManageOwnResources',
      Effect: 'Allow',
      Action: ['ec2:TerminateInstances', 'ec2:DeleteSecurityGroup', 'ec2:DeregisterImage', 'ec2:ModifyImageAttribute', 'ec2:CreateTags'],
      Resource: '*',
      Condition: { StringEquals: MANAGED },
    },
    {
      Sid: 'MakeImages',
      Effect: 'Allow',
      Action: ['ec2:CreateImage', 'ec2:CopyImage'],
      Resource: '*',
    },
    {
      // Snapshots are tagged once their image is available; until then they carry no tag.
      Sid: 'TagAndDeleteImageSnapshots',
      Effect: 'Allow',
      Action: ['ec2:CreateTags', 'ec2:DeleteSnapshot'],
      Resource: 'arn:aws:ec2:*::snapshot/*',
    },
    {
      Sid: 'RunCommandsOnBuildInstances',
      Effect: 'Allow',
      Action: ['ssm:SendCommand', 'ssm:CancelCommand'],
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: { StringEquals: { 'ssm:resourceTag/prism:managed': 'true' } },
    },
    {
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
  const registry = /^s3:\/\/([^/]+)\/(.+)$/.exec(options.registry ?? '');
  if (registry) {
    statements.push({
      Sid: 'Registry',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [`arn:aws:s3:::${registry[1]}/${registry[2]}`, `arn:aws:s3:::${registry[1]}/${registry[2]}.bak`],
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
