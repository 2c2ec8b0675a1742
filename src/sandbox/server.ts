/**
 * The sandbox HTTP server: a local endpoint on 127.0.0.1 that speaks the AWS JSON 1.1
 * protocol for ECS, ECR and CloudWatch Logs, and AWS JSON 1.0 for CloudWatch metrics, so the AWS SDK clients and the aws CLI work
 * against it through their endpoint override. Signatures are not checked.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SandboxClock } from './clock.ts';
import { SandboxState } from './state.ts';
import { FaultInjector } from './faults.ts';
import type { SandboxServiceName } from './faults.ts';
import { AwsError, encodeToken } from './protocol.ts';
import type { JsonObject } from './protocol.ts';
import { tick as schedulerTick } from './scheduler.ts';
import { ecsOperations } from './ecs.ts';
import type { Operation } from './ecs.ts';
import { ecrOperations } from './ecr.ts';
import { logsOperations } from './logs.ts';
import { cloudwatchOperations, QUERY_ERROR_CODES } from './cloudwatch.ts';
import { buildDemoScenario } from './scenario-demo.ts';
import { SandboxSqs, SqsError } from './sqs.ts';
import { EVENTS_DLQ, EVENTS_QUEUE, taskStateChangeEvent } from './ecs-events.ts';

export { SandboxClock } from './clock.ts';
export type { SandboxClockOptions } from './clock.ts';
export type { FaultSpec } from './faults.ts';
export type { FailureMode, LogStyle } from './model.ts';
export { EVENTS_QUEUE, EVENTS_DLQ } from './ecs-events.ts';

/** Options for startSandbox. */
export interface SandboxOptions {
  /** TCP port; 0 or absent picks a free one. */
  port?: number;
  /** Always 127.0.0.1: the sandbox is never reachable from other machines. */
  host?: '127.0.0.1';
  /** Real-time multiplier for a clock the sandbox creates (ignored when `clock` is given). */
  speed?: number;
  /** `demo` builds the demo cluster, repositories and logs; `empty` (default) starts with nothing. */
  scenario?: 'demo' | 'empty';
  /** A clock to run on, e.g. `new SandboxClock({ manual: true })` in tests. */
  clock?: SandboxClock;
  /** Region in ARNs and awslogs options (default us-east-1). */
  region?: string;
  /** Account id in ARNs (default 123456789012). */
  accountId?: string;
  /** Seed for ids, timings and log lines (same seed, same sandbox). */
  seed?: number;
  /** Real milliseconds between scheduler passes on a real-time clock (default 250). */
  tickIntervalMs?: number;
  /**
   * The queue `dockhand-ecs-events` every task state change goes to (with its dead-letter queue
   * `dockhand-ecs-events-dlq`): its visibility timeout in seconds (default 30) and how many receives
   * a message gets before it moves to the dead-letter queue (default 5); `false` publishes no events.
   */
  events?: false | { visibilityTimeout?: number; maxReceiveCount?: number };
  /** This sandbox's world id (default: a new random one), sent in every answer's `x-dockhand-sandbox` header. */
  world?: string;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL for SDK `endpoint` / aws CLI `--endpoint-url`, e.g. http://127.0.0.1:4566. */
  endpoint: string;
  /**
   * The id of this sandbox's world: every start is a new world (its task ids repeat from run to run,
   * since they are seeded), so dockhand keeps the watcher's rows of each world apart.
   */
  world: string;
  /** The port it listens on. */
  port: number;
  /** The in-memory model, with builders for clusters, services, repositories and log events. */
  state: SandboxState;
  /** The sandbox clock. */
  clock: SandboxClock;
  /** Per-operation fault injection (nothing injected unless set). */
  faults: FaultInjector;
  /** The sandbox's SQS, holding `dockhand-ecs-events` unless events are off. */
  sqs: SandboxSqs;
  /** The URL of `dockhand-ecs-events` at this sandbox (undefined when events are off). */
  eventsQueueUrl: string | undefined;
  /** Runs one scheduler pass at the clock's current time. */
  tick(): void;
  /** Moves the clock forward by `ms`, running the scheduler at least every sandbox second. */
  advance(ms: number): void;
  /** Stops the server and the scheduler timer. */
  stop(): Promise<void>;
}

interface Api {
  service: SandboxServiceName;
  operations: Record<string, Operation>;
  /** The AWS JSON version the service speaks: 1.1 (ECS, ECR, Logs) or 1.0 (CloudWatch). */
  json: '1.0' | '1.1';
  /** Query-compatible services also name each error by its old query-protocol code in `x-amzn-query-error`. */
  queryCompatible?: boolean;
}

