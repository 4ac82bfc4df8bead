import type { BuildAllResult } from '../actions/build-all.js';
import { formatDuration } from '../core/clock.js';
import type { BuildEvent, EventSink, Target } from '../core/events.js';
import { targetLabel } from '../core/events.js';
import type { Io } from './io.js';
import { createRenderer, type Renderer } from './run-renderer.js';
import { style, type Style } from './style.js';
import { formatTable } from './table.js';
import { truncate } from './format.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress of many builds at once. On a terminal: one live line per running target (what it is
 * doing, for how long), redrawn in place, with a permanent line as each finishes. Otherwise: the
 * plain renderer's lines, prefixed with the target.
 */
export function createMultiRenderer(io: Io, json: boolean): Renderer {
  if (json || !io.isTTY) return createRenderer(json ? 'json' : 'plain', io, { prefixTargets: true });
  return new LiveBoard(io);
}

interface Running {
  target: Target;
  started: number;
  step: string;
  stepStarted: number;
}

class LiveBoard implements Renderer {
  private readonly s: Style;
  private readonly running = new Map<string, Running>();
  private drawn = 0;
  private frame = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly io: Io) {
    this.s = style(io.color);
    this.timer = setInterval(() => this.redraw(), 120);
  }

  readonly sink: EventSink = (event: BuildEvent) => {
    const key = 'target' in event ? `${targetLabel(event.target)}` : '';
    switch (event.type) {
      case 'run-start':
        this.running.set(key, {
          target: event.target,
          started: Date.now(),
          step: event.kind === 'copy' ? 'copying' : 'starting',
          stepStarted: Date.now(),
        });
        break;
      case 'step-start': {
        const r = this.running.get(key);
        if (r) Object.assign(r, { step: event.title, stepStarted: Date.now() });
        break;
      }
      case 'test-result':
        if (event.result.status === 'failed')
          this.permanent(`   ❌ ${targetLabel(event.target)}: test "${event.result.name}": ${event.result.reason ?? 'failed'}`);
        break;
      case 'run-end': {
        this.running.delete(key);
        const t = formatDuration(event.durationMs);
        const label = this.s.bold(targetLabel(event.target));
        if (event.status === 'succeeded' || event.status === 'partial') {
          const copies = event.copies?.length ? ` + ${event.copies.length} cop${event.copies.length === 1 ? 'y' : 'ies'}` : '';
          const icon = event.status === 'partial' ? '⚠️ ' : '✅';
          this.permanent(
            `${icon} ${label}  ${event.image?.id ?? ''}${copies}  ${this.s.dim(t)}${event.status === 'partial' ? `  ${event.error?.message ?? ''}` : ''}`,
          );
        } else if (event.status === 'cancelled') {
          this.permanent(`⚠️  ${label}  cancelled  ${this.s.dim(t)}`);
        } else if (event.status === 'failed') {
          this.permanent(`❌ ${label}  ${event.error?.message.split('\n')[0] ?? 'failed'}  ${this.s.dim(t)}`);
        }
        break;
      }
      default:
        break;
    }
    this.redraw();
  };

  private permanent(line: string): void {
    this.clear();
    this.io.out(`${line}\n`);
    this.redraw();
  }

  private clear(): void {
    if (this.drawn > 0) this.io.out(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const frame = SPINNER[this.frame++ % SPINNER.length];
    const lines = [...this.running.values()].map((r) => {
      const head = `${frame} ${targetLabel(r.target).padEnd(34)} ${formatDuration(Date.now() - r.started).padStart(7)}  `;
      return (
        head +
        this.s.dim(truncate(`${r.step} (${formatDuration(Date.now() - r.stepStarted)})`, Math.max(10, this.io.columns - head.length - 1)))
      );
    });
    if (lines.length > 0) this.io.out(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  close(): void {
    clearInterval(this.timer);
    this.clear();
  }
}

/** The end of build-all: a row per template, architecture and region. */
export function formatBuildAllSummary(result: BuildAllResult, color: boolean): string {
  const s = style(color);
  const mark = (r: string) =>
    r === 'built' || r === 'copied' ? s.green(r) : r === 'up to date' ? s.dim(r) : r === 'failed' ? s.red(r) : s.yellow(r);
  const table = formatTable(
    ['TEMPLATE', 'ARCH', 'REGION', 'RESULT', 'AMI', 'TIME'],
    result.rows.map((r) => [
      r.template,
      r.architecture,
      r.region,
      mark(r.result),
      r.imageId ?? '-',
      r.result === 'up to date' ? '-' : formatDuration(r.durationMs),
    ]),
  );
  const count = (what: string) => result.rows.filter((r) => r.result === what).length;
  const summary = `${count('built')} built, ${count('copied')} copied, ${count('up to date')} up to date, ${count('failed')} failed, ${count('blocked')} blocked${count('cancelled') ? `, ${count('cancelled')} cancelled` : ''}`;
  const failures = result.rows
    .filter((r) => r.error && r.result !== 'blocked')
    .map((r) => `  ${r.template} ${r.architecture} ${r.region}: ${r.error!.split('\n')[0]}`);
  return `\n${table}\n${summary}\n${failures.length ? `\nFailures:\n${[...new Set(failures)].join('\n')}\n` : ''}`;
}
