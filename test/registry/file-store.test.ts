import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry } from '../../src/registry/document.js';
import { current } from '../../src/registry/queries.js';
import { runPrism } from '../support/cli.js';
import { expectNoStackTrace, requireBuild } from '../support/cli-checks.js';
import { tempDir } from '../support/temp.js';
import { holdLock, stopProcess } from './helpers.js';

beforeAll(requireBuild);

const slot = { template: 'r-research', region: 'us-east-1', architecture: 'x86_64' } as const;

/** A project folder with a legacy map to import (no templates folder: imports allow unknown templates). */
async function project(): Promise<{ cwd: string; file: string; importArgs: (ami: string) => Promise<string[]> }> {
  const cwd = await tempDir();
  const file = join(cwd, 'ami-registry.json');
  let n = 0;
  return {
    cwd,
    file,
    importArgs: async (ami) => {
      const map = join(cwd, `legacy-${n++}.json`);
      await writeFile(map, JSON.stringify({ 'us-east-1': { x86_64: ami } }));
      return ['ami', 'import-legacy', map, '--template', 'r-research', '--allow-unknown-templates', '--replace', '--validated'];
    },
  };
}

describe('file registry', () => {
  it('creates the file on first write, keeps the previous document as .bak on each write, leaves no lock or temp file', async () => {
    const { cwd, file, importArgs } = await project();
    const first = await runPrism(await importArgs('ami-0123456789abcdef0'), { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(await readdir(cwd)).not.toContain('ami-registry.json.bak');
    const afterFirst = await readFile(file, 'utf8');
    const second = await runPrism(await importArgs('ami-0123456789abcdef1'), { cwd });
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(afterFirst);
    expect(current(parseRegistry(await readFile(file, 'utf8'), file), slot)!.ami_id).toBe('ami-0123456789abcdef1');
    expect((await readdir(cwd)).filter((n) => n.startsWith('.') || n.endsWith('.lock') || n.endsWith('.tmp'))).toEqual([]);
  });

  it('a corrupt file is a clear error (exit 2) and stays untouched', async () => {
    const { cwd, file, importArgs } = await project();
    const corrupt =
      '{\n  "version": "1.0",\n  "templates": {\n    "r-research": {"amis": {"us-east-1": {"x86_64": {"ami_id": "ami-0123456789abcdef0", "created": "yesterday", "validated": true}}}}\n  }\n';
    await writeFile(file, corrupt);
    for (const args of [
      await importArgs('ami-0123456789abcdef1'),
      ['ami', 'list'],
      ['ami', 'resolve', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64'],
    ]) {
      const result = await runPrism(args, { cwd });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('ami-registry.json');
      expectNoStackTrace(result);
    }
    const result = await runPrism(['ami', 'list'], { cwd });
    expect(result.stderr).toMatch(/is not valid JSON|has \d+ problem/);
    expect(await readFile(file, 'utf8')).toBe(corrupt);
    expect(await readdir(cwd)).not.toContain('ami-registry.json.bak');

    await writeFile(
      file,
      corrupt.replace('"yesterday"', '"2024-06-17T08:30:00Z"').replace(/\n$/, '\n}\n').replace('"validated": true', '"validated": "yes"'),
    );
    const located = await runPrism(['ami', 'list'], { cwd });
    expect(located.code).toBe(2);
    expect(located.stderr).toContain('ami-registry.json:4:');
    expect(located.stderr).toContain('templates.r-research.amis.us-east-1.x86_64.validated: must be true or false');
    expect(located.stderr).toContain('[REGISTRY_INVALID]');
  });

  it('a registry from a newer schema is refused (exit 2) and never overwritten', async () => {
    const { cwd, file, importArgs } = await project();
    const newer = `${JSON.stringify({ version: '2.0', schema_version: 3, templates: { 'r-research': { images: [] } } }, null, 2)}\n`;
    await writeFile(file, newer);
    const result = await runPrism(await importArgs('ami-0123456789abcdef1'), { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[REGISTRY_NEWER_SCHEMA]');
    expect(result.stderr).toContain('written by a newer prism-ami (registry schema 3; this version reads up to 2)');
    expect(result.stderr).toContain('upgrade prism-ami');
    expect(await readFile(file, 'utf8')).toBe(newer);
    expect(await readdir(cwd)).not.toContain('ami-registry.json.bak');
  });

  it('a lock held by a live process: REGISTRY_LOCKED naming its pid after the timeout (exit 2), nothing written', async () => {
    const { cwd, file, importArgs } = await project();
    expect((await runPrism(await importArgs('ami-0123456789abcdef0'), { cwd })).code).toBe(0);
    const before = await readFile(file, 'utf8');
    const holder = await holdLock(file);
    try {
      const started = Date.now();
      const result = await runPrism([...(await importArgs('ami-0123456789abcdef1')), '--lock-timeout', '1'], { cwd });
      const took = Date.now() - started;
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('[REGISTRY_LOCKED]');
      expect(result.stderr).toContain(`locked by process ${holder.pid} on`);
      expect(result.stderr).toContain('test holder');
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(10_000);
      expect(await readFile(file, 'utf8')).toBe(before);
      // Readers do not take the lock.
      const read = await runPrism(['ami', 'resolve', 'r-research', '--region', 'us-east-1', '--arch', 'x86_64'], { cwd });
      expect(read.stdout).toBe('ami-0123456789abcdef0\n');
    } finally {
      await stopProcess(holder);
    }
    // The lock of a process that died without releasing it is taken over.
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: holder.pid, host: (await import('node:os')).hostname(), since: '', purpose: 'dead' }),
    );
    const after = await runPrism(await importArgs('ami-0123456789abcdef1'), { cwd });
    expect(after.code, after.stderr).toBe(0);
  });

  it('an unwritable or missing folder is REGISTRY_UNREACHABLE (exit 2)', async () => {
    const { cwd, importArgs } = await project();
    const missing = await runPrism([...(await importArgs('ami-0123456789abcdef1')), '--registry', 'file:no/such/dir/r.json'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[REGISTRY_UNREACHABLE]');
    expect(missing.stderr).toContain('the folder does not exist');
    expectNoStackTrace(missing);
    if (process.getuid?.() !== 0) {
      await mkdir(join(cwd, 'ro'));
      await chmod(join(cwd, 'ro'), 0o500);
      const readOnly = await runPrism([...(await importArgs('ami-0123456789abcdef1')), '--registry', 'ro/r.json'], { cwd });
      expect(readOnly.stderr).toContain('[REGISTRY_UNREACHABLE]');
    }
    const bad = await runPrism(['ami', 'list', '--registry', 'http://example.com/r.json'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('only file: and s3:// registries are supported');
  });

  it('picks the registry from --registry, then PRISM_AMI_REGISTRY, then the config file, then ./ami-registry.json', async () => {
    const { cwd, importArgs } = await project();
    await writeFile(join(cwd, 'prism-ami.config.yaml'), 'registry: from-config.json\n');
    const args = await importArgs('ami-0123456789abcdef0');
    expect((await runPrism(args, { cwd })).code).toBe(0);
    expect(
      (await runPrism([...args, '--registry', 'from-flag.json'], { cwd, env: { PRISM_AMI_REGISTRY: 'file:from-env.json' } })).code,
    ).toBe(0);
    expect((await runPrism(args, { cwd, env: { PRISM_AMI_REGISTRY: 'file:from-env.json' } })).code).toBe(0);
    const names = await readdir(cwd);
    expect(names).toEqual(expect.arrayContaining(['from-config.json', 'from-flag.json', 'from-env.json']));
    expect(names).not.toContain('ami-registry.json');
  });
});
