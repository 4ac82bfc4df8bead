import { builderPolicy, instanceProfilePolicy, type IamPolicyOptions } from '../providers/aws/iam-policy.js';

/** `prism ami iam-policy`: the policy for whoever runs builds, and the build instances' role. */
export function iamPolicy(options: IamPolicyOptions = {}) {
  return { builder: builderPolicy(options), instanceProfile: instanceProfilePolicy(options) };
}
