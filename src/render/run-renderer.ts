import { formatDuration } from '../core/clock.js';
import type { BuildEvent, EventSink, Target } from '../core/events.js';
import { targetLabel } from '../core/events.js';
import { formatBytes, truncate } from './format.js';
import type { Io } from './io.js';
import { style, type Style } from './style.js';

export type RenderMode = 'human' | 'plain' | 'json';

export interface Renderer {
  sink: EventSink;
  /** Stops timers; call before printing anything else. */
  close(): void;
}

/** human on a terminal, plain otherwise, json when asked. */
export function pickMode(io: Io, json: boolean): RenderMode {
  return json ? 'json' : io.isTTY ? 'human' : 'plain';
}

export function createRenderer(mode: RenderMode, io: Io, options: { prefixTargets?: boolean } = {}): Renderer {
  if (mode === 'json') return jsonRenderer(io);
  return new RunRenderer(io, mode === 'human', options.prefixTargets ?? false);
}

/** One JSON object per line: the event plus its time. Command output stays in the log file. */
export function jsonRenderer(io: Io): Renderer {
  return {
    sink: (event) => {
      if (event.type === 'step-output') return;
      io.out(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
    },
    close: () => undefined,
  };
}

/** Steps that end a group of output lines. */
const BLANK_AFTER = new Set(['wait-ready', 'validate', 'create-image', 'retest-wait-ready', 'retest']);

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Past-tense headings for finished steps, as in the seed's build output. */
function doneHeading(step: string, title: string, noun: string): string {
  if (step === 'find-base') return 'Base image';
  if (step === 'launch') return `${capitalize(noun)} launched`;
  if (step === 'wait-ready') return `${capitalize(noun)} ready`;
  if (step === 'preflight') return 'Prerequisites checked';
  if (step === 'settle') return `${capitalize(noun)} settled`;
  if (step === 'generalize') return 'Image generalized';
  if (step === 'validate') return 'All tests passed';
  if (step === 'create-image') return 'Image created';
  if (step === 'record') return 'Image recorded';
  if (step === 'retest-launch') return `Fresh ${noun} launched`;
  if (step === 'retest-wait-ready') return `${capitalize(noun)} ready`;
  if (step === 'retest') return 'All tests passed on a fresh boot';
  if (step.startsWith('reboot-')) return `${capitalize(noun)} rebooted`;
  if (step.startsWith('copy-')) return `Copied to ${step.slice(5)}`;
  if (step.startsWith('setup-'))
    return title === 'Executing setup script' ? 'Setup complete' : `${title.replace(/^Setup (\d+\/\d+): /, '')} done`;
  return title;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The seed's "Example Build Output": ⏳ / ✅ / ❌ per step with durations, a line per test, a
 * summary. Live (a terminal): the running step is one line with a spinner and the script's last
 * output line, rewritten in place. Plain: the same lines, appended, no spinner or colour.
 */
class RunRenderer implements Renderer {
  private readonly s: Style;
  private active: { target: Target; title: string; started: number; last: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private failed = false;
  private noun = 'machine';

  constructor(
    private readonly io: Io,
    private readonly live: boolean,
    private readonly prefixTargets: boolean,
  ) {
    this.s = style(live && io.color);
  }

  readonly sink: EventSink = (event) => this.handle(event);

  close(): void {
    this.clearSpinner();
  }

  private print(target: Target | undefined, line: string): void {
    const prefix = this.prefixTargets && target ? this.s.dim(`[${targetLabel(target)}] `) : '';
    const hadSpinner = this.live && this.active !== undefined;
    if (hadSpinner) this.io.out('\r\u001b[2K');
    this.io.out(`${prefix}${line}\n`);
    if (hadSpinner) this.drawSpinner();
  }

  private handle(event: BuildEvent): void {
    const s = this.s;
    switch (event.type) {
      case 'run-start': {
        this.noun = event.provider === 'local' ? 'container' : 'instance';
        this.failed = false;
        const verb = event.kind === 'build' ? 'Building image' : 'Validating image';
        this.print(event.target, `🏗️  ${s.bold(`${verb} for template: ${event.target.template}`)}`);
        this.print(event.target, `   Architecture: ${event.target.architecture}`);
        this.print(event.target, `   Region: ${event.target.region}`);
        this.print(event.target, `   Version: ${event.version}`);
        this.print(event.target, `   Provider: ${event.provider}   Build: ${event.buildId}`);
        this.print(event.target, `   Log: ${event.logFile}`);
        this.print(event.target, '');
        return;
      }
      case 'step-start':
        if (this.live && !this.prefixTargets) {
          this.clearSpinner();
          this.active = { target: event.target, title: event.title, started: Date.now(), last: '' };
          this.drawSpinner();
          this.timer = setInterval(() => this.drawSpinner(), 100);
        } else {
          this.print(event.target, `⏳ ${event.title}...`);
        }
        return;
      case 'step-progress':
        this.print(event.target, event.origin === 'script' ? `   📦 ${event.message}` : s.dim(`   · ${event.message}`));
        return;
      case 'step-output':
        if (this.active) this.active.last = event.line.trim();
        return;
      case 'step-end': {
        this.clearSpinner();
        const took = s.dim(`(${formatDuration(event.durationMs)})`);
        if (event.status === 'ok') {
          const heading = doneHeading(event.step, event.title, this.noun);
          this.print(event.target, `✅ ${heading}${event.detail ? `: ${event.detail}` : ''} ${took}`);
          if (BLANK_AFTER.has(event.step) || event.step.startsWith('setup-') || event.step.startsWith('reboot-'))
            this.print(event.target, '');
        } else if (event.status === 'skipped') {
          this.print(event.target, `⏭️  ${event.title}: ${event.detail ?? 'skipped'}`);
        } else if (event.status === 'cancelled') {
          this.failed = true;
          this.print(event.target, `❌ ${event.title}: cancelled ${took}`);
        } else {
          this.failed = true;
          this.print(event.target, `❌ ${event.title} failed ${took}`);
        }
        return;
      }
      case 'test-result': {
        const r = event.result;
        const tries = r.attempts > 1 ? s.dim(` (${r.attempts} tries)`) : '';
        if (r.status === 'passed') {
          this.print(event.target, `   ✅ ${r.name}${tries}`);
        } else {
          this.print(event.target, `   ❌ ${r.name}: ${r.reason ?? 'failed'}${tries}`);
          for (const line of r.excerpt.split('\n').slice(-4))
            if (line.trim()) this.print(event.target, s.dim(`      │ ${truncate(line, this.io.columns - 10)}`));
        }
        return;
      }
      case 'cleanup':
        if (event.status === 'failed') this.print(event.target, `   ⚠️  could not remove ${event.resource}: ${event.error ?? ''}`);
        else if (event.status === 'kept') this.print(event.target, `   📌 kept ${event.resource}`);
        else if (this.failed) this.print(event.target, s.dim(`   🧹 removed ${event.resource}`));
        return;
      case 'notice':
        this.print(event.target, `${event.level === 'warning' ? '⚠️ ' : 'ℹ️ '} ${event.message}`);
        return;
      case 'run-end':
        this.clearSpinner();
        this.runEnd(event);
        return;
    }
  }

  private runEnd(event: Extract<BuildEvent, { type: 'run-end' }>): void {
    const s = this.s;
    const t = event.target;
    const total = formatDuration(event.durationMs);
    if (event.status === 'skipped') {
      this.print(t, `✅ ${t.template} (${t.architecture}) is up to date: ${event.image?.id} ${s.dim(`(${event.image?.name})`)}`);
      this.print(t, '   A validated image with the same fingerprint exists; nothing to build. --force rebuilds.');
      return;
    }
    if (event.status === 'succeeded') {
      if (event.kind === 'validate') {
        const n = event.tests?.length ?? 0;
        this.print(t, `🎉 ${s.green(s.bold('Validation passed'))}: ${n} test${n === 1 ? '' : 's'} on a fresh ${this.noun}`);
        this.print(t, `   Total time: ${total}`);
        return;
      }
      this.print(t, '');
      this.print(t, `🎉 ${s.green(s.bold('Build complete!'))}`);
      this.print(t, `   Image ID: ${event.image?.id}`);
      this.print(t, `   Name: ${event.image?.name}`);
      if (event.image?.sizeBytes) this.print(t, `   Size: ${formatBytes(event.image.sizeBytes)}`);
      for (const copy of event.copies ?? []) this.print(t, `   Copy: ${copy.region} ${copy.id}`);
      this.print(t, `   Total time: ${total}`);
      return;
    }
    if (event.status === 'partial') {
      this.print(t, '');
      this.print(t, `⚠️  ${s.yellow(s.bold('Image built, but not every copy was made'))}`);
      this.print(t, `   Image ID: ${event.image?.id} (${event.image?.region})`);
      for (const copy of event.copies ?? []) this.print(t, `   Copy: ${copy.region} ${copy.id}`);
      this.print(t, `   ${event.error?.message ?? ''}`);
      if (event.error?.hint) this.print(t, `   ${s.dim('hint:')} ${event.error.hint}`);
      this.print(t, `   Total time: ${total}`);
      return;
    }
    this.print(t, '');
    const what = event.kind === 'build' ? 'Build' : 'Validation';
    if (event.status === 'cancelled') {
      this.print(t, `⚠️  ${s.yellow(`${what} cancelled`)} after ${total}`);
      if (event.image && event.kind !== 'validate') {
        const copies = event.copies?.length ? `, with copies in ${event.copies.map((c) => c.region).join(', ')}` : '';
        this.print(
          t,
          `   Image ${event.image.id} (${event.image.region}) was made and recorded${copies}; the copies still running were stopped and removed.`,
        );
      }
    } else {
      this.print(t, `❌ ${s.red(`${what} failed`)}: ${event.error?.message ?? 'unknown error'}`);
      if (event.error?.hint) this.print(t, `   ${s.dim('hint:')} ${event.error.hint}`);
    }
    if (event.leftovers && event.leftovers.length > 0) {
      this.print(t, `   Left in place: ${event.leftovers.join(', ')}`);
    } else if (event.kind === 'build' && !event.image) {
      this.print(t, '   No image was made, and everything the build created was removed.');
    }
    for (const hint of event.hints ?? []) this.print(t, `   → ${hint}`);
  }

  private drawSpinner(): void {
    if (!this.active) return;
    const a = this.active;
    const frame = SPINNER[this.frame++ % SPINNER.length];
    const elapsed = formatDuration(Date.now() - a.started);
    const head = `${frame} ${a.title}... ${elapsed}`;
    const room = this.io.columns - head.length - 4;
    const tail = a.last && room > 10 ? `  ${this.s.dim(truncate(a.last, room))}` : '';
    this.io.out(`\r\u001b[2K${head}${tail}`);
  }

  private clearSpinner(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.active && this.live) this.io.out('\r\u001b[2K');
    this.active = undefined;
  }
}
