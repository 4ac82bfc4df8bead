import { PrismError } from '../core/errors.js';
import { defaultLogDir, runsDir, stateDir } from '../core/paths.js';
import type { Architecture, ProviderName } from '../core/types.js';
import type { ConfigFile } from './config.js';

/**
 * Settings resolved once: command-line flags (or a library caller's options), then PRISM_AMI_*
 * environment variables, then the config file, then defaults (docs/configuration.md). Every
 * default of the tool is applied here and nowhere else.
 */

/** What a command line (or a library call) can set. Undefined: not given. */
export interface SettingsFlags {
  templatesDir?: string;
  provider?: ProviderName;
  /** file:PATH, a path, or s3://bucket/key. */
  registry?: string;
  /** true: publish under the default prefix; false: do not publish; a string: this prefix. */
  publishSsm?: boolean | string;
  /** Which SSM parameters publication writes (publish-ssm --layout). */
  ssmLayout?: SsmLayout;
  /** The prefix of Prism's layout (publish-ssm --prism-prefix). */
  prismSsmPrefix?: string;
  region?: string;
  buildRegion?: string;
  copyTo?: readonly string[];
  concurrency?: number;
  copyConcurrency?: number;
  subnet?: string;
  instanceProfile?: string;
  logDir?: string;
  lockTimeoutMs?: number;
}

export interface SettingsInput extends SettingsFlags {
  /** The config file's values (loadConfig), already checked. */
  config?: ConfigFile;
  env?: NodeJS.ProcessEnv;
}

/** Where the local provider keeps things, and which mirrors it uses. */
export interface LocalSettings {
  /** Cached base root file systems (one per distribution release and architecture). */
  cacheDir: string;
  /** Finished images: a layer and metadata.json each. */
  imageDir: string;
  /** Build containers while they run. */
  workDir: string;
  /** The step cache: the file system after each setup step, for fast rebuilds. */
  stepCacheDir: string;
  /** The step cache's size bound: the least recently used entries go first. */
  stepCacheMaxBytes: number;
  debianMirror: string;
  ubuntuMirror: string;
  /** Ubuntu's mirror for arm64 and other ports. */
  ubuntuPortsMirror: string;
}

/** Time limits of AWS builds and where the SSM agent comes from where a base lacks it. */
export interface AwsBuildSettings {
  /** Wall-clock limit for an image (or copy) to become available. */
  imageTimeoutMinutes: number;
  /** Wall-clock limit for running + status checks + SSM agent online. */
  readyTimeoutMinutes: number;
  /** How long a new instance profile may take to become usable. */
  instanceProfileWaitSeconds: number;
  /** Where the SSM agent comes from on bases without it (Debian), and the key that signs it. */
  ssmAgent: { url?: string; keyFile?: string };
}

export interface Settings {
  templatesDir: string;
  provider: ProviderName;
  /** The registry's location as written (parsed by registry/open-registry). */
  registry: string;
  /** The SSM prefix builds and registry verbs publish under; undefined: no publication. */
  publishSsm: string | undefined;
  /** prism-ami: `<prefix>/<slug>/<arch>` = AMI ID; prism: Prism's `<prismPrefix>/<slug>/<region>/<arch>` = JSON reference; both. */
  ssmLayout: SsmLayout;
  /** Where Prism's launcher reads (its registry.go default /cloudworkstation/amis). */
  prismSsmPrefix: string;
  /** Where builds run (AWS): --region or the config's; undefined: each template's first region. */
  region: string | undefined;
  /** AWS_REGION (or AWS_DEFAULT_REGION): the region when neither the flags, the config nor the template name one. */
  envRegion: string | undefined;
  /** Regions for templates that name none (plan, build-all): `regions`, else the region, else us-east-1. */
  defaultRegions: readonly string[];
  /** Regions sweep and cleanup look in besides the registry's: region, regions and copyTo. */
  knownRegions: readonly string[];
  /** The config's `architectures` (changed, ci init); undefined: each template's own. */
  architectures: readonly Architecture[] | undefined;
  buildRegion: string | undefined;
  copyTo: readonly string[];
  concurrency: number;
  copyConcurrency: number;
  subnet: string | undefined;
  instanceProfile: string | undefined;
  logDir: string;
  stateDir: string;
  /** Run journals (sweep reads them). */
  runsDir: string;
  lockTimeoutMs: number;
  aws: AwsBuildSettings;
  local: LocalSettings;
  prices: NonNullable<ConfigFile['prices']>;
  buildMinutesEstimate: number;
  /** The fresh-boot re-test's machine time per build, for plan's estimate. */
  retestMinutesEstimate: number;
  pinnedImages: readonly string[];
  sharedPaths: readonly string[] | undefined;
  roleArn: string | undefined;
  lintDisable: readonly string[];
  env: NodeJS.ProcessEnv;
}

