import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFiles, yamlLines } from '../../test/support/files.js';
import { tempDir } from '../../test/support/temp.js';
import { isPrismError, type PrismError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { loadConfig, parseConfig } from './config.js';

async function configError(promise: Promise<unknown>): Promise<PrismError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPrismError(error, 'CONFIG_INVALID')) throw new Error(`expected CONFIG_INVALID, got ${String(error)}`);
  return error;
}

describe('loadConfig', () => {
  it('finds prism-ami.config.yaml in the folder and makes its paths absolute against the file', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'prism-ami.config.yaml': yamlLines(
        'templatesDir: my-templates',
        'logDir: ../logs',
        'registry: file:registry.json',
        'regions: [us-east-1, eu-west-1]',
        'architectures: [arm64]',
        'concurrency: 4',
        'lint: {disable: [script/no-errexit]}',
        'local: {cacheDir: cache, imageDir: /var/images}',
      ),
    });
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.file).toBe(join(dir, 'prism-ami.config.yaml'));
    expect(loaded.values).toEqual({
      templatesDir: join(dir, 'my-templates'),
      logDir: join(dir, '..', 'logs'),
      registry: `file:${join(dir, 'registry.json')}`,
      regions: ['us-east-1', 'eu-west-1'],
      architectures: ['arm64'],
      concurrency: 4,
      lint: { disable: ['script/no-errexit'] },
      local: { cacheDir: join(dir, 'cache'), imageDir: '/var/images' },
    });
  });

  it('reads prism-ami.config.yml too, and an explicit file relative to cwd', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'prism-ami.config.yml': 'templatesDir: t\n',
      'conf/other.yaml': 'templatesDir: ../shared\n',
    });
    expect((await loadConfig({ cwd: dir })).values.templatesDir).toBe(join(dir, 't'));
    const explicit = await loadConfig({ cwd: dir, file: 'conf/other.yaml' });
    expect(explicit.file).toBe(join(dir, 'conf', 'other.yaml'));
    expect(explicit.values.templatesDir).toBe(join(dir, 'shared'));
  });

  it('is all defaults without a file, and with an empty file', async () => {
    const dir = await tempDir();
    expect(await loadConfig({ cwd: dir })).toEqual({ values: {} });
    await writeFiles(dir, { 'prism-ami.config.yaml': '# nothing set yet\n' });
    expect((await loadConfig({ cwd: dir })).values).toEqual({});
  });

  it('refuses a missing explicit file', async () => {
    const dir = await tempDir();
    const error = await configError(loadConfig({ cwd: dir, file: 'nope.yaml' }));
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.message).toContain(join(dir, 'nope.yaml'));
  });

  it('reports every problem of an invalid file at its line and column', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'prism-ami.config.yaml': yamlLines(
        'templatesDir: templates',
        'provder: aws',
        'region: us-east-1a',
        'concurrency: 0',
        'architectures: [amd64]',
      ),
    });
    const error = await configError(loadConfig({ cwd: dir }));
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.message).toContain('has 4 problems');
    const found = error.diagnostics.map((d) => `${d.rule}@${d.line}:${d.column}`).sort();
    expect(found).toEqual(['schema/architecture@5:17', 'schema/range@4:14', 'schema/region@3:9', 'schema/unknown-key@2:1'].sort());
    for (const d of error.diagnostics) expect(d.file).toBe(join(dir, 'prism-ami.config.yaml'));
    expect(error.diagnostics.find((d) => d.rule === 'schema/unknown-key')!.message).toContain('Did you mean "provider"?');
  });

  it('refuses broken YAML and hostile input like a template', () => {
    const syntax = (() => {
      try {
        parseConfig('templatesDir: [a\n', 'c.yaml');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(isPrismError(syntax, 'CONFIG_INVALID')).toBe(true);
    expect((syntax as PrismError).diagnostics[0].rule).toBe('yaml/syntax');

    expect(() => parseConfig('a: 1\n---\nb: 2\n', 'c.yaml')).toThrow(/has 1 problem/);
    expect(() => parseConfig('- templatesDir\n', 'c.yaml')).toThrow(/has 1 problem/);
  });
});
