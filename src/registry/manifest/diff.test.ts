import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { manifestDigest, type ManifestContent } from '../../core/manifest.js';
import { parseRegistry, serializeRegistry, emptyRegistry } from '../document.js';
import { record } from '../operations.js';
import { diffManifests, diffSummary } from './diff.js';

const content = (dpkg: [string, string, string?][], extra: Partial<ManifestContent> = {}): ManifestContent => ({
  os: { id: 'debian', version_id: '12', pretty_name: 'Debian GNU/Linux 12 (bookworm)' },
  kernel: { packages: [] },
  packages: { dpkg: dpkg.map(([name, version, arch]) => ({ name, version, arch: arch ?? 'amd64' })) },
  ...extra,
});

describe('diffManifests', () => {
  it('matches packages by name; by name and architecture where a name is installed twice (multiarch)', () => {
    const a = content([
      ['libc6', '2.36-9', 'amd64'],
      ['libc6', '2.36-9', 'i386'],
      ['tree', '2.1.0-1'],
    ]);
    const b = content([
      ['libc6', '2.36-9+deb12u4', 'amd64'],
      ['libc6', '2.36-9', 'i386'],
      ['jq', '1.6-2.1'],
    ]);
    const d = diffManifests(a, b);
    expect(d.ecosystems).toEqual([
      {
        ecosystem: 'dpkg',
        added: [{ name: 'jq', version: '1.6-2.1', arch: 'amd64' }],
        removed: [{ name: 'tree', version: '2.1.0-1', arch: 'amd64' }],
        changed: [{ name: 'libc6', arch: 'amd64', from: '2.36-9', to: '2.36-9+deb12u4' }],
      },
    ]);
    expect(d.total).toBe(3);
    expect(diffSummary(d)).toBe('3 packages changed: libc6 2.36-9 → 2.36-9+deb12u4, + jq 1.6-2.1, − tree 2.1.0-1');
  });

  it('shows an OS release and kernel change, and an ecosystem that appeared', () => {
    const a = content([['bash', '5.2']]);
    const b = content([['bash', '5.2']], {
      os: { id: 'debian', version_id: '13', pretty_name: 'Debian GNU/Linux 13 (trixie)' },
      kernel: { packages: [{ name: 'linux-image-6.12.0-1-amd64', version: '6.12.1-1' }] },
      packages: { dpkg: [{ name: 'bash', version: '5.2', arch: 'amd64' }], python: [{ name: 'numpy', version: '2.0.0' }] },
    });
    const d = diffManifests(a, b);
    expect(d.os).toEqual({ from: 'Debian GNU/Linux 12 (bookworm)', to: 'Debian GNU/Linux 13 (trixie)' });
    expect(d.kernel).toEqual({ from: 'none installed', to: 'linux-image-6.12.0-1-amd64 6.12.1-1' });
    expect(d.ecosystems.map((e) => [e.ecosystem, e.added.length])).toEqual([['python', 1]]);
    expect(diffSummary(diffManifests(a, a))).toBe('no packages changed');
  });

  it('names at most five packages in the summary', () => {
    const many = content(Array.from({ length: 8 }, (_, i): [string, string] => [`p${i}`, '1']));
    expect(diffSummary(diffManifests(content([]), many))).toMatch(/^8 packages changed: \+ p0 1, .*, \+ p4 1, and 3 more$/);
  });

  it('the digest does not depend on package order', () => {
    const a = content([
      ['a', '1'],
      ['b', '2'],
    ]);
    const b = content([
      ['b', '2'],
      ['a', '1'],
    ]);
    expect(manifestDigest(a)).toBe(manifestDigest(b));
    expect(manifestDigest(a)).not.toBe(manifestDigest(content([['a', '1']])));
  });
});

describe('manifest_digest in the registry', () => {
  const clock = fixedClock('2024-06-17T09:00:00Z');
  const digest = `sha256:${'ab'.repeat(32)}`;
  const input = {
    template: 't',
    region: 'us-east-1',
    architecture: 'x86_64' as const,
    amiId: 'ami-0123456789abcdef0',
    created: '2024-06-17T08:30:00Z',
    version: '1',
    validated: true,
  };

  it('is recorded in the history and its amis mirror, and survives a write and read', () => {
    const { document } = record(emptyRegistry(), { ...input, manifestDigest: digest }, clock);
    expect(document.templates.t.history!['us-east-1'].x86_64![0].manifest_digest).toBe(digest);
    expect(document.templates.t.amis['us-east-1'].x86_64!.manifest_digest).toBe(digest);
    // An optional field: the schema version stays 1, so older prism-ami versions read it.
    expect(document.schema_version).toBe(1);
    expect(parseRegistry(serializeRegistry(document), 'r.json')).toEqual(document);
  });

  it('is filled in when the same image is recorded again with it, never replaced', () => {
    const first = record(emptyRegistry(), input, clock).document;
    const again = record(first, { ...input, manifestDigest: digest }, clock);
    expect(again.changed).toBe(true);
    expect(again.document.templates.t.history!['us-east-1'].x86_64![0].manifest_digest).toBe(digest);
    const other = record(again.document, { ...input, manifestDigest: `sha256:${'cd'.repeat(32)}` }, clock);
    expect(other.changed).toBe(false);
  });

  it('a malformed digest is a located registry error', () => {
    const { document } = record(emptyRegistry(), { ...input, manifestDigest: digest }, clock);
    const text = serializeRegistry(document).replace(digest, 'md5:1234');
    expect(() => parseRegistry(text, 'r.json')).toThrow(/has 1 problem/);
    try {
      parseRegistry(text, 'r.json');
    } catch (error) {
      const diagnostics = (error as { diagnostics: { message: string; line: number }[] }).diagnostics;
      expect(diagnostics[0].message).toBe('must be a manifest digest: sha256: and 64 hex digits');
      expect(diagnostics[0].line).toBeGreaterThan(1);
    }
  });
});
