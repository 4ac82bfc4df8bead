import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPrismError } from '../../../src/core/errors.js';
import { execInContainer, type Container } from '../../../src/providers/local/container.js';
import type { ProviderContext } from '../../../src/providers/provider.js';

/** GetCommandInvocation returns this much of a command's output, from its start (SSM's limits). */
export const STDOUT_LIMIT = 24_000;
export const STDERR_LIMIT = 8_000;
const DEFAULT_EXECUTION_TIMEOUT = 3600;

export type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';

/** One AWS-RunShellScript command on one instance, as the agent runs it and SSM reports it. */
export interface Invocation {
  commandId: string;
  instanceId: string;
  comment: string;
  commands: string[];
  executionTimeout: number;
  status: InvocationStatus;
  statusDetails: string;
  /** -1 until it ends, or when it did not end by itself. */
  responseCode: number;
  stdout: string;
  stderr: string;
  started?: Date;
  ended?: Date;
  cancel: AbortController;
  done: Promise<void>;
}

/**
 * Runs the command as the agent does: its lines joined with newlines into `_script.sh` in the
 * agent's orchestration folder, run by `sh` as root from `/` with the agent's environment (no
 * HOME), under executionTimeout; output is kept from the start up to SSM's limits.
 */
export function startInvocation(
  container: Container,
  ctx: ProviderContext,
  input: { commandId: string; instanceId: string; comment: string; parameters: Record<string, unknown> },
): Invocation {
  const commands = ((input.parameters.commands as string[] | undefined) ?? []).map(String);
  const timeout = Number((input.parameters.executionTimeout as string[] | undefined)?.[0] ?? DEFAULT_EXECUTION_TIMEOUT);
  const cancel = new AbortController();
  const invocation: Invocation = {
    commandId: input.commandId,
    instanceId: input.instanceId,
    comment: input.comment,
    commands,
    executionTimeout: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_EXECUTION_TIMEOUT,
    status: 'Pending',
    statusDetails: 'Pending',
    responseCode: -1,
    stdout: '',
    stderr: '',
    cancel,
    done: Promise.resolve(),
  };
  invocation.done = run(container, { ...ctx, signal: AbortSignal.any([ctx.signal, cancel.signal]) }, invocation);
  return invocation;
}

async function run(container: Container, ctx: ProviderContext, inv: Invocation): Promise<void> {
  const end = (status: InvocationStatus, details: string, code: number) => {
    inv.status = status;
    inv.statusDetails = details;
    inv.responseCode = code;
    inv.ended = new Date();
  };
  try {
    const dir = `/var/lib/amazon/ssm/${inv.instanceId}/document/orchestration/${inv.commandId}/awsrunShellScript/0.awsrunShellScript`;
    const onHost = `/proc/${container.leaderPid}/root${dir}`;
    await mkdir(onHost, { recursive: true, mode: 0o700 });
    await writeFile(join(onHost, '_script.sh'), inv.commands.join('\n'));
    await chmod(join(onHost, '_script.sh'), 0o700);
    inv.status = 'InProgress';
    inv.statusDetails = 'InProgress';
    inv.started = new Date();
    const result = await execInContainer(
      container,
      {
        kind: 'command',
        name: `ssm ${inv.commandId}`,
        command: `cd / && exec env -u HOME -u USER -u LOGNAME -u TERM sh ${dir}/_script.sh`,
        timeoutSeconds: inv.executionTimeout,
        onOutput: (chunk, stream) => {
          if (stream === 'stdout' && inv.stdout.length < STDOUT_LIMIT) inv.stdout = (inv.stdout + chunk).slice(0, STDOUT_LIMIT);
          if (stream === 'stderr' && inv.stderr.length < STDERR_LIMIT) inv.stderr = (inv.stderr + chunk).slice(0, STDERR_LIMIT);
        },
      },
      ctx,
    );
    if (result.timedOut) end('TimedOut', 'ExecutionTimedOut', -1);
    else if (result.exitCode === 0) end('Success', 'Success', 0);
    else end('Failed', 'Failed', result.exitCode ?? -1);
  } catch (error) {
    if (inv.cancel.signal.aborted || (isPrismError(error) && error.code === 'CANCELLED')) end('Cancelled', 'Cancelled', -1);
    else {
      inv.stderr = `${inv.stderr}prism-ami instance twin: ${String(error)}`.slice(0, STDERR_LIMIT);
      end('Failed', 'Failed', -1);
    }
  }
}

/** The GetCommandInvocation answer, with the fields SSM sends. */
export function invocationAnswer(inv: Invocation): Record<string, unknown> {
  const iso = (d?: Date) => (d ? d.toISOString() : '');
  const elapsed = inv.started ? `PT${(((inv.ended ?? new Date()).getTime() - inv.started.getTime()) / 1000).toFixed(3)}S` : '';
  const finished = !['Pending', 'InProgress'].includes(inv.status);
  return {
    CommandId: inv.commandId,
    InstanceId: inv.instanceId,
    Comment: inv.comment,
    DocumentName: 'AWS-RunShellScript',
    DocumentVersion: '1',
    PluginName: 'aws:runShellScript',
    ResponseCode: inv.responseCode,
    ExecutionStartDateTime: iso(inv.started),
    ExecutionElapsedTime: elapsed,
    ExecutionEndDateTime: iso(inv.ended),
    Status: inv.status,
    StatusDetails: inv.statusDetails,
    // The agent sends the output when the command ends.
    StandardOutputContent: finished ? inv.stdout : '',
    StandardOutputUrl: '',
    StandardErrorContent: finished ? inv.stderr : '',
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
}