const PREFIXES: Record<string, Api> = {
  AmazonEC2ContainerServiceV20141113: { service: 'ecs', operations: ecsOperations, json: '1.1' },
  AmazonEC2ContainerRegistry_V20150921: { service: 'ecr', operations: ecrOperations, json: '1.1' },
  Logs_20140328: { service: 'logs', operations: logsOperations, json: '1.1' },
  // @aws-sdk/client-cloudwatch 3.1164 speaks AWS JSON 1.0 with awsQueryCompatible (see DESIGN.md).
  GraniteServiceVersion20100801: { service: 'cloudwatch', operations: cloudwatchOperations, json: '1.0', queryCompatible: true },
};
/** SQS speaks AWS JSON 1.0 with query-compatible errors (Developer Guide, "Interpreting Amazon SQS JSON API responses"). */
const SQS_API: Api = { service: 'sqs', operations: {}, json: '1.0', queryCompatible: true };
const SQS_PREFIX = 'AmazonSQS';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const ADVANCE_STEP_MS = 1_000;
const CATCH_UP_BUDGET_MS = 50;

/** Starts a sandbox listening on 127.0.0.1. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const clock = opts.clock ?? new SandboxClock({ speed: opts.speed ?? 1 });
  const state = new SandboxState({ clock, region: opts.region, accountId: opts.accountId, seed: opts.seed });
  const world = opts.world ?? randomUUID();
  const faults = new FaultInjector(state.accountId);
  const sqs = new SandboxSqs({ region: state.region, accountId: state.accountId });
  if (opts.events !== false) {
    // What an EventBridge rule for source aws.ecs, detail-type "ECS Task State Change", with this
    // queue as its target (and the DLQ as the queue's redrive target) delivers.
    sqs.createQueue(EVENTS_DLQ, { MessageRetentionPeriod: String(14 * 86_400) });
    sqs.createQueue(EVENTS_QUEUE, {
      // An hour, not SQS's default 4 days: a sandbox nobody consumes events from stays small.
      MessageRetentionPeriod: '3600',
      VisibilityTimeout: String(opts.events?.visibilityTimeout ?? 30),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${state.region}:${state.accountId}:${EVENTS_DLQ}`, maxReceiveCount: opts.events?.maxReceiveCount ?? 5 }),
    });
    state.onTaskChange = (task, at) => sqs.publish(EVENTS_QUEUE, JSON.stringify(taskStateChangeEvent(state, task, at)));
  }
  if (opts.scenario === 'demo') buildDemoScenario(state);

  let lastTick = clock.now();
  const tick = (): void => {
    lastTick = clock.now();
    schedulerTick(state, lastTick);
  };
  // On a fast real-time clock one timer period spans many sandbox seconds; stepping through
  // them (up to a bound, so a huge speed cannot stall the server) keeps restarts and rollouts
  // as frequent as the sandbox clock says.
  const realTimeTick = (): void => {
    const target = clock.now();
    const budget = Date.now() + CATCH_UP_BUDGET_MS;
    for (let t = lastTick + ADVANCE_STEP_MS; t < target && Date.now() < budget; t += ADVANCE_STEP_MS) {
      schedulerTick(state, t);
    }
    lastTick = target;
    schedulerTick(state, target);
  };
  const advance = (ms: number): void => {
    let left = ms;
    while (left > 0) {
      const step = Math.min(ADVANCE_STEP_MS, left);
      clock.advance(step);
      left -= step;
      tick();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res, state, faults, sqs, world).catch((err: unknown) => {
      sendError(res, new AwsError('InternalFailure', err instanceof Error ? err.message : String(err), 500));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;

  let timer: NodeJS.Timeout | undefined;
  if (!clock.manual) {
    timer = setInterval(realTimeTick, opts.tickIntervalMs ?? 250);
    timer.unref();
  }

  return {
    endpoint,
    world,
    port,
    state,
    clock,
    faults,
    sqs,
    eventsQueueUrl: opts.events === false ? undefined : `${endpoint}/${state.accountId}/${EVENTS_QUEUE}`,
    tick,
    advance,
    stop: async () => {
      if (timer) clearInterval(timer);
      sqs.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new AwsError('SerializationException', 'Request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The response header by which dockhand (and anyone) can tell this sandbox from real AWS. */
