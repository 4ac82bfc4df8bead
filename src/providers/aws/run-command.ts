import { StringDecoder } from 'node:string_decoder';
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { PrismError } from '../../core/errors.js';
import type { ExecRequest, ExecResult } from '../provider.js';
import { aws, cloudError, isAwsCode } from './aws-errors.js';
import { pollUntil } from './poll.js';
import { logPath, loggedLines, parsePiece, pieceCommand, reportedSize, TAIL_BYTES } from './step-log.js';

/** SSM limits the parameters of a command; beyond this a script must be split into steps. */
export const MAX_SCRIPT_BYTES = 48 * 1024;

/**
 * The shell lines that write a script to a file on the instance and run it with its own #! line
 * (bash when it has none), exactly as locally, its output going to the step's log (step-log.ts).
 */
export function scriptLines(request: Extract<ExecRequest, { kind: 'script' }>, log = logPath(request.name)): string[] {
  const encoded = Buffer.from(request.script, 'utf8').toString('base64');
  if (encoded.length > MAX_SCRIPT_BYTES) {
    throw new PrismError(
      'TEMPLATE_INVALID',
      `the setup step "${request.name}" is ${Buffer.byteLength(request.script)} bytes; SSM Run Command takes scripts up to about 36 KB`,
      {
        hint: 'split it into several setup_steps, or have it download a larger script (and check its checksum)',
      },
    );
  }
  const chunks = encoded.match(/.{1,4000}/g) ?? [];
  return [
    'prism_step=$(mktemp /tmp/prism-step.XXXXXX)',
    ': > "$prism_step.b64"',
    ...chunks.map((chunk) => `printf '%s' '${chunk}' >> "$prism_step.b64"`),
    'base64 -d "$prism_step.b64" > "$prism_step" && rm -f "$prism_step.b64" && chmod 700 "$prism_step"',
    'cd /root 2>/dev/null || cd /',
    ...loggedLines(
      log,
      'if head -c 2 "$prism_step" | grep -q "#!"; then "$prism_step" < /dev/null; else bash "$prism_step" < /dev/null; fi',
    ),
    'rm -f "$prism_step"',
    'exit $prism_status',
  ];
}

/** How often a running step's new output is fetched from its log on the instance. */
export interface ProgressTiming {
  firstMs: number;
  everyMs: number;
}
const PROGRESS: ProgressTiming = { firstMs: 5_000, everyMs: 15_000 };
/** At most this many pieces after a step ends (each up to 256 KiB of log): about 50 MiB. */
const MAX_PIECES = 200;

interface Sent {
  invocation: GetCommandInvocationCommandOutput;
  commandId: string;
}

/**
 * Sends shell lines with SSM Run Command (AWS-RunShellScript) and polls GetCommandInvocation
 * with backoff until the command ends; `whileRunning` is called between polls. Cancelling
 * cancels the command.
 */
async function sendAndWait(
  ssm: SSMClient,
  instanceId: string,
  command: { name: string; lines: string[]; timeoutSeconds: number },
  signal: AbortSignal,
  log: (line: string) => void,
  whileRunning?: () => Promise<void>,
): Promise<Sent> {
  const sent = await aws(`sending "${command.name}" to ${instanceId}`, () =>
    ssm.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: 'AWS-RunShellScript',
        Comment: `prism-ami: ${command.name}`.slice(0, 100),
        Parameters: { commands: command.lines, executionTimeout: [String(command.timeoutSeconds)] },
        // How long the command may wait to be delivered to the agent.
        TimeoutSeconds: 600,
      }),
      { abortSignal: signal },
    ),
  );
  const commandId = sent.Command!.CommandId!;
  log(`ssm command ${commandId} on ${instanceId}: ${command.name}`);
  try {
    const invocation = await pollUntil(
      async () => {
        let result: GetCommandInvocationCommandOutput;
        try {
          result = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }), {
            abortSignal: signal,
          });
        } catch (error) {
          // Eventual consistency: the invocation can take a moment to exist.
          if (isAwsCode(error, 'InvocationDoesNotExist')) return undefined;
          throw error;
        }
        if (!['Pending', 'InProgress', 'Delayed', 'Cancelling'].includes(result.Status ?? '')) return result;
        await whileRunning?.();
        return undefined;
      },
      {
        timeoutMs: (command.timeoutSeconds + 600) * 1000,
        signal,
        what: `command "${command.name}" on ${instanceId}`,
        initialDelayMs: 1000,
        maxDelayMs: 5000,
      },
    );
    return { invocation, commandId };
  } catch (error) {
    if (signal.aborted) {
      await ssm.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [instanceId] })).catch(() => undefined);
    }
    throw cloudError(error, `waiting for "${command.name}" on ${instanceId}`);
  }
}

