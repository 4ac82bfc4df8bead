import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The per-build log file: every event and the full output of the setup scripts and tests, with
 * timestamps. Its path is printed at the start and the end of every build.
 */
export class BuildLog {
  readonly file: string;
  private readonly stream: WriteStream;
  private partial = new Map<string, string>();

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    this.stream = createWriteStream(file, { flags: 'a', mode: 0o640 });
    this.stream.on('error', () => undefined);
  }

  line(text: string): void {
    this.stream.write(`${new Date().toISOString()} ${text}\n`);
  }

  /** Output of a command, split into lines; `source` prefixes each (e.g. `setup:1 stdout`). */
  output(source: string, chunk: string): string[] {
    const text = (this.partial.get(source) ?? '') + chunk;
    const lines = text.split('\n');
    this.partial.set(source, lines.pop() ?? '');
    for (const l of lines) this.line(`[${source}] ${l}`);
    return lines;
  }

  /** Writes any unterminated line of a source, and returns it. */
  flush(source: string): string | undefined {
    const rest = this.partial.get(source);
    if (rest) this.line(`[${source}] ${rest}`);
    this.partial.delete(source);
    return rest || undefined;
  }

  close(): Promise<void> {
    for (const source of [...this.partial.keys()]) this.flush(source);
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
