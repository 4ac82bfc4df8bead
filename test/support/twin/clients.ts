import { EC2Client } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';

/** SDK clients pointed at the proxy, and Run Command as a test drives it (no prism-ami code). */
export function twinClients(endpoint: string, region = 'us-east-1') {
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const ec2 = new EC2Client({ region, endpoint, credentials });
  const ssm = new SSMClient({ region, endpoint, credentials });

  /** SendCommand with AWS-RunShellScript; the command ID, or the error SSM answered. */
  const send = async (instanceId: string, commands: string[], executionTimeout = 60): Promise<string> => {
    const sent = await ssm.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: 'AWS-RunShellScript',
        Parameters: { commands, executionTimeout: [String(executionTimeout)] },
      }),
    );
    return sent.Command!.CommandId!;
  };

  /** Polls GetCommandInvocation until the command has ended. */
  const result = async (instanceId: string, commandId: string, timeoutMs = 120_000): Promise<GetCommandInvocationCommandOutput> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      if (!['Pending', 'InProgress', 'Delayed'].includes(got.Status ?? '')) return got;
      if (Date.now() > deadline) throw new Error(`command ${commandId} still ${got.Status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const run = async (instanceId: string, commands: string[], executionTimeout = 60) =>
    result(instanceId, await send(instanceId, commands, executionTimeout));

  /** Waits until SendCommand stops answering InvalidInstanceId (the agent is up); how many refusals there were. */
  const agentOnline = async (instanceId: string, timeoutMs = 180_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    let refused = 0;
    for (;;) {
      try {
        await send(instanceId, ['true']);
        return refused;
      } catch (error) {
        if ((error as Error).name !== 'InvalidInstanceId' || Date.now() > deadline) throw error;
        refused++;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  };

  return { ec2, ssm, send, result, run, agentOnline, destroy: () => (ec2.destroy(), ssm.destroy()) };
}