function outcome(invocation: GetCommandInvocationCommandOutput, name: string): { exitCode: number | null; timedOut: boolean } {
  const status = invocation.Status;
  if (status === 'Cancelled') throw new PrismError('CANCELLED', `command "${name}" was cancelled on the instance`);
  const timedOut =
    status === 'TimedOut' || invocation.StatusDetails === 'ExecutionTimedOut' || invocation.StatusDetails === 'DeliveryTimedOut';
  const exitCode = timedOut ? null : (invocation.ResponseCode ?? (status === 'Success' ? 0 : 1));
  return { exitCode: exitCode === -1 ? null : exitCode, timedOut };
}

/**
 * Runs a script or command on an instance with SSM Run Command (no SSH, no key pair). A command
 * (a test, a check) returns SSM's own output. A script (a setup step) writes all its output to
 * its log on the instance: new lines are fetched while it runs, the rest when it ends, so
 * `onOutput` (the per-build log) gets all of it, and the result's stdout is the end of it.
 */
export async function runCommand(
  ssm: SSMClient,
  instanceId: string,
  request: ExecRequest,
  signal: AbortSignal,
  log: (line: string) => void,
  options: { progress?: ProgressTiming; logPath?: string } = {},
): Promise<ExecResult> {
  if (request.kind === 'script') return runScript(ssm, instanceId, request, signal, log, options);
  const { invocation } = await sendAndWait(
    ssm,
    instanceId,
    { name: request.name, lines: [request.command], timeoutSeconds: request.timeoutSeconds },
    signal,
    log,
  );
  const stdout = invocation.StandardOutputContent ?? '';
  const stderr = invocation.StandardErrorContent ?? '';
  if (stdout) request.onOutput?.(stdout.endsWith('\n') ? stdout : `${stdout}\n`, 'stdout');
  if (stderr) request.onOutput?.(stderr.endsWith('\n') ? stderr : `${stderr}\n`, 'stderr');
  return { ...outcome(invocation, request.name), stdout, stderr };
}

async function runScript(
  ssm: SSMClient,
  instanceId: string,
  request: Extract<ExecRequest, { kind: 'script' }>,
  signal: AbortSignal,
  log: (line: string) => void,
  options: { progress?: ProgressTiming; logPath?: string },
): Promise<ExecResult> {
  const path = options.logPath ?? logPath(request.name);
  const timing = options.progress ?? PROGRESS;
  const reader = new LogReader(request.onOutput);
  const piece = async () => {
    const { invocation } = await sendAndWait(
      ssm,
      instanceId,
      { name: `${request.name} (log)`, lines: [pieceCommand(path, reader.offset)], timeoutSeconds: 120 },
      signal,
      () => undefined,
    );
    return parsePiece(invocation.StandardOutputContent ?? '');
  };
  let nextProgress = Date.now() + timing.firstMs;
  const progress = async () => {
    if (Date.now() < nextProgress) return;
    nextProgress = Date.now() + timing.everyMs;
    try {
      const got = await piece();
      if (got) reader.add(got.bytes);
    } catch (error) {
      if (signal.aborted) throw error;
      log(`reading the log of "${request.name}" while it runs: ${(error as Error).message}`);
    }
  };
  const { invocation } = await sendAndWait(
    ssm,
    instanceId,
    { name: request.name, lines: scriptLines(request, path), timeoutSeconds: request.timeoutSeconds },
    signal,
    log,
    progress,
  );
  const tail = invocation.StandardOutputContent ?? '';
  const size = reportedSize(invocation.StandardErrorContent ?? '');
  const result = outcome(invocation, request.name);
  const missing = size === undefined ? undefined : size - reader.offset;
  const tailBytes = Buffer.from(tail, 'utf8');
  if (missing !== undefined && missing > 0 && missing <= tailBytes.length) {
    // The end the command printed holds everything not read yet.
    reader.add(tailBytes.subarray(tailBytes.length - missing));
  } else if ((missing !== undefined && missing > 0) || (missing === undefined && (result.timedOut || result.exitCode !== 0))) {
    // More than the end, or the command was stopped before it could say: read the log itself.
    for (let i = 0; i < MAX_PIECES; i++) {
      const got = await piece();
      if (!got || got.bytes.length === 0) break;
      reader.add(got.bytes);
      if (reader.offset >= got.size) break;
    }
    if (size !== undefined && reader.offset < size) {
      const note = `[prism-ami: ${size - reader.offset} more bytes of output were not fetched; they were in ${path} on ${instanceId}]\n`;
      request.onOutput?.(note, 'stderr');
    }
  }
  reader.end();
  const end = tail || reader.recent();
  return { ...result, stdout: end, stderr: '' };
}

