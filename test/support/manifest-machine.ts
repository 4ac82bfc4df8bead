import { gzipSync } from 'node:zlib';

const LISTING = '/run/prism-ami/manifest.txt';

/**
 * The machine's side of the manifest collection (src/engine/manifest-script.ts), for clouds that
 * do not run the script: the in-memory cloud, and moto (whose SSM answers every command with empty
 * output). Given what the listers would print, it answers the collection script with the line
 * the script prints, gives the listing to readFile, and answers the AWS provider's piece commands
 * for it (src/providers/aws/step-log.ts) as the real shell lines do.
 */
export class ManifestMachine {
  readonly listing: Buffer;

  constructor(raw: string) {
    this.listing = Buffer.from(raw, 'utf8');
  }

  /** The file the collection wrote, for a provider's readFile; undefined for any other path. */
  read(path: string): Buffer | undefined {
    return path === LISTING ? this.listing : undefined;
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
    if (command.includes('# prism-ami: what is in this image')) return `@@prism-manifest-ready ${this.listing.length}\n`;
    const piece = /^f=(\S+); o=(\d+); n=(\d+)$/m.exec(command);
    if (piece && piece[1] === LISTING) {
      // pieceCommand: `<size> <gzip+base64 of up to n bytes from o>`, n halved until it fits.
      const offset = Number(piece[2]);
      for (let n = Number(piece[3]); ; n = n / 2) {
        const out = gzipSync(this.listing.subarray(offset, offset + n)).toString('base64');
        if (out.length <= 22_000 || n <= 4096) return `${this.listing.length} ${out}\n`;
      }
    }
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
