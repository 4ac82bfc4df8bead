import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeFiles, yamlLines } from '../../test/support/files.js';
import { tempDir } from '../../test/support/temp.js';
import { formatTemplateSummary } from './template-view.js';
import { summarizeTemplate } from '../template/describe.js';
import { templateFingerprint } from '../template/fingerprint.js';
import { TemplateLibrary } from '../template/library.js';

const BUNDLED = fileURLToPath(new URL('../../templates', import.meta.url));

describe('summarizeTemplate (what show prints)', () => {
  it('gives the chain, a fingerprint per architecture and the inherited tests', async () => {
    const lib = new TemplateLibrary(BUNDLED);
    const child = await lib.resolve('hello-web-status');
    const summary = summarizeTemplate(child, 'templates/hello-web-status.yml');
    expect(summary.slug).toBe('hello-web-status');
    expect(summary.chain).toEqual(['hello-web', 'hello-web-status']);
    expect(summary.fingerprints).toEqual({
      x86_64: templateFingerprint(child, 'x86_64'),
      arm64: templateFingerprint(child, 'arm64'),
    });
    // "Page is served" is replaced by the child, so it is the child's own test now.
    expect(summary.inheritedTests).toEqual(['nginx is active', 'nginx version', 'Unknown page is a 404']);
    expect(summary.template).toMatchObject({
      name: 'Hello Web with status',
      extends: 'hello-web',
      base_ami: { architecture: ['x86_64', 'arm64'] },
    });
    expect(summary.template).not.toHaveProperty('base_ami.source');
  });

  it('prints a resolved template that is itself a valid template with the same fingerprints', async () => {
    const dir = await tempDir();
    await cp(BUNDLED, dir, { recursive: true });
    await writeFiles(dir, {
      'legacy.yml': yamlLines(
        'name: Legacy',
        'base: ubuntu-20.04-server-lts',
        'build_steps:',
        '  - {name: one, script: "set -e; echo one", timeout_seconds: 30}',
        'validation:',
        '  - {name: ok, command: "true", success: true}',
        '  - {name: has, command: echo abc, contains: b}',
        'min_disk_size: 12',
        'architecture: arm64',
      ),
    });
    const original = new TemplateLibrary(dir);
    const slugs = (await original.list()).map((t) => t.slug);
    expect(slugs).toContain('python-research');
    for (const slug of slugs) {
      const template = await original.resolve(slug);
      const printed = formatTemplateSummary(summarizeTemplate(template, `${slug}.yml`));
      expect(printed).toMatch(new RegExp(`^# ${slug} `));
      for (const arch of template.architectures) {
        expect(printed).toContain(`# fingerprint ${arch.padEnd(6)} ${templateFingerprint(template, arch)}`);
      }
      expect(parseYaml(printed)).toMatchObject({ name: template.name });
      await writeFile(join(dir, `${slug}-printed.yml`), printed);
    }
    const reread = new TemplateLibrary(dir);
    for (const slug of slugs) {
      const before = await reread.resolve(slug);
      const after = await reread.resolve(`${slug}-printed`);
      expect(after.architectures).toEqual(before.architectures);
      expect(after.tests.map((t) => t.name)).toEqual(before.tests.map((t) => t.name));
      for (const arch of before.architectures) {
        expect(templateFingerprint(after, arch), `${slug} ${arch}`).toBe(templateFingerprint(before, arch));
      }
    }
  });
});
