import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as z from 'zod';
import type { Diagnostic } from '../core/diagnostic.js';
import { PrismError } from '../core/errors.js';
import { architecture, region, wholeNumber } from '../template/schema.js';
import { schemaDiagnostics } from '../template/schema-diagnostics.js';
import { parseYamlSource } from '../template/yaml-source.js';

export const CONFIG_FILE_NAMES = ['prism-ami.config.yaml', 'prism-ami.config.yml'];

const text = z.string().min(1, { error: 'must not be empty' });

/**
 * `prism-ami.config.yaml`: every command-line flag can be set here (flags win over the file,
 * the file over defaults). docs/configuration.md lists the keys.
 */
export const configSchema = z.strictObject({
  templatesDir: text.optional(),
  provider: z.enum(['aws', 'local'], { error: 'must be aws or local' }).optional(),
  registry: text.optional(),
  publishSsm: z.union([z.boolean(), text]).optional(),
  /** Which SSM parameters publication writes: prism-ami's, the ones Prism's launcher reads, or both. */
  ssm: z
    .strictObject({
      layout: z.enum(['prism-ami', 'prism', 'both'], { error: 'must be prism-ami, prism or both' }).optional(),
      prismPrefix: text.optional(),
    })
    .optional(),
  region: region.optional(),
  regions: z.array(region).optional(),
  architectures: z.array(architecture).optional(),
  buildRegion: region.optional(),
  instanceProfile: text.optional(),
  subnet: text.optional(),
  copyTo: z.array(region).optional(),
  imageTimeoutMinutes: wholeNumber(1, 1440, 'minutes').optional(),
  readyTimeoutMinutes: wholeNumber(1, 240, 'minutes').optional(),
  instanceProfileWaitSeconds: wholeNumber(0, 600, 'seconds').optional(),
  /** The SSM agent package for bases without one, with {region} and {arch}; its signature is at <url>.sig. */
  ssmAgentUrl: text.optional(),
  /** A public key to check the agent package against instead of AWS's (a private mirror). */
  ssmAgentKeyFile: text.optional(),
  concurrency: wholeNumber(1, 64, 'builds').optional(),
  copyConcurrency: wholeNumber(1, 64, 'copies').optional(),
  logDir: text.optional(),
  /** Plan estimates: prices (USD) and the expected length of a build. */
  prices: z
    .strictObject({
      instances: z.record(z.string(), z.number().nonnegative({ error: 'must be zero or more' })).optional(),
      snapshotPerGbMonth: z.number().nonnegative({ error: 'must be zero or more' }).optional(),
      copyPerGb: z.number().nonnegative({ error: 'must be zero or more' }).optional(),
    })
    .optional(),
  buildMinutesEstimate: wholeNumber(1, 1440, 'minutes').optional(),
  retestMinutesEstimate: wholeNumber(0, 1440, 'minutes').optional(),
  pinnedImages: z.array(text).optional(),
  /** Folders (or files) every template reads: a change there rebuilds them all (`prism ami changed`). */
  sharedPaths: z.array(text).optional(),
  /** The IAM role GitHub Actions assumes through OIDC (`prism ami ci init --role-arn`). */
  roleArn: text.optional(),
  lint: z.strictObject({ disable: z.array(text).optional() }).optional(),
  local: z
    .strictObject({
      cacheDir: text.optional(),
      imageDir: text.optional(),
      workDir: text.optional(),
      stepCacheDir: text.optional(),
      stepCacheMaxGb: wholeNumber(0, 100_000, 'GiB').optional(),
      debianMirror: text.optional(),
      ubuntuMirror: text.optional(),
    })
    .optional(),
});

export type ConfigFile = z.output<typeof configSchema>;

export interface LoadedConfig {
  /** The file it came from; undefined when there is none (all defaults). */
  file?: string;
  values: ConfigFile;
}

export interface LoadConfigOptions {
  cwd?: string;
  /** An explicit file (--config or PRISM_AMI_CONFIG); missing is then an error. */
  file?: string;
}

/**
 * Reads the config file. Relative paths in it (templatesDir, logDir, local dirs, a file:
 * registry) are made absolute against the file's folder, so commands work from anywhere.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const candidates = options.file ? [resolve(cwd, options.file)] : CONFIG_FILE_NAMES.map((n) => join(cwd, n));
  for (const file of candidates) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !options.file) continue;
      throw new PrismError('CONFIG_INVALID', `cannot read the config file ${file}`, { cause: error, hint: 'check the --config path' });
    }
    return { file, values: parseConfig(bytes, file) };
  }
  return { values: {} };
}

export function parseConfig(bytes: Uint8Array | string, file: string): ConfigFile {
  const fail = (diagnostics: Diagnostic[]): never => {
    throw new PrismError('CONFIG_INVALID', `${file} has ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`, {
      diagnostics,
      hint: 'docs/configuration.md lists every key',
    });
  };
  const yaml = parseYamlSource(bytes, file);
  if (!yaml.ok) {
    // An empty config file is allowed: it means defaults.
    if (yaml.diagnostics.every((d) => d.rule === 'input/empty')) return {};
    return fail(yaml.diagnostics);
  }
  const result = configSchema.safeParse(yaml.source.data);
  if (!result.success) return fail(schemaDiagnostics(result.error.issues, { source: yaml.source, schema: configSchema }));
  const values = result.data;
  const base = dirname(file);
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(base, p));
  const out: ConfigFile = { ...values };
  if (values.templatesDir) out.templatesDir = abs(values.templatesDir)!;
  if (values.logDir) out.logDir = abs(values.logDir)!;
  if (values.ssmAgentKeyFile) out.ssmAgentKeyFile = abs(values.ssmAgentKeyFile)!;
  if (values.sharedPaths) out.sharedPaths = values.sharedPaths.map((p) => abs(p)!);
  if (values.registry?.startsWith('file:')) out.registry = `file:${abs(values.registry.slice(5))}`;
  else if (values.registry && !values.registry.includes('://')) out.registry = abs(values.registry)!;
  if (values.local) {
    out.local = { ...values.local };
    for (const key of ['cacheDir', 'imageDir', 'workDir', 'stepCacheDir'] as const) {
      const v = abs(values.local[key]);
      if (v) out.local[key] = v;
    }
  }
  return out;
}
