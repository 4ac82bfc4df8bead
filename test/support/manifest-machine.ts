import { gzipSync } from 'node:zlib';

/**
 * The machine's side of the manifest collection (src/engine/manifest-script.ts), for clouds that
 * do not run the script: the in-memory cloud, and moto (whose SSM answers every command with empty
 * output). Given what the listers would print, it answers the collection script with the line
 * the script prints, and each `dd … skip=N` with that chunk of the gzipped, base64-encoded output,
 * as the real script and dd do.
 */
export class ManifestMachine {
  readonly encoded: string;

  constructor(raw: string) {
    // `base64 | tr -d '\n'`: one line.
    this.encoded = gzipSync(Buffer.from(raw, 'utf8')).toString('base64');
  }

  /**
   * The same for SSM's command lines (src/providers/aws/run-command.ts): a script arrives as
   * base64 chunks written to a file, and is decoded here first.
   */
  answerCommandLines(commands: string): string | undefined {
    if (!commands.includes('prism_step=$(mktemp')) return this.answer(commands);
    const chunks = [...commands.matchAll(/^printf '%s' '([A-Za-z0-9+/=]+)' >> "\$prism_step\.b64"$/gm)].map((m) => m[1]);
    return this.answer(Buffer.from(chunks.join(''), 'base64').toString('utf8'));
  }

  /** The output of a command or script of the collection, or undefined when it is not one. */
  answer(command: string): string | undefined {
    if (command.includes('# prism-ami: what is in this image')) {
      const ready = `@@prism-manifest-ready gzip ${this.encoded.length}\n`;
      // The script prints a manifest that fits its limit at once.
      const inline = /if \[ "\$size" -le (\d+) \]/.exec(command);
      return inline && this.encoded.length <= Number(inline[1]) ? `${ready}@@prism-manifest-data ${this.encoded}\n` : ready;
    }
    const chunk = /dd if=\/run\/prism-ami\/manifest\.b64 bs=(\d+) skip=(\d+) count=1/.exec(command);
    if (chunk) {
      const size = Number(chunk[1]);
      const start = Number(chunk[2]) * size;
      return this.encoded.slice(start, start + size);
    }
    if (command.startsWith('rm -f /run/prism-ami/manifest')) return '';
    return undefined;
  }
}

/** What the listers print on a small Debian 12 machine with these packages (name → version). */
export function debianListing(
  packages: Record<string, string>,
  extra: { python?: Record<string, string>; R?: Record<string, string> } = {},
): string {
  const lines = [
    '@@prism-manifest os-release',
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    '@@prism-manifest running-kernel',
    '6.1.0-18-amd64',
    '@@prism-manifest dpkg',
    ...Object.entries(packages).map(([name, version]) => `ii \t${name}\t${version}\tamd64`),
    'rc \tremoved-but-configured\t1.0\tamd64',
  ];
  if (extra.python) lines.push('@@prism-manifest python /usr/bin/python3', ...Object.entries(extra.python).map(([n, v]) => `${n}\t${v}`));
  if (extra.R) lines.push('@@prism-manifest R', ...Object.entries(extra.R).map(([n, v]) => `${n}\t${v}`));
  lines.push('@@prism-manifest end', '');
  return lines.join('\n');
}