export const DEFAULTS = {
  templatesDir: 'templates',
  provider: 'aws',
  registry: 'ami-registry.json',
  ssmPrefix: '/prism/ami',
  ssmLayout: 'prism-ami',
  prismSsmPrefix: '/cloudworkstation/amis',
  concurrency: 4,
  copyConcurrency: 8,
  lockTimeoutMs: 30_000,
  imageTimeoutMinutes: 60,
  readyTimeoutMinutes: 15,
  instanceProfileWaitSeconds: 60,
  buildMinutesEstimate: 30,
  retestMinutesEstimate: 5,
  local: {
    cacheDir: '/var/cache/prism-ami/bases',
    imageDir: '/var/lib/prism-ami/images',
    workDir: '/var/lib/prism-ami/work',
    stepCacheDir: '/var/cache/prism-ami/steps',
    stepCacheMaxGb: 20,
    debianMirror: 'http://deb.debian.org/debian',
    ubuntuMirror: 'http://archive.ubuntu.com/ubuntu',
    ubuntuPortsMirror: 'http://ports.ubuntu.com/ubuntu-ports',
  },
} as const;

export const REGISTRY_ENV = 'PRISM_AMI_REGISTRY';

export const SSM_LAYOUTS = ['prism-ami', 'prism', 'both'] as const;
export type SsmLayout = (typeof SSM_LAYOUTS)[number];

export function resolveSettings(input: SettingsInput = {}): Settings {
  const env = input.env ?? process.env;
  const file = input.config ?? {};
  const envValue = (name: string) => env[name] || undefined;
  const region = input.region ?? file.region;
  const envRegion = envValue('AWS_REGION') ?? envValue('AWS_DEFAULT_REGION');
  const copyTo = input.copyTo ?? file.copyTo ?? [];
  const regions = file.regions;
  return {
    templatesDir: input.templatesDir ?? file.templatesDir ?? DEFAULTS.templatesDir,
    provider: input.provider ?? file.provider ?? DEFAULTS.provider,
    registry: input.registry ?? envValue(REGISTRY_ENV) ?? file.registry ?? DEFAULTS.registry,
    publishSsm: ssmPrefix(input.publishSsm, file.publishSsm),
    ssmLayout: input.ssmLayout ?? ssmLayoutEnv(envValue('PRISM_AMI_SSM_LAYOUT')) ?? file.ssm?.layout ?? DEFAULTS.ssmLayout,
    prismSsmPrefix: checkSsmPrefix(input.prismSsmPrefix ?? file.ssm?.prismPrefix ?? DEFAULTS.prismSsmPrefix),
    region,
    envRegion,
    defaultRegions: regions ?? [region ?? envRegion ?? 'us-east-1'],
    knownRegions: [...new Set([...((region ?? envRegion) ? [(region ?? envRegion)!] : []), ...(regions ?? []), ...copyTo])],
    architectures: file.architectures,
    buildRegion: input.buildRegion ?? file.buildRegion,
    copyTo,
    concurrency: input.concurrency ?? file.concurrency ?? DEFAULTS.concurrency,
    copyConcurrency: input.copyConcurrency ?? file.copyConcurrency ?? DEFAULTS.copyConcurrency,
    subnet: input.subnet ?? file.subnet,
    instanceProfile: input.instanceProfile ?? file.instanceProfile,
    logDir: input.logDir ?? file.logDir ?? defaultLogDir(env),
    stateDir: stateDir(env),
    runsDir: runsDir(env),
    lockTimeoutMs: input.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
    aws: {
      imageTimeoutMinutes: file.imageTimeoutMinutes ?? DEFAULTS.imageTimeoutMinutes,
      readyTimeoutMinutes: file.readyTimeoutMinutes ?? DEFAULTS.readyTimeoutMinutes,
      instanceProfileWaitSeconds: file.instanceProfileWaitSeconds ?? DEFAULTS.instanceProfileWaitSeconds,
      ssmAgent: {
        ...(env.PRISM_AMI_SSM_AGENT_URL || file.ssmAgentUrl ? { url: env.PRISM_AMI_SSM_AGENT_URL || file.ssmAgentUrl } : {}),
        ...(env.PRISM_AMI_SSM_AGENT_KEY || file.ssmAgentKeyFile ? { keyFile: env.PRISM_AMI_SSM_AGENT_KEY || file.ssmAgentKeyFile } : {}),
      },
    },
    local: localSettings(file, env),
    prices: file.prices ?? {},
    buildMinutesEstimate: file.buildMinutesEstimate ?? DEFAULTS.buildMinutesEstimate,
    retestMinutesEstimate: file.retestMinutesEstimate ?? DEFAULTS.retestMinutesEstimate,
    pinnedImages: file.pinnedImages ?? [],
    sharedPaths: file.sharedPaths,
    roleArn: file.roleArn,
    lintDisable: file.lint?.disable ?? [],
    env,
  };
}

