import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { motoCompat } from './moto-compat.js';

/**
 * A loopback HTTP proxy between the AWS SDK and moto_server that records every call and can
 * delay or fail chosen ones: throttling, a failure at a given step, a wait that hangs. It works
 * for real CLI processes (point AWS_ENDPOINT_URL at it) without any hook in prism-ami. It also
 * makes up for what moto does not do with the tags of new images (moto-compat.ts); calls are
 * recorded as prism-ami sent them.
 */
export interface FaultRule {
  /** API action, e.g. RunInstances, SendCommand, GetCallerIdentity (S3: "S3:PUT"). */
  action: string;
  region?: string;
  /** Let this many matching calls through first. */
  skip?: number;
  /** Apply to this many calls after the skipped ones (default: all). */
  times?: number;
  delayMs?: number;
  /** Forward the call at once but hold its answer this long: AWS did it, the client waits. */
  delayResponseMs?: number;
  error?: { status: number; code: string; message?: string };
  /**
   * Forward the call, then answer 200 with these fields over its JSON answer (a command that fails
   * on the instance, a parameter moto does not have).
   */
  patch?: Record<string, unknown>;
  /** Only calls this accepts match (e.g. by their params: the tags of one build). */
  when?: (call: Pick<RecordedCall, 'action' | 'service' | 'region' | 'params'>) => boolean;
}

export interface RecordedCall {
  action: string;
  region: string;
  service: string;
  status: number;
  faulted: boolean;
  /** Decoded form parameters of query-protocol calls (EC2, STS, IAM); JSON body otherwise. */
  params: Record<string, string> | Record<string, unknown>;
  at: number;
  /** When the response was complete (ms since epoch). */
  done?: number;
}

/** The tag pairs of an EC2 call's first tag specification (RunInstances: the instance's). */
export function requestTags(call: Pick<RecordedCall, 'params'>): Record<string, string> {
  const params = call.params as Record<string, string>;
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const m = /^TagSpecification\.1\.Tag\.(\d+)\.Key$/.exec(key);
    if (m) tags[value] = params[`TagSpecification.1.Tag.${m[1]}.Value`] ?? '';
  }
  return tags;
}

/** What a hook (the instance twin) sees of a call. */
export interface HookCall {
  action: string;
  service: string;
  region: string;
  params: Record<string, string> | Record<string, unknown>;
  /** json: X-Amz-Target calls (SSM); query: form calls (EC2, STS, IAM); rest: S3. */
  protocol: 'json' | 'query' | 'rest';
  /** The caller's Authorization header: a hook's own calls to moto go to the same account and region. */
  authorization: string;
}

export interface HookAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Something in front of moto that does more than fault calls (test/support/instance-twin.ts).
 * Fault rules come first; then the first hook whose `intercept` answers a call answers it
 * instead of moto; a call moto answers with 200 goes through every `after` before the client
 * gets it (so what the call started is in place when the client goes on).
 */
export interface ProxyHook {
  intercept?: (call: HookCall) => Promise<HookAnswer | undefined> | HookAnswer | undefined;
  /** May return another body for the answer. */
  after?: (call: HookCall, answer: string) => Promise<string | undefined | void>;
}

/** An AWS error answer in the call's protocol, as the service would send it. */
export function errorAnswer(call: Pick<HookCall, 'service' | 'protocol'>, status: number, code: string, message: string): HookAnswer {
  const { contentType, text } = errorText(call.protocol === 'json', call.service, code, message);
  return { status, contentType, body: text };
}

/** A hook that throws: a 500 the client reports, with the hook's message. */
function hookFailure(call: HookCall, error: unknown): HookAnswer {
  return errorAnswer(call, 500, 'InstanceTwinFailed', error instanceof Error ? error.message : String(error));
}