export const SANDBOX_HEADER = 'x-dockhand-sandbox';

async function handle(req: IncomingMessage, res: ServerResponse, state: SandboxState, faults: FaultInjector, sqs: SandboxSqs, world: string): Promise<void> {
  // Every answer says it comes from the sandbox, so a dockhand pointed here by AWS_ENDPOINT_URL says "sandbox data",
  // and names its world, so that dockhand keeps this world's crash history apart from another run's.
  res.setHeader(SANDBOX_HEADER, world);
  if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', sandbox: 'dockhand' }));
    return;
  }
  let raw: string;
  try {
    raw = await readBody(req);
  } catch (err) {
    return sendError(res, err instanceof AwsError ? err : new AwsError('SerializationException', 'Could not read the request body'));
  }
  if (req.method !== 'POST') {
    return sendError(res, new AwsError('UnknownOperationException', `The sandbox answers POST / with an X-Amz-Target header, not ${req.method ?? '?'}`, 404));
  }
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string' || target === '') {
    return sendError(res, new AwsError('UnknownOperationException', 'Missing X-Amz-Target header'));
  }
  const dot = target.indexOf('.');
  const isSqs = target.slice(0, dot) === SQS_PREFIX;
  const api = isSqs ? SQS_API : PREFIXES[target.slice(0, dot)];
  const opName = target.slice(dot + 1);
  const op = dot > 0 && api && Object.hasOwn(api.operations, opName) ? api.operations[opName] : undefined;
  if (!api || (!op && !(isSqs && sqs.has(opName)))) return sendError(res, new AwsError('UnknownOperationException', `Unknown operation ${target}`), api);
  // AWS routes on the content type too: a JSON 1.0 service refuses a 1.1 body and the other way round.
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (contentType !== `application/x-amz-json-${api.json}`) {
    return sendError(res, new AwsError('UnknownOperationException', `${target} takes Content-Type application/x-amz-json-${api.json}, not ${contentType || 'none'}`), api);
  }

  let body: JsonObject;
  try {
    const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as JsonObject;
  } catch {
    return sendError(res, new AwsError('SerializationException', 'Start of structure or map found where not expected.'), api);
  }

  const fault = faults.decide(api.service, opName);
  if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
  if (fault.error) return sendError(res, fault.error, api);

  let out: JsonObject;
  try {
    if (isSqs) {
      // A long poll ends early when its caller hangs up, as the SDK does when it is destroyed.
      const aborted = new AbortController();
      res.once('close', () => aborted.abort());
      out = await sqs.handle(opName, body, `http://${req.headers.host ?? '127.0.0.1'}`, aborted.signal);
      if (res.destroyed) return;
    } else {
      out = (op as Operation)(state, body);
    }
  } catch (err) {
    if (err instanceof AwsError) return sendError(res, err, api);
    throw err;
  }
  if (fault.emptyPage) out = emptyFilterPage(out, body);
  const payload = JSON.stringify(out);
  res.writeHead(200, {
    'content-type': `application/x-amz-json-${api.json}`,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(payload);
}

/** An empty FilterLogEvents page that resumes where the caller's token pointed (or at the start). */
function emptyFilterPage(out: JsonObject, body: JsonObject): JsonObject {
  const searched = Array.isArray(out['searchedLogStreams']) ? out['searchedLogStreams'] : [];
  const token = typeof body['nextToken'] === 'string' ? body['nextToken'] : encodeToken({ t: -1, i: -1 });
  return {
    events: [],
    searchedLogStreams: searched.map((s) => (typeof s === 'object' && s !== null && !Array.isArray(s) ? { ...s, searchedCompletely: false } : s)),
    nextToken: token,
  };
}

function sendError(res: ServerResponse, err: AwsError, api?: Api): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify({ __type: err.type, message: err.message });
  const headers: Record<string, string | number> = {
    'content-type': `application/x-amz-json-${api?.json ?? '1.1'}`,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': err.type,
  };
  let status = err.status;
  if (api?.queryCompatible) {
    const code = err instanceof SqsError ? err.queryCode : (QUERY_ERROR_CODES[err.type] ?? `${err.type};${err.status >= 500 ? 'Receiver' : 'Sender'}`);
    headers['x-amzn-query-error'] = code;
    // CloudWatch answers AccessDenied with 403, as its query protocol always did.
    if (code.startsWith('AccessDenied;')) status = 403;
  }
  res.writeHead(status, headers);
  res.end(payload);
}
