import { PrismError } from '../core/errors.js';

/**
 * Where the generated workflow gets prism-ami from. Always one exact, verified thing: the jobs
 * hold cloud credentials, so they never install a package by name alone (a name can be taken
 * over, a version moved, a branch pushed to).
 */
export type ToolSource =
  /** The template repository's own package.json and package-lock.json: `npm ci`. */
  | { kind: 'lockfile'; lockfile: string; version: string }
  /** A registry version; its tarball is checked against the integrity pinned at ci init. */
  | { kind: 'registry'; name: string; version: string; integrity: string; sha512: string }
  /** A tarball from an HTTPS URL, checked against its SHA-256 before it is installed. */
  | { kind: 'tarball'; url: string; sha256: string }
  /** A git repository at one commit (a full SHA, never a branch or tag), built in the job. */
  | { kind: 'git'; url: string; commit: string };

export const SOURCE_FORMS = [
  'npm:prism-ami@1.2.3#sha512-<integrity from npm view prism-ami@1.2.3 dist.integrity>',
  'https://host/path/prism-ami-1.2.3.tgz#sha256=<64 hex digits>',
  'git+https://github.com/org/prism-ami.git#<the full 40-hex commit SHA>',
];

const NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const SHA512_BASE64 = /^[A-Za-z0-9+/]{86}==$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const COMMIT = /^[0-9a-f]{40}$/;
/** Host, optional port, then a path of plain characters: safe inside YAML quotes and shell words. */
const HTTPS_URL = /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?(\/[\w.~%+-]+)+$/i;

function refuse(source: string, why: string): never {
  throw new PrismError('USAGE', `--prism-source ${JSON.stringify(source)} is not a pinned source: ${why}`, {
    hint: `use one of: ${SOURCE_FORMS.join(' | ')}`,
  });
}

/** Parses `--prism-source`; anything not pinned to exact bytes or an exact commit is a USAGE error. */
export function parseToolSource(source: string): ToolSource {
  const text = source.trim();
  if (text.startsWith('npm:')) return registrySource(text);
  if (text.startsWith('git+')) return gitSource(text);
  if (text.startsWith('https://') || text.startsWith('http://')) return tarballSource(text);
  return refuse(text, 'a bare package name or version would install whatever the registry serves under it');
}

function registrySource(text: string): ToolSource {
  const [spec, integrity, ...rest] = text.slice('npm:'.length).split('#');
  if (rest.length > 0 || integrity === undefined) refuse(text, 'it needs the tarball integrity: npm:NAME@VERSION#sha512-…');
  const at = spec.lastIndexOf('@');
  const name = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : '';
  if (!NAME.test(name)) refuse(text, `${JSON.stringify(name)} is not a package name`);
  if (!EXACT_VERSION.test(version)) refuse(text, 'the version must be exact (1.2.3), not a range or a tag');
  const digest = integrity.startsWith('sha512-') ? integrity.slice('sha512-'.length) : '';
  if (!SHA512_BASE64.test(digest)) refuse(text, 'the integrity must be sha512-<88 base64 characters>, as npm prints it');
  const bytes = Buffer.from(digest, 'base64');
  if (bytes.length !== 64 || bytes.toString('base64') !== digest) refuse(text, 'the integrity is not a SHA-512 in base64');
  return { kind: 'registry', name, version, integrity, sha512: bytes.toString('hex') };
}

function tarballSource(text: string): ToolSource {
  const [url, checksum, ...rest] = text.split('#');
  if (!url.startsWith('https://')) refuse(text, 'the tarball must come over https');
  if (rest.length > 0 || checksum === undefined || !checksum.startsWith('sha256='))
    refuse(text, 'it needs the tarball checksum: https://…/prism-ami-1.2.3.tgz#sha256=<hex>');
  const sha256 = checksum.slice('sha256='.length).toLowerCase();
  if (!HEX64.test(sha256)) refuse(text, 'the sha256 must be 64 hex digits (sha256sum prints it)');
  if (!HTTPS_URL.test(url) || url.includes('@')) refuse(text, 'the URL must be https://host/path with no user, query or odd characters');
  if (!/\.(tgz|tar\.gz)$/.test(url)) refuse(text, 'the URL must name a .tgz (what npm pack writes)');
  return { kind: 'tarball', url, sha256 };
}

function gitSource(text: string): ToolSource {
  const [repo, ref, ...rest] = text.slice('git+'.length).split('#');
  if (!repo.startsWith('https://')) refuse(text, 'only git+https:// repositories (the runner has no SSH keys for git+ssh)');
  if (!HTTPS_URL.test(repo) || repo.includes('@')) refuse(text, 'the URL must be https://host/path with no user, query or odd characters');
  if (rest.length > 0 || ref === undefined) refuse(text, 'it needs the commit: git+https://…/prism-ami.git#<40-hex SHA>');
  const commit = ref.toLowerCase();
  if (!COMMIT.test(commit))
    refuse(text, `${JSON.stringify(ref)} is not a full commit SHA: a branch or tag can be moved, a short SHA can become ambiguous`);
  return { kind: 'git', url: repo, commit };
}

/** The source as the user would write it (lockfile: where the pin lives). */
export function describeToolSource(source: ToolSource): string {
  switch (source.kind) {
    case 'lockfile':
      return `npm ci (prism-ami ${source.version}, as ${source.lockfile} pins it)`;
    case 'registry':
      return `npm:${source.name}@${source.version}#${source.integrity}`;
    case 'tarball':
      return `${source.url}#sha256=${source.sha256}`;
    case 'git':
      return `git+${source.url}#${source.commit}`;
  }
}

/** Rechecks a source before it goes into YAML and shell (settings may come from a library caller). */
export function checkToolSource(source: ToolSource): void {
  const ok = (() => {
    switch (source.kind) {
      case 'lockfile':
        return /^(package-lock|npm-shrinkwrap)\.json$/.test(source.lockfile) && EXACT_VERSION.test(source.version);
      case 'registry':
        return NAME.test(source.name) && EXACT_VERSION.test(source.version) && HEX128.test(source.sha512);
      case 'tarball':
        return HTTPS_URL.test(source.url) && !source.url.includes('@') && HEX64.test(source.sha256);
      case 'git':
        return HTTPS_URL.test(source.url) && !source.url.includes('@') && COMMIT.test(source.commit);
      default:
        return false;
    }
  })();
  if (!ok)
    throw new PrismError('USAGE', `the prism-ami source ${JSON.stringify(source)} is not valid`, {
      hint: `use one of: ${SOURCE_FORMS.join(' | ')}`,
    });
}
