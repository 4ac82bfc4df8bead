import type { Command } from 'commander';
import { resolveSettings } from '../../config/settings.js';
import { settingsInput, type CliContext } from '../context.js';
import {
  addConfigOption,
  addJsonOption,
  addTemplatesDirOption,
  architectureList,
  countFlag,
  regionList,
  type CommonFlags,
} from '../flags.js';
import { printResult } from '../output.js';

interface CiInitFlags extends CommonFlags {
  roleArn?: string;
  regions?: string;
  architectures?: string;
  instanceProfile?: string;
  branch?: string;
  stages?: string;
  schedule?: string;
  openPr?: boolean;
  force?: boolean;
  output?: string;
  prismSource?: string;
}

interface CiStagesFlags extends CommonFlags {
  stages?: string;
}

/** `prism ami ci`: the GitHub Actions pipeline of a template repository. */
export function registerCi(ami: Command, ctx: CliContext): void {
  const ci = ami.command('ci').description('GitHub Actions: write the build workflow (init), order a build matrix (stages)');
  registerInit(ci, ctx);
  registerStages(ci, ctx);
  for (const command of ci.commands) command.exitOverride().showSuggestionAfterError(true);
}

function registerInit(ci: Command, ctx: CliContext): void {
  const command = ci
    .command('init')
    .description(
      'write .github/workflows/ami-build.yml: build changed templates on push, outdated ones weekly, any on demand; AWS through OIDC, registry in S3 (docs/ci.md)',
    )
    .option(
      '--registry <s3-url>',
      'the registry, s3://bucket/key (default: $PRISM_AMI_REGISTRY or registry in the config when they are s3://)',
    )
    .option('--role-arn <arn>', 'the IAM role the workflow assumes through GitHub OIDC (default: roleArn in the config)')
    .option(
      '--regions <list>',
      'regions for templates that name none, e.g. us-east-1,us-west-2: the first builds, the others get copies (default: regions in the config)',
    )
    .option('--architectures <list>', "only build these architectures, e.g. x86_64 (default: each template's own)")
    .option(
      '--instance-profile <name>',
      "the build instances' instance profile (default: instanceProfile in the config, else prism-builder)",
    )
    .option('--branch <name>', "the branch whose pushes build images (default: the repository's default branch)")
    .option('--stages <n>', 'build stages, for extends chains this deep (default: the deepest chain of the templates, at least 2)')
    .option('--schedule <cron>', 'when the weekly rebuild of outdated templates runs, UTC (default "0 2 * * 1")')
    .option(
      '--prism-source <source>',
      'where the jobs get prism-ami, pinned: npm:prism-ami@1.2.3#sha512-…, https://…/prism-ami-1.2.3.tgz#sha256=<hex> or git+https://…/prism-ami.git#<40-hex commit> (default: npm ci of this repository, whose package.json and package-lock.json must pin prism-ami)',
    )
    .option('--open-pr', 'open a pull request with the updated templates instead of committing them to the branch')
    .option('--force', 'replace an existing workflow file')
    .option('--output <file>', 'write here instead of .github/workflows/ami-build.yml');
  addJsonOption(command, 'print what was written and with which settings as JSON');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (flags: CiInitFlags) => {
    const [{ ciInit }, { formatCiInit }] = await Promise.all([import('../../actions/ci-init.js'), import('../../render/ci-report.js')]);
    const { registry, ...rest } = flags;
    const input = await settingsInput(ctx, rest);
    const regions = flags.regions !== undefined ? regionList('--regions', flags.regions) : undefined;
    const architectures = flags.architectures !== undefined ? architectureList('--architectures', flags.architectures) : undefined;
    const report = await ciInit({
      templatesDir: resolveSettings(input).templatesDir,
      config: input.config ?? {},
      openPr: flags.openPr ?? false,
      force: flags.force ?? false,
      ...(registry !== undefined ? { registry } : {}),
      ...(flags.roleArn !== undefined ? { roleArn: flags.roleArn } : {}),
      ...(regions ? { regions } : {}),
      ...(architectures ? { architectures } : {}),
      ...(flags.instanceProfile !== undefined ? { instanceProfile: flags.instanceProfile } : {}),
      ...(flags.branch !== undefined ? { branch: flags.branch } : {}),
      ...(flags.stages !== undefined ? { stages: stagesFlag(flags.stages) } : {}),
      ...(flags.schedule !== undefined ? { schedule: flags.schedule } : {}),
      ...(flags.output !== undefined ? { output: flags.output } : {}),
      ...(flags.prismSource !== undefined ? { prismSource: flags.prismSource } : {}),
    });
    await printResult(ctx, flags.json, report, formatCiInit);
  });
}

function registerStages(ci: Command, ctx: CliContext): void {
  const command = ci
    .command('stages')
    .description(
      'split a build matrix (from changed --json or plan --json) into stages, a template after the template it extends; the workflow runs one build job per stage',
    )
    .argument('[file]', 'the selection JSON; - or nothing reads stdin', '-')
    .option('--stages <n>', 'how many stages to print (a deeper chain is an error that says how many it needs)', '2');
  addJsonOption(command, 'print {total, stages: [{include: [...]}, ...]} for the workflow');
  addTemplatesDirOption(command);
  addConfigOption(command);
  command.action(async (file: string, flags: CiStagesFlags) => {
    const [{ ciStages, readSelection }, { formatStages }] = await Promise.all([
      import('../../actions/ci-stages.js'),
      import('../../render/ci-report.js'),
    ]);
    const report = await ciStages({
      selection: await readSelection(file),
      source: file === '-' ? 'stdin' : file,
      templatesDir: resolveSettings(await settingsInput(ctx, flags)).templatesDir,
      stages: stagesFlag(flags.stages ?? '2'),
    });
    ctx.io.out(flags.json ? `${JSON.stringify(report)}\n` : formatStages(report));
  });
}

function stagesFlag(text: string): number {
  return countFlag('--stages', text, { min: 1, max: 8 });
}