/** Bytes of a step's log as they arrive, decoded as UTF-8 across piece boundaries. */
class LogReader {
  offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  private last = '';

  constructor(private readonly onOutput: ExecRequest['onOutput']) {}

  add(bytes: Buffer): void {
    this.offset += bytes.length;
    this.emit(this.decoder.write(bytes));
  }

  end(): void {
    this.emit(this.decoder.end());
  }

  /** The last part of what was read (for the error message when the command printed nothing). */
  recent(): string {
    return this.last;
  }

  private emit(text: string): void {
    if (!text) return;
    this.last = (this.last + text).slice(-TAIL_BYTES);
    this.onOutput?.(text, 'stdout');
  }
}

/**
 * The SSM agent is online when it runs a command: retried while the instance is not registered
 * yet (InvalidInstanceId) until the deadline.
 */
export async function waitAgentOnline(
  ssm: SSMClient,
  instanceId: string,
  signal: AbortSignal,
  timeoutMs: number,
  log: (line: string) => void,
  installing = false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await pollUntil(
    async () => {
      try {
        const result = await runCommand(
          ssm,
          instanceId,
          { kind: 'command', name: 'ssm agent check', command: 'true', timeoutSeconds: 60 },
          signal,
          log,
        );
        return result.exitCode === 0 ? true : undefined;
      } catch (error) {
        if (isAwsCode((error as PrismError).cause, 'InvalidInstanceId')) return undefined;
        throw error;
      }
    },
    {
      timeoutMs: Math.max(1000, deadline - Date.now()),
      signal,
      what: `the SSM agent on ${instanceId} to come online`,
      hint: installing
        ? `the user data was installing the agent (the base image has none): see its progress with \`aws ec2 get-console-output --instance-id ${instanceId}\` (lines "prism-ami agent bootstrap: ..."); likely causes: no route to S3 for the download (a public IP, a NAT gateway or an S3 endpoint), a signature that does not verify (AWS rotated its signing key: set ssmAgentKeyFile), no route to SSM, or an instance profile without AmazonSSMManagedInstanceCore`
        : 'the instance needs a route to SSM (a public IP in the default VPC, a NAT gateway, or VPC endpoints) and an instance profile with AmazonSSMManagedInstanceCore; a custom base image must have the SSM agent installed and enabled',
      initialDelayMs: 3000,
      maxDelayMs: 15_000,
    },
  );
}

/**
 * A file of the instance, whole, read with the step log's piece protocol (step-log.ts): each
 * command prints the file's size and the next piece, gzipped, within SSM's 24,000 characters.
 * Fails when the file is missing, grows past `maxBytes`, or an answer is not a piece.
 */
export async function readInstanceFile(
  ssm: SSMClient,
  instanceId: string,
  path: string,
  maxBytes: number,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = 0;
  for (let n = 1; ; n++) {
    const { invocation } = await sendAndWait(
      ssm,
      instanceId,
      {
        name: `read ${path} (${n})`,
        lines: [`[ -f ${path} ] || { echo "no such file" >&2; exit 66; }`, pieceCommand(path, offset)],
        timeoutSeconds: 120,
      },
      signal,
      log,
    );
    const { exitCode } = outcome(invocation, `read ${path}`);
    if (exitCode !== 0) {
      const why = (invocation.StandardErrorContent ?? '').trim().slice(-200) || `exit ${exitCode}`;
      throw new PrismError('BUILD_FAILED', `reading ${path} on ${instanceId} failed: ${why}`);
    }
    const piece = parsePiece(invocation.StandardOutputContent ?? '');
    if (!piece) throw new PrismError('BUILD_FAILED', `reading ${path} on ${instanceId}: the answer was not a piece of the file`);
    if (piece.size > maxBytes)
      throw new PrismError('BUILD_FAILED', `${path} on ${instanceId} is ${piece.size} bytes, more than ${maxBytes}`);
    if (piece.bytes.length === 0 && offset < piece.size)
      throw new PrismError('BUILD_FAILED', `reading ${path} on ${instanceId}: no bytes at ${offset} of ${piece.size} (the file changed)`);
    parts.push(piece.bytes);
    offset += piece.bytes.length;
    if (offset >= piece.size) return Buffer.concat(parts);
  }
}
