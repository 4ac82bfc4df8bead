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

/** SSM limits the parameters of a command; beyond this a script must be split into steps. */
export const MAX_SCRIPT_BYTES = 48 * 1024;

/**
 * The shell lines that run a request with AWS-RunShellScript. A script is written to a file and
 * run with its own #! line (bash when it has none), exactly as locally; a command runs as is.
 */
export function commandLines(request: ExecRequest): string[] {
  if (request.kind === 'command') return [request.command];
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
    'if head -c 2 "$prism_step" | grep -q "#!"; then "$prism_step" < /dev/null; else bash "$prism_step" < /dev/null; fi',
    'prism_status=$?',
    'rm -f "$prism_step"',
    'exit $prism_status',
  ];
}

/**
 * Runs a script or command on an instance with SSM Run Command (no SSH, no key pair) and polls
 * GetCommandInvocation with backoff until it ends. The step timeout becomes the command's
 * execution timeout; cancelling cancels the command.
 */
export async function runCommand(
  ssm: SSMClient,
  instanceId: string,
  request: ExecRequest,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<ExecResult> {
  const sent = await aws(`sending "${request.name}" to ${instanceId}`, () =>
    ssm.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: 'AWS-RunShellScript',
        Comment: `prism-ami: ${request.name}`.slice(0, 100),
        Parameters: { commands: commandLines(request), executionTimeout: [String(request.timeoutSeconds)] },
        // How long the command may wait to be delivered to the agent.
        TimeoutSeconds: 600,
      }),
      { abortSignal: signal },
    ),
  );
  const commandId = sent.Command!.CommandId!;
  log(`ssm command ${commandId} on ${instanceId}: ${request.name}`);
  let invocation: GetCommandInvocationCommandOutput;
  try {
    invocation = await pollUntil(
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
        return ['Pending', 'InProgress', 'Delayed', 'Cancelling'].includes(result.Status ?? '') ? undefined : result;
      },
      {
        timeoutMs: (request.timeoutSeconds + 600) * 1000,
        signal,
        what: `command "${request.name}" on ${instanceId}`,
        initialDelayMs: 1000,
        maxDelayMs: 5000,
      },
    );
  } catch (error) {
    if (signal.aborted) {
      await ssm.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [instanceId] })).catch(() => undefined);
    }
    throw cloudError(error, `waiting for "${request.name}" on ${instanceId}`);
  }
  const stdout = invocation.StandardOutputContent ?? '';
  const stderr = invocation.StandardErrorContent ?? '';
  if (stdout) request.onOutput?.(stdout.endsWith('\n') ? stdout : `${stdout}\n`, 'stdout');
  if (stderr) request.onOutput?.(stderr.endsWith('\n') ? stderr : `${stderr}\n`, 'stderr');
  const status = invocation.Status;
  if (status === 'Cancelled') throw new PrismError('CANCELLED', `command "${request.name}" was cancelled on the instance`);
  const timedOut =
    status === 'TimedOut' || invocation.StatusDetails === 'ExecutionTimedOut' || invocation.StatusDetails === 'DeliveryTimedOut';
  const exitCode = timedOut ? null : (invocation.ResponseCode ?? (status === 'Success' ? 0 : 1));
  return { exitCode: exitCode === -1 ? null : exitCode, stdout, stderr, timedOut };
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
      hint: 'the instance needs a route to SSM (a public IP in the default VPC, a NAT gateway, or VPC endpoints) and an instance profile with AmazonSSMManagedInstanceCore',
      initialDelayMs: 3000,
      maxDelayMs: 15_000,
    },
  );
}