function ssmLayoutEnv(value: string | undefined): SsmLayout | undefined {
  if (value === undefined) return undefined;
  if ((SSM_LAYOUTS as readonly string[]).includes(value)) return value as SsmLayout;
  throw new PrismError('CONFIG_INVALID', `PRISM_AMI_SSM_LAYOUT "${value}" is not a layout`, {
    hint: `use one of ${SSM_LAYOUTS.join(', ')}`,
  });
}

/** PRISM_AMI_* variables, then the config file's `local:`, then defaults. */
function localSettings(file: ConfigFile, env: NodeJS.ProcessEnv): LocalSettings {
  const local = file.local ?? {};
  const pick = (name: string, value: string | undefined, fallback: string) => env[name] || value || fallback;
  const ubuntu = env.PRISM_AMI_UBUNTU_MIRROR || local.ubuntuMirror;
  return {
    cacheDir: pick('PRISM_AMI_LOCAL_CACHE_DIR', local.cacheDir, DEFAULTS.local.cacheDir),
    imageDir: pick('PRISM_AMI_LOCAL_IMAGE_DIR', local.imageDir, DEFAULTS.local.imageDir),
    workDir: pick('PRISM_AMI_LOCAL_WORK_DIR', local.workDir, DEFAULTS.local.workDir),
    stepCacheDir: pick('PRISM_AMI_LOCAL_STEP_CACHE_DIR', local.stepCacheDir, DEFAULTS.local.stepCacheDir),
    stepCacheMaxBytes: (local.stepCacheMaxGb ?? DEFAULTS.local.stepCacheMaxGb) * 1024 ** 3,
    debianMirror: pick('PRISM_AMI_DEBIAN_MIRROR', local.debianMirror, DEFAULTS.local.debianMirror),
    ubuntuMirror: ubuntu ?? DEFAULTS.local.ubuntuMirror,
    ubuntuPortsMirror: ubuntu ?? DEFAULTS.local.ubuntuPortsMirror,
  };
}

/** The prefix from --publish-ssm [prefix] (true: the default) or `publishSsm` in the config; undefined: off. */
export function ssmPrefix(flag: boolean | string | undefined, config: boolean | string | undefined): string | undefined {
  const value = flag ?? config;
  if (value === undefined || value === false) return undefined;
  return checkSsmPrefix(value === true ? DEFAULTS.ssmPrefix : value);
}

export function checkSsmPrefix(prefix: string): string {
  const usage = (why: string): never => {
    throw new PrismError('USAGE', `SSM parameter prefix "${prefix}" ${why}`, { hint: `use a path such as ${DEFAULTS.ssmPrefix}` });
  };
  if (!prefix.startsWith('/')) usage('must start with /');
  if (prefix.length > 1 && prefix.endsWith('/')) usage('must not end with /');
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) usage('may only hold letters, digits, _ . - between slashes');
  if (/^\/(aws|ssm)(\/|$)/i.test(prefix)) usage('is reserved by AWS');
  if (prefix.split('/').length > 13) usage('is nested too deep (SSM allows 15 levels in all)');
  return prefix;
}
