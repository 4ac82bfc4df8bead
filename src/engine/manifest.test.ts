import { describe, expect, it } from 'vitest';
import { manifestDigest } from '../core/manifest.js';
import { debianListing } from '../../test/support/manifest-machine.js';
import { build, runEnd, stepTrail } from '../../test/support/pipeline-harness.js';
import { parseCollectionOutput } from './manifest-script.js';

describe('the manifest step of a build', () => {
  it('records what the build machine lists, before the image is made, and tags the image with its digest', async () => {
    const listing = debianListing(
      { bash: '5.2.15-2+b7', 'linux-image-6.1.0-18-amd64': '6.1.76-1', tree: '2.1.0-1' },
      { python: { numpy: '1.26.4' }, R: { ggplot2: '3.5.1' } },
    );
    const { cloud, events, outcome } = await build({ manifest: listing });
    expect(outcome.status).toBe('succeeded');
    const manifest = cloud.records[0]?.manifest;
    expect(manifest).toBeDefined();
    expect(manifest!.os).toEqual({
      id: 'debian',
      version_id: '12',
      version_codename: 'bookworm',
      pretty_name: 'Debian GNU/Linux 12 (bookworm)',
    });
    // Removed packages whose configuration is kept (rc) are not installed.
    expect(manifest!.packages.dpkg!.map((p) => p.name)).toEqual(['bash', 'linux-image-6.1.0-18-amd64', 'tree']);
    expect(manifest!.packages.dpkg![2]).toEqual({ name: 'tree', version: '2.1.0-1', arch: 'amd64' });
    expect(manifest!.kernel).toEqual({
      packages: [{ name: 'linux-image-6.1.0-18-amd64', version: '6.1.76-1', arch: 'amd64' }],
      running: '6.1.0-18-amd64',
    });
    expect(manifest!.packages.python).toEqual([{ name: 'numpy', version: '1.26.4' }]);
    expect(manifest!.packages.R).toEqual([{ name: 'ggplot2', version: '3.5.1' }]);
    expect(manifest!.digest).toBe(manifestDigest(manifest!));
    expect(cloud.imageSpecs[0]?.tags['prism:manifest']).toBe(manifest!.digest);
    const end = events.find((e) => e.type === 'step-end' && e.step === 'manifest');
    expect(end).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^5 packages \(dpkg 3, python 1, R 1\), sha256:/) as unknown });
    // Collected in the build machine, before create-image.
    const calls = cloud.calls;
    expect(calls.indexOf('exec script package manifest')).toBeLessThan(calls.indexOf('createImage m-1'));
  });

  it('reads the listing back whole with the provider (3,000 packages), after the collection', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [`lib${i.toString(36)}-${(i * 7919).toString(16)}`, `${i}.${i % 7}-${i % 13}`]),
    );
    const { cloud } = await build({ manifest: debianListing(many) });
    const calls = cloud.calls;
    expect(calls.indexOf('readFile m-1 /run/prism-ami/manifest.txt')).toBeGreaterThan(calls.indexOf('exec script package manifest'));
    expect(cloud.records[0]?.manifest?.packages.dpkg).toHaveLength(3000);
  });

  it('a listing that is not the size the collection said is not recorded: a warning, and the build goes on', async () => {
    const { cloud, events, outcome } = await build({
      manifest: debianListing({ bash: '5.2' }),
      exec: { 'package manifest': { stdout: '@@prism-manifest-ready 99999\n' } },
    });
    expect(outcome.status).toBe('succeeded');
    expect(cloud.records[0]?.manifest).toBeUndefined();
    expect(events.find((e) => e.type === 'notice')).toMatchObject({
      level: 'warning',
      message: expect.stringMatching(/read back \d+ of the listing's 99999 bytes/) as unknown,
    });
  });

  it('goes on without a manifest when the machine prints none, with a warning', async () => {
    const { cloud, events, outcome } = await build({ manifest: false });
    expect(outcome.status).toBe('succeeded');
    expect(cloud.records[0]?.manifest).toBeUndefined();
    expect(cloud.imageSpecs[0]?.tags['prism:manifest']).toBeUndefined();
    expect(stepTrail(events)).toContain('end:manifest:ok');
    expect(events.find((e) => e.type === 'step-end' && e.step === 'manifest')).toMatchObject({ detail: 'not recorded' });
    expect(events.find((e) => e.type === 'notice')).toMatchObject({
      level: 'warning',
      message: expect.stringContaining('no package manifest was recorded for this image') as unknown,
    });
    expect(runEnd(events).status).toBe('succeeded');
  });

  it('is cancelled, not skipped, when the run is cancelled during the collection', async () => {
    const { outcome } = await build(
      { exec: { 'package manifest': 'hang' } },
      { beforeRun: (cloud, controller) => void cloud.hanging.then(() => controller.abort()) },
    );
    expect(outcome.status).toBe('cancelled');
    expect(outcome.image).toBeUndefined();
  });
});

describe('parseCollectionOutput', () => {
  it('refuses output cut short (no end marker)', () => {
    const cut = debianListing({ bash: '5.2' }).replace('@@prism-manifest end\n', '');
    expect(() => parseCollectionOutput(cut, new Date())).toThrow(/cut short/);
  });

  it('names listers that failed or ran out of time, and leaves their ecosystem out', () => {
    const text = debianListing({ bash: '5.2' }).replace(
      '@@prism-manifest end',
      '@@prism-manifest R\n@@prism-manifest skipped R Rscript exited 124\n@@prism-manifest end',
    );
    const m = parseCollectionOutput(text, new Date('2024-06-17T08:30:00Z'));
    expect(m.packages.R).toBeUndefined();
    expect(m.skipped).toEqual([{ ecosystem: 'R', reason: 'Rscript exited 124' }]);
    expect(m.collected_at).toBe('2024-06-17T08:30:00Z');
  });

  it('reads rpm and conda listings', () => {
    const text = [
      '@@prism-manifest os-release',
      'ID="rocky"',
      'VERSION_ID="9.3"',
      '@@prism-manifest rpm',
      'kernel-core\t5.14.0-362.el9\tx86_64',
      'openssl\t1:3.0.7-24.el9\tx86_64',
      '@@prism-manifest conda /opt/conda/bin/conda',
      '[{"name": "numpy", "version": "1.26.4", "channel": "conda-forge"}]',
      '@@prism-manifest end',
    ].join('\n');
    const m = parseCollectionOutput(text, new Date());
    expect(m.packages.rpm).toEqual([
      { name: 'kernel-core', version: '5.14.0-362.el9', arch: 'x86_64' },
      { name: 'openssl', version: '1:3.0.7-24.el9', arch: 'x86_64' },
    ]);
    expect(m.kernel.packages.map((p) => p.name)).toEqual(['kernel-core']);
    expect(m.packages.conda).toEqual([{ name: 'numpy', version: '1.26.4' }]);
  });
});