export class FaultProxy {
  calls: RecordedCall[] = [];
  private hooks: ProxyHook[] = [];
  private rules: (FaultRule & { seen: number; applied: number })[] = [];
  private commandOutput: ((commands: string) => string | undefined) | undefined;
  /** Output to answer GetCommandInvocation with, by CommandId (seedCommandOutput). */
  private readonly seededOutputs = new Map<string, string>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Adds a hook; the function returned removes it. */
  use(hook: ProxyHook): () => void {
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  setRules(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, seen: 0, applied: 0 }));
  }

  reset(): void {
    this.calls = [];
    this.rules = [];
  }

  /**
   * What the instance would print: moto's Run Command succeeds with empty output for every
   * command. For each SendCommand whose command lines (joined with newlines) `answer` knows, the
   * GetCommandInvocation calls of that command are answered with moto's answer plus this
   * StandardOutputContent. undefined stops seeding.
   */
  seedCommandOutput(answer: ((commands: string) => string | undefined) | undefined): void {
    this.commandOutput = answer;
    this.seededOutputs.clear();
  }

  count(action: string): number {
    return this.calls.filter((c) => c.action === action).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { action, service, region, params } = describe(req, body);
    const seeded = service === 'ssm' && action === 'GetCommandInvocation' ? this.seededOutputs.get(String(params.CommandId)) : undefined;
    const rule: (FaultRule & { seen: number; applied: number }) | undefined =
      this.rules.find(
        (r) =>
          r.action === action &&
          (!r.region || r.region === region) &&
          (!r.when || r.when({ action, service, region, params })) &&
          (r.times === undefined || r.applied < r.times) &&
          r.seen++ >= (r.skip ?? 0),
      ) ?? (seeded !== undefined ? { action, patch: { StandardOutputContent: seeded }, seen: 0, applied: 0 } : undefined);
    if (rule) rule.applied++;
    const seeding =
      service === 'ssm' && action === 'SendCommand' && this.commandOutput
        ? this.commandOutput(((params as { Parameters?: { commands?: string[] } }).Parameters?.commands ?? []).join('\n'))
        : undefined;
    const call: RecordedCall = { action, service, region, status: 0, faulted: Boolean(rule?.error), params, at: Date.now() };
    this.calls.push(call);
    if (rule?.delayMs) {
      const closed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
      await Promise.race([new Promise((r) => setTimeout(r, rule.delayMs)), closed]);
      if (req.socket.destroyed) return;
    }
    if (rule?.error) {
      call.status = rule.error.status;
      const { contentType, text } = errorBody(service, rule.error.code, rule.error.message ?? `injected ${rule.error.code}`, req);
      res.writeHead(rule.error.status, { 'content-type': contentType });
      res.end(text);
      return;
    }
    const hookCall: HookCall = {
      action,
      service,
      region,
      params,
      protocol: typeof req.headers['x-amz-target'] === 'string' ? 'json' : service === 's3' ? 'rest' : 'query',
      authorization: String(req.headers.authorization ?? ''),
    };
    for (const hook of this.hooks) {
      let own: HookAnswer | undefined;
      try {
        own = await hook.intercept?.(hookCall);
      } catch (error) {
        own = hookFailure(hookCall, error);
      }
      if (!own) continue;
      call.status = own.status;
      if (res.destroyed) return;
      res.writeHead(own.status, { 'content-type': own.contentType, 'content-length': String(Buffer.byteLength(own.body)) });
      res.end(own.body);
      call.done = Date.now();
      return;
    }
    const afterHooks = this.hooks.filter((h) => h.after);
    const target = new URL(this.target);
    const compat = motoCompat(service, action, body);
    const forward = compat?.body ?? body;
    const headers = compat ? { ...req.headers, 'content-length': String(forward.length) } : req.headers;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (response) => {
      call.status = response.statusCode ?? 0;
      const send = (buffered?: Buffer) => {
        if (res.destroyed) return;
        if (buffered) {
          res.writeHead(response.statusCode ?? 502, { ...response.headers, 'content-length': String(buffered.length) });
          res.end(buffered);
          call.done = Date.now();
          return;
        }
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
        response.on('end', () => (call.done = Date.now()));
      };
      const answer = (buffered?: Buffer) => {
        if (rule?.delayResponseMs) setTimeout(() => send(buffered), rule.delayResponseMs);
        else send(buffered);
      };
      if (rule?.patch) {
        // A failed call (moto's 400 for a missing parameter) is answered as if it had succeeded.
        void readAll(response).then((buffered) => {
          const upstreamBody = response.statusCode === 200 ? (JSON.parse(buffered.toString('utf8') || '{}') as object) : {};
          const text = JSON.stringify({ ...upstreamBody, ...rule.patch });
          if (res.destroyed) return;
          res.writeHead(200, { ...response.headers, 'content-length': String(Buffer.byteLength(text)) });
          res.end(text);
          call.done = Date.now();
        });
        return;
      }
      if (seeding !== undefined && response.statusCode === 200) {
        // Which command the seeded output belongs to is only known from moto's answer.
        void readAll(response).then((buffered) => {
          const id = (JSON.parse(buffered.toString('utf8')) as { Command?: { CommandId?: string } }).Command?.CommandId;
          if (id) this.seededOutputs.set(id, seeding);
          answer(buffered);
        });
        return;
      }
      if ((!compat && afterHooks.length === 0) || response.statusCode !== 200) {
        answer();
        return;
      }
      // Held until the tags moto left out are applied and the hooks have seen it: the client then
      // sees what EC2 would show, and what follows the call finds its effects.
      void readAll(response)
        .then(async (buffered) => {
          let text = buffered.toString('utf8');
          await compat?.after(this.target, hookCall.authorization, text);
          for (const hook of afterHooks) text = (await hook.after!(hookCall, text)) ?? text;
          answer(Buffer.from(text));
        })
        .catch((error: unknown) => {
          call.status = 500;
          if (res.destroyed) return;
          const { contentType, text } = errorBody(service, 'MotoCompatibilityFailed', String(error), req);
          res.writeHead(500, { 'content-type': contentType });
          res.end(text);
        });
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    upstream.end(forward);
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function describe(
  req: IncomingMessage,
  body: Buffer,
): { action: string; service: string; region: string; params: Record<string, string> | Record<string, unknown> } {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(auth);
  const region = scope?.[1] ?? 'us-east-1';
  const service = scope?.[2] ?? 'unknown';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    let params: Record<string, unknown> = {};
    try {
      params = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { action: target.split('.').pop()!, service, region, params };
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action');
  if (action) return { action, service, region, params: Object.fromEntries(form.entries()) };
  return { action: `${service.toUpperCase()}:${req.method}`, service, region, params: {} };
}

function errorBody(service: string, code: string, message: string, req: IncomingMessage): { contentType: string; text: string } {
  return errorText(typeof req.headers['x-amz-target'] === 'string', service, code, message);
}

function errorText(json: boolean, service: string, code: string, message: string): { contentType: string; text: string } {
  if (json) {
    return { contentType: 'application/x-amz-json-1.1', text: JSON.stringify({ __type: code, message }) };
  }
  if (service === 'ec2') {
    return {
      contentType: 'text/xml',
      text: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>injected</RequestID></Response>`,
    };
  }
  if (service === 's3') {
    return {
      contentType: 'application/xml',
      text: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>injected</RequestId></Error>`,
    };
  }
  return {
    contentType: 'text/xml',
    text: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>`,
  };
}
