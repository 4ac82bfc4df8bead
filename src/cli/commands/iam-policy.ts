import type { Command } from 'commander';
import { resolveSettings } from '../../config/settings.js';
import { settingsInput, type CliContext } from '../context.js';
import { addConfigOption } from '../flags.js';

interface IamPolicyFlags {
  roleName?: string;
  registry?: string;
  ssmPrefix?: string;
  only?: string;
  config?: string;
}

export function registerIamPolicy(ami: Command, ctx: CliContext): void {
  const command = ami
    .command('iam-policy')
    .description("print the least-privilege IAM policies: for whoever runs builds, and for the build instances' role (JSON)")
    .option(
      '--role-name <name>',
      "the build instances' role, the only one iam:PassRole allows (default: instanceProfile in the config, taken to be the role's name as for profiles made in the AWS console; else prism-builder)",
    )
    .option(
      '--registry <url>',
      's3://bucket/key of the registry, to allow reading and writing it (default: $PRISM_AMI_REGISTRY, then registry in the config)',
    )
    .option('--ssm-prefix <prefix>', 'prefix of published SSM parameters', '/prism/ami')
    .option('--only <which>', 'print only builder or instance-profile');
  addConfigOption(command);
  command.action(async (flags: IamPolicyFlags) => {
    const { iamPolicy } = await import('../../actions/iam-policy.js');
    const settings = resolveSettings(await settingsInput(ctx, flags));
    const registry = settings.registry;
    // The role is taken to have the instance profile's name, as profiles made in the AWS console do.
    const roleName = flags.roleName ?? settings.instanceProfile;
    const policies = iamPolicy({
      ...(roleName ? { roleName } : {}),
      ...(registry ? { registry } : {}),
      ...(flags.ssmPrefix ? { ssmPrefix: flags.ssmPrefix } : {}),
      // ssm.layout prism or both in the config: the parameters Prism's launcher reads too.
      ...(settings.ssmLayout !== 'prism-ami' ? { prismSsmPrefix: settings.prismSsmPrefix } : {}),
    });
    const output = flags.only === 'builder' ? policies.builder : flags.only === 'instance-profile' ? policies.instanceProfile : policies;
    ctx.io.out(`${JSON.stringify(output, null, 2)}\n`);
  });
}
