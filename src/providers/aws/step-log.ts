import { gunzipSync } from 'node:zlib';

/**
 * The log of a setup step on the instance. SSM's GetCommandInvocation returns only the first
 * 24,000 characters of a command's output, and only when it ends, so a script's output goes to
 * `/var/log/prism-ami/<step>.log` on the instance instead, and is read from there in pieces:
 * while the step runs (live progress) and after it ends (the rest), so the per-build log holds
 * all of it and the error at the end of a long install is in the message. The generalization
 * removes the folder before the snapshot.
 */
export const LOG_DIR = '/var/log/prism-ami';

/** The end of the log the step's own command prints when it ends: the error line is in it. */
export const TAIL_BYTES = 16_000;

/** The step's command prints `prism-ami-log-bytes=<size>` on stderr as its last line. */
const MARKER = /^prism-ami-log-bytes=(\d+)\s*$/m;

export function logPath(stepName: string): string {
  const safe =
    stepName
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'step';
  return `${LOG_DIR}/${safe}.log`;
}

/** Shell lines (POSIX sh) that run `run` with its output in the log, then report it. */
export function loggedLines(log: string, run: string): string[] {
  return [
    `prism_log=${log}`,
    'mkdir -p "$(dirname "$prism_log")" && chmod 700 "$(dirname "$prism_log")"',
    ': > "$prism_log"',
    `${run} >> "$prism_log" 2>&1`,
    'prism_status=$?',
    `echo "prism-ami-log-bytes=$(wc -c < "$prism_log")" >&2`,
    `tail -c ${TAIL_BYTES} "$prism_log"`,
  ];
}

/** The log's size as the step's command reported it; undefined when it did not get that far. */
export function reportedSize(stderr: string): number | undefined {
  const match = MARKER.exec(stderr);
  return match ? Number(match[1]) : undefined;
}

/**
 * A command printing the log from byte `offset` on: `<log size> <gzip+base64 of the piece>`.
 * The piece is as large as fits in SSM's 24,000 characters once compressed (up to 256 KiB of
 * log, halved until it fits).
 */
export function pieceCommand(log: string, offset: number): string {
  return [
    `f=${log}; o=${offset}; n=262144`,
    'size=$(wc -c < "$f" 2>/dev/null || echo 0)',
    'while :; do out=$(tail -c +$((o + 1)) "$f" 2>/dev/null | head -c $n | gzip -c | base64 | tr -d "\\n"); [ ${#out} -le 22000 ] && break; [ $n -le 4096 ] && break; n=$((n / 2)); done',
    'echo "$size $out"',
  ].join('\n');
}

/** Parses a piece command's output; undefined when it is not one (an emulator's empty answer). */
export function parsePiece(stdout: string): { size: number; bytes: Buffer } | undefined {
  const match = /^(\d+) ?([A-Za-z0-9+/=]*)\s*$/.exec(stdout.trim());
  if (!match) return undefined;
  const bytes = match[2] ? gunzipSync(Buffer.from(match[2], 'base64')) : Buffer.alloc(0);
  return { size: Number(match[1]), bytes };
}
