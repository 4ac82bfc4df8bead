import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../core/exit-codes.js';
import { processIo, type Io } from '../render/io.js';
import { registerBuild } from './commands/build.js';
import { registerBuildAll } from './commands/build-all.js';
import { registerPlan } from './commands/plan.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerIamPolicy } from './commands/iam-policy.js';
import { registerLint } from './commands/lint.js';
import { registerList } from './commands/list.js';
import { registerSweep } from './commands/sweep.js';
import { registerCache } from './commands/cache.js';
import { registerValidate } from './commands/validate.js';
import { registerShow } from './commands/show.js';
import { registerChanged } from './commands/changed.js';
import { registerCi } from './commands/ci.js';
import { registerConvert } from './commands/convert.js';
import { registerRegistryVerbs } from './commands/registry-verbs.js';
import { registerManifestVerbs } from './commands/manifest.js';
import type { CliContext } from './context.js';
import { reportError } from './report-error.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Builds the `prism` command tree. Verbs import their code only when they run. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('prism')
    .description('prism: research workstation images')
    .version(packageVersion(), '-V, --version', 'print the version')
    // `prism --version` is the tool's version; `prism ami build --version v1` is the image's.
    .enablePositionalOptions()
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
    .exitOverride();
  const ami = program
    .command('ami')
    .description('build machine images from templates, record them in a registry, and keep them current')
    .showSuggestionAfterError(true)
    .exitOverride();
  registerBuild(ami, ctx);
  registerBuildAll(ami, ctx);
  registerPlan(ami, ctx);
  registerCleanup(ami, ctx);
  registerValidate(ami, ctx);
  registerList(ami, ctx);
  registerLint(ami, ctx);
  registerShow(ami, ctx);
  registerConvert(ami, ctx);
  registerSweep(ami, ctx);
  registerCache(ami, ctx);
  registerIamPolicy(ami, ctx);
  registerRegistryVerbs(ami, ctx);
  registerManifestVerbs(ami, ctx);
  registerChanged(ami, ctx);
  registerCi(ami, ctx);
  for (const command of ami.commands) command.exitOverride().showSuggestionAfterError(true);
  return program;
}

/** Runs the CLI; resolves to the process exit code (see docs/exit-codes in README). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const ctx: CliContext = {
    io,
    setExitCode: (code) => {
      exitCode = code;
    },
    config: async (flags) => {
      const { loadConfig } = await import('../config/config.js');
      const file = flags.config ?? process.env.PRISM_AMI_CONFIG;
      return loadConfig(file ? { file } : {});
    },
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, --version and `help [verb]` (commander.help with exit code 0) succeed; help
      // shown because a verb is missing has exit code 1 and is a usage error.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        (error.code === 'commander.help' && error.exitCode === 0)
      ) {
        return ExitCode.ok;
      }
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.ok;
      // commander has printed its message on stderr; --json gets it as a line on stdout too.
      if (wantsJson(argv))
        io.out(
          `${JSON.stringify({ error: { code: 'USAGE', message: error.message.replace(/^error: /, ''), hint: 'prism ami <verb> --help lists its flags' } })}\n`,
        );
      return ExitCode.badInput;
    }
    return reportError(error, io, wantsJson(argv));
  }
}

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json') || argv.includes('--format=json') || argv.some((a, i) => a === '--format' && argv[i + 1] === 'json');
}
