/** Where a command's output goes. The CLI makes one from the process; tests make their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: live views and colour are allowed. */
  isTTY: boolean;
  color: boolean;
  /** Terminal width, for tables and the live view. */
  columns: number;
}

export function processIo(): Io {
  // A closed terminal or a reader that went away: the write fails (EIO, EPIPE) and the stream
  // emits an error. Output is then lost, but the run must go on cleaning up, not crash.
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  const isTTY = Boolean(process.stdout.isTTY);
  const color = isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY,
    color,
    columns: process.stdout.columns ?? 100,
  };
}

/** An Io that records everything, for tests. */
export function memoryIo(options: Partial<Pick<Io, 'isTTY' | 'color' | 'columns'>> = {}): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    isTTY: options.isTTY ?? false,
    color: options.color ?? false,
    columns: options.columns ?? 100,
  };
  return io;
}
