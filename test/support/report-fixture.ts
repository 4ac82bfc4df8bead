import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageManifest } from '../../src/core/manifest.js';
import { parseCollectionOutput } from '../../src/engine/manifest-script.js';
import { FileManifestStore } from '../../src/registry/manifest/store.js';
import { templateFingerprint } from '../../src/template/fingerprint.js';
import { loadTemplate } from '../../src/template/library.js';
import { REPO_ROOT } from './cli.js';
import { debianListing } from './manifest-machine.js';

/**
 * A registry with history worth reporting on, written as real files: the document and the
 * manifest sidecars next to it. Dates are relative to `now`.
 *
 * - r-research: us-east-1 x86_64 has three images (1.0.0 recorded before manifests, 1.1.0 and the
 *   current 1.2.0, which changed r-base-core and openssl and added libcurl4), arm64 the current
 *   1.2.0; eu-west-1 x86_64 a copy of 1.2.0 and a revoked 1.1.0.
 * - python-research: us-east-1 x86_64 current image 90 days old (stale), one that failed validation.
 * - hello-web: a local image with an old fingerprint (the template file has changed since: drift).
 * The other current images have the fingerprints of the templates in `templatesDir`.
 */
export async function writeReportFixture(
  dir: string,
  now = new Date(),
  templatesDir = join(REPO_ROOT, 'templates'),
): Promise<{ registry: string; ids: Record<string, string> }> {
  // r-research and python-research as the bundled templates are now (no drift); hello-web's is old.
  const fingerprint = async (slug: string, arch: 'x86_64' | 'arm64') =>
    templateFingerprint(await loadTemplate(slug, { templatesDir }), arch);
  const fp = {
    r: await fingerprint('r-research', 'x86_64'),
    rArm: await fingerprint('r-research', 'arm64'),
    py: await fingerprint('python-research', 'x86_64'),
  };
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const base = { bash: '5.2.15-2+b7', coreutils: '9.1-1', curl: '7.88.1-10+deb12u5' };
  const manifests: Record<string, ImageManifest> = {
    v11: parseCollectionOutput(
      debianListing({ ...base, openssl: '3.0.11-1~deb12u2', 'r-base-core': '4.3.1-1' }, { R: { ggplot2: '3.4.4' } }),
      new Date(at(40)),
    ),
    v12: parseCollectionOutput(
      debianListing(
        { ...base, openssl: '3.0.13-1~deb12u1', 'r-base-core': '4.3.2-1', libcurl4: '7.88.1-10+deb12u5' },
        { R: { ggplot2: '3.5.1' } },
      ),
      new Date(at(5)),
    ),
    py: parseCollectionOutput(debianListing({ ...base, python3: '3.11.2-1+b1' }, { python: { numpy: '1.26.4' } }), new Date(at(90))),
    hello: parseCollectionOutput(debianListing({ ...base, nginx: '1.22.1-9' }), new Date(at(2))),
  };
  const ids = {
    r10: 'ami-0a10000000000000a',
    r11: 'ami-0a11000000000000a',
    r12: 'ami-0a12000000000000a',
    r12arm: 'ami-0b12000000000000b',
    r12eu: 'ami-0c12000000000000c',
    r11eu: 'ami-0c11000000000000c',
    pyFailed: 'ami-0d01000000000000d',
    py: 'ami-0d02000000000000d',
    hello: 'limg-0123456789ab',
  };
  const entry = (id: string, version: string, daysAgo: number, status: string, extra: Record<string, unknown> = {}) => ({
    ami_id: id,
    created: at(daysAgo),
    version,
    fingerprint: `sha256:${version.replace(/\D/g, '').padEnd(64, '0')}`,
    validated: status !== 'failed-validation',
    ...(status !== 'failed-validation' ? { validated_at: at(daysAgo) } : {}),
    status,
    size_gb: 8,
    ...extra,
  });
  const mirror = (h: ReturnType<typeof entry>) => {
    const { status: _s, ...rest } = h;
    return rest;
  };
  const rUs = [
    entry(ids.r10, '1.0.0', 70, 'superseded'),
    entry(ids.r11, '1.1.0', 40, 'superseded', { manifest_digest: manifests.v11.digest }),
    entry(ids.r12, '1.2.0', 5, 'current', { manifest_digest: manifests.v12.digest, fingerprint: fp.r }),
  ];
  const rArm = [entry(ids.r12arm, '1.2.0', 5, 'current', { manifest_digest: manifests.v12.digest, fingerprint: fp.rArm })];
  const rEu = [
    entry(ids.r11eu, '1.1.0', 40, 'revoked', {
      manifest_digest: manifests.v11.digest,
      revoked_at: at(20),
      revoke_reason: 'CVE-2024-0001 in openssl',
    }),
    entry(ids.r12eu, '1.2.0', 5, 'current', { manifest_digest: manifests.v12.digest, source_ami: ids.r12, fingerprint: fp.r }),
  ];
  const py = [
    entry(ids.pyFailed, '0.9.0', 120, 'failed-validation', { failed_validation_at: at(100) }),
    entry(ids.py, '1.0.0', 90, 'current', { manifest_digest: manifests.py.digest, fingerprint: fp.py }),
  ];
  const hello = [entry(ids.hello, '1.0.0', 2, 'current', { manifest_digest: manifests.hello.digest, size_gb: 0.05 })];
  const doc = {
    version: '1.0',
    schema_version: 2,
    last_updated: at(1),
    templates: {
      'r-research': {
        version: '1.2.0',
        description: 'R + RStudio Server + tidyverse packages',
        amis: { 'us-east-1': { x86_64: mirror(rUs[2]), arm64: mirror(rArm[0]) }, 'eu-west-1': { x86_64: mirror(rEu[1]) } },
        history: { 'us-east-1': { x86_64: rUs, arm64: rArm }, 'eu-west-1': { x86_64: rEu } },
      },
      'python-research': {
        version: '1.0.0',
        description: 'Python data science stack',
        amis: { 'us-east-1': { x86_64: mirror(py[1]) } },
        history: { 'us-east-1': { x86_64: py } },
      },
      'hello-web': {
        version: '1.0.0',
        description: 'nginx serving a static page',
        amis: { local: { x86_64: mirror(hello[0]) } },
        history: { local: { x86_64: hello } },
      },
    },
  };
  const registry = join(dir, 'ami-registry.json');
  await writeFile(registry, `${JSON.stringify(doc, null, 2)}\n`);
  const store = new FileManifestStore(registry);
  const put = (id: string, m: ImageManifest) => store.put(id, { ...m, image_id: id });
  await put(ids.r11, manifests.v11);
  await put(ids.r12, manifests.v12);
  await put(ids.r12arm, manifests.v12);
  await put(ids.r12eu, manifests.v12);
  await put(ids.r11eu, manifests.v11);
  await put(ids.py, manifests.py);
  await put(ids.hello, manifests.hello);
  return { registry, ids };
}
