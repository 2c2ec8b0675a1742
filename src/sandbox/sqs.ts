/**
 * Amazon SQS as the sandbox serves it: standard queues over the AWS JSON 1.0 protocol the SDK v3
 * client and the aws CLI speak (`X-Amz-Target: AmazonSQS.<Operation>`), with long polling,
 * visibility timeouts, receive counts and redrive to a dead-letter queue. It refuses what SQS
 * refuses; each rule names the page of the Amazon SQS API Reference (or Developer Guide) it
 * follows. Queue times run on real time, not the sandbox clock: visibility and long polls are
 * promises between a client and the queue, and a faster sandbox clock must not shorten them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from './protocol.ts';
import type { Json, JsonObject } from './protocol.ts';

/**
 * An SQS error: the modelled name goes in `__type` as `com.amazonaws.sqs#Name`, the old query
 * code in `x-amzn-query-error` (Developer Guide, "Interpreting Amazon SQS JSON API responses").
 */
export class SqsError extends AwsError {
  /** The query-protocol code and fault, e.g. `AWS.SimpleQueueService.NonExistentQueue;Sender`. */
  readonly queryCode: string;

  constructor(name: string, queryCode: string, message: string, status = 400) {
    super(`com.amazonaws.sqs#${name}`, message, status);
    this.queryCode = `${queryCode};Sender`;
  }
}

/**
 * Real SQS operations the sandbox refuses rather than imitates: dockhand's consumer calls only
 * ReceiveMessage, DeleteMessageBatch and GetQueueAttributes (src/aws/event-queue.ts), and the sandbox's
 * own publisher sends one message at a time. A refusal that names the operation beats a half-faithful
 * copy a test could come to trust (the SQS API Reference lists these among its actions).
 */
const UNSUPPORTED = new Set([
  'SendMessageBatch',
  'AddPermission',
  'RemovePermission',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'ListDeadLetterSourceQueues',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
]);

/** SQS's own error for an action a queue cannot take (API Reference, Common Errors: UnsupportedOperation). */
const unsupported = (message: string): SqsError => new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', message);

const noQueue = (): SqsError => new SqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
const invalidValue = (message: string): SqsError => new SqsError('InvalidParameterValue', 'InvalidParameterValue', message);
const missing = (name: string): SqsError => new SqsError('MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`);
// ReceiptHandleIsInvalid is modelled with HTTP 404 in the SQS service model (@aws-sdk/client-sqs 3.1164).
const badReceipt = (handle: string): SqsError => new SqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle.slice(0, 40)}" is not a valid receipt handle.`, 404);

/** Bounds of the queue attributes dockhand and its tests set (API Reference, CreateQueue / SetQueueAttributes). */
const ATTRIBUTE_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1_024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
};
const DEFAULTS: Readonly<Record<string, number>> = {
  DelaySeconds: 0,
  MaximumMessageSize: 262_144,
  MessageRetentionPeriod: 345_600,
  ReceiveMessageWaitTimeSeconds: 0,
  VisibilityTimeout: 30,
};
/** Every attribute GetQueueAttributes knows of (API Reference, GetQueueAttributes, AttributeNames). */
const READABLE = new Set([
  'All',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'DelaySeconds',
  'LastModifiedTimestamp',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
/** The message system attributes ReceiveMessage returns on request (API Reference, ReceiveMessage). */
const MESSAGE_ATTRIBUTES = ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp', 'SenderId'] as const;

interface Message {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  /** When it may be received (again): after DelaySeconds, or when its visibility timeout ends. */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The handle of its latest receive; only that one deletes it or changes its visibility. */
  receipt?: string;
}

interface Queue {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  createdAt: number;
  messages: Map<string, Message>;
  /** Long polls waiting on this queue; called when a message may have become available. */
  waiters: Set<() => void>;
}

/** Options for a sandbox SQS. */
export interface SandboxSqsOptions {
  /** Region in queue ARNs and URLs. */
  region: string;
  /** Account id in queue ARNs and URLs. */
  accountId: string;
  /** Real time, ms; tests may step it. */
  now?: () => number;
}

/** A parsed redrive policy. */
interface Redrive {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

function str(body: JsonObject, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsError('SerializationException', `${key} must be a string`);
  return v;
}

function int(body: JsonObject, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new AwsError('SerializationException', `${key} must be an integer`);
  return v;
}

function strList(body: JsonObject, key: string): string[] {
  const v = body[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new AwsError('SerializationException', `${key} must be a list of strings`);
  return v as string[];
}

function batchEntries(body: JsonObject, action: string): JsonObject[] {
  const v = body['Entries'];
  if (v !== undefined && v !== null && !Array.isArray(v)) throw new AwsError('SerializationException', 'Entries must be a list');
  const entries = (v ?? []).filter((e): e is JsonObject => typeof e === 'object' && e !== null && !Array.isArray(e));
  // A batch holds 1 to 10 entries with distinct ids of up to 80 letters, digits, hyphens and
  // underscores (API Reference, DeleteMessageBatch; Developer Guide, "Amazon SQS message quotas").
  if (entries.length === 0) throw new SqsError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', `There should be at least one ${action}RequestEntry in the request.`);
  if (entries.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const seen = new Set<string>();
  for (const e of entries) {
    const id = str(e, 'Id') ?? '';
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new SqsError('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries;
}

/** The sandbox's SQS: queues in memory, answered through {@link SandboxSqs.handle}. */
export class SandboxSqs {
  private readonly queues = new Map<string, Queue>();
  private readonly region: string;
  private readonly accountId: string;
  private readonly now: () => number;
  private closed = false;

  constructor(opts: SandboxSqsOptions) {
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.now = opts.now ?? Date.now;
  }

  /** True for an operation of SQS's API: one this sandbox serves, or one it refuses as unsupported. */
  has(operation: string): boolean {
    return Object.hasOwn(this.ops, operation) || UNSUPPORTED.has(operation);
  }

  /** Answers one operation; `base` is the URL the caller reached the sandbox at (queue URLs start with it). */
  async handle(operation: string, body: JsonObject, base: string, signal?: AbortSignal): Promise<JsonObject> {
    if (UNSUPPORTED.has(operation)) throw unsupported(`The sandbox does not serve ${operation}: dockhand never calls it (it receives from its events queue and deletes what it handled).`);
    const op = this.ops[operation];
    if (!op) throw new AwsError('UnknownOperationException', `Unknown operation AmazonSQS.${operation}`);
    return op(body, base, signal);
  }

  /** Creates a queue (or returns the existing one when its attributes match), as CreateQueue does. */
  createQueue(name: string, attributes: Record<string, string> = {}): string {
    // Names are 1–80 letters, digits, hyphens and underscores (API Reference, CreateQueue, QueueName).
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      if (name.endsWith('.fifo')) throw unsupported('The sandbox serves standard queues only, not FIFO queues.');
      throw invalidValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const attrs = this.checkAttributes(attributes);
    const existing = this.queues.get(name);
    if (existing) {
      // CreateQueue is idempotent only for the same attributes (API Reference, CreateQueue).
      const differs = Object.entries(attrs).some(([k, v]) => (existing.attributes[k] ?? String(DEFAULTS[k] ?? '')) !== v);
      if (differs) throw new SqsError('QueueNameExists', 'QueueAlreadyExists', `A queue already exists with the same name and a different value for attribute(s) ${Object.keys(attrs).join(', ')}`);
      return name;
    }
    const at = this.now();
    this.queues.set(name, { name, arn: `arn:aws:sqs:${this.region}:${this.accountId}:${name}`, attributes: attrs, createdAt: at, messages: new Map(), waiters: new Set() });
    return name;
  }

  /** Sends a message from inside the sandbox (how its EventBridge rule delivers events). */
  publish(queueName: string, body: string): void {
    const q = this.queues.get(queueName);
    if (!q) throw noQueue();
    this.enqueue(q, body, 0);
  }

  /** How many messages a queue holds (visible, in flight and delayed), for tests and the sandbox's own checks. */
  depth(queueName: string): number {
    const q = this.queues.get(queueName);
    if (!q) return 0;
    this.expire(q);
    return q.messages.size;
  }

  /** Ends every long poll at once (the server is stopping). */
  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) for (const w of [...q.waiters]) w();
  }

  /** The URL of a queue as seen from `base`: `<base>/<account>/<name>`, the shape SQS gives. */
  private url(base: string, q: Queue): string {
    return `${base}/${this.accountId}/${q.name}`;
  }

  private queueFromUrl(body: JsonObject): Queue {
    const url = str(body, 'QueueUrl');
    if (url === undefined || url === '') throw missing('QueueUrl');
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      // A QueueUrl that is not a URL at all is an InvalidAddress (modelled with HTTP 404).
      throw new SqsError('InvalidAddress', 'InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404);
    }
    const [, account, name, extra] = path.split('/');
    const q = account === this.accountId && extra === undefined && name ? this.queues.get(name) : undefined;
    if (!q) throw noQueue();
    return q;
  }

  private checkAttributes(raw: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') throw new AwsError('SerializationException', `Attributes.${k} must be a string`);
      const bounds = ATTRIBUTE_BOUNDS[k];
      if (bounds) {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < bounds[0] || n > bounds[1]) throw new SqsError('InvalidAttributeValue', 'InvalidAttributeValue', `Invalid value for the parameter ${k}.`);
        out[k] = String(n);
      } else if (k === 'RedrivePolicy') {
        this.parseRedrive(v);
        out[k] = v;
      } else if (k === 'Policy') {
        try {
          JSON.parse(v);
        } catch {
          throw new SqsError('InvalidAttributeValue', 'InvalidAttributeValue', 'Invalid value for the parameter Policy.');
        }
        out[k] = v;
      } else if (k === 'FifoQueue') {
        throw unsupported('The sandbox serves standard queues only, not FIFO queues.');
      } else if (k === 'SqsManagedSseEnabled') {
        out[k] = v;
      } else {
        throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${k}.`);
      }
    }
    return out;
  }

  /** A RedrivePolicy names an existing dead-letter queue and a maxReceiveCount of 1–1,000 (Developer Guide, "Using dead-letter queues"). */
  private parseRedrive(v: string): Redrive {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw invalidValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.`);
    }
    const p = parsed as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    const count = typeof p.maxReceiveCount === 'string' ? Number(p.maxReceiveCount) : p.maxReceiveCount;
    if (typeof p.deadLetterTargetArn !== 'string' || typeof count !== 'number' || !Number.isInteger(count)) {
      throw invalidValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: ${typeof p.deadLetterTargetArn !== 'string' ? 'deadLetterTargetArn' : 'maxReceiveCount'}.`);
    }
    if (count < 1 || count > 1_000) throw invalidValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${count}, valid values are from 1 to 1000 both inclusive.`);
    const target = [...this.queues.values()].find((q) => q.arn === p.deadLetterTargetArn);
    if (!target) throw invalidValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
    return { deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: count };
  }

  private attr(q: Queue, name: string): number {
    return Number(q.attributes[name] ?? DEFAULTS[name] ?? 0);
  }

  private enqueue(q: Queue, body: string, delaySeconds: number, keep?: Pick<Message, 'id' | 'sentAt' | 'receiveCount' | 'firstReceiveAt'>): Message {
    const at = this.now();
    const m: Message = { id: keep?.id ?? randomUUID(), body, md5: md5(body), sentAt: keep?.sentAt ?? at, visibleAt: at + delaySeconds * 1000, receiveCount: keep?.receiveCount ?? 0, ...(keep?.firstReceiveAt !== undefined ? { firstReceiveAt: keep.firstReceiveAt } : {}) };
    q.messages.set(m.id, m);
    this.wake(q);
    return m;
  }

  private wake(q: Queue): void {
    for (const w of [...q.waiters]) w();
  }

  /** Drops messages older than the queue's retention period (API Reference, MessageRetentionPeriod). */
  private expire(q: Queue): void {
    const oldest = this.now() - this.attr(q, 'MessageRetentionPeriod') * 1000;
    for (const m of q.messages.values()) if (m.sentAt < oldest) q.messages.delete(m.id);
  }

  /**
   * Takes up to `max` visible messages, moving each that was already received maxReceiveCount
   * times to the dead-letter queue instead (Developer Guide, "Using dead-letter queues":
   * when the ReceiveCount exceeds maxReceiveCount, SQS moves the message).
   */
  private take(q: Queue, max: number, visibilitySeconds: number): Message[] {
    this.expire(q);
    const at = this.now();
    const redrive = q.attributes['RedrivePolicy'] ? this.parseRedriveLoose(q.attributes['RedrivePolicy']) : undefined;
    const out: Message[] = [];
    for (const m of q.messages.values()) {
      if (out.length === max) break;
      if (m.visibleAt > at) continue;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        const dlq = [...this.queues.values()].find((d) => d.arn === redrive.deadLetterTargetArn);
        if (dlq) {
          q.messages.delete(m.id);
          this.enqueue(dlq, m.body, 0, m);
          continue;
        }
      }
      m.receiveCount++;
      m.firstReceiveAt ??= at;
      m.visibleAt = at + visibilitySeconds * 1000;
      m.receipt = Buffer.from(JSON.stringify({ q: q.name, m: m.id, n: randomBytes(8).toString('hex') })).toString('base64url');
      out.push(m);
    }
    return out;
  }

  private parseRedriveLoose(v: string): Redrive | undefined {
    try {
      return this.parseRedrive(v);
    } catch {
      return undefined;
    }
  }

  /** The earliest moment a message of the queue becomes visible, for a long poll's timer. */
  private nextVisible(q: Queue): number | undefined {
    let next: number | undefined;
    for (const m of q.messages.values()) if (next === undefined || m.visibleAt < next) next = m.visibleAt;
    return next;
  }

  /** Decodes a receipt handle this sandbox issued for `q`; anything else is ReceiptHandleIsInvalid. */
  private receiptOf(q: Queue, handle: string | undefined): { messageId: string; handle: string } {
    if (handle === undefined || handle === '') throw missing('ReceiptHandle');
    try {
      const parsed = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8')) as { q?: unknown; m?: unknown };
      if (parsed.q === q.name && typeof parsed.m === 'string') return { messageId: parsed.m, handle };
    } catch {
      // falls through to the error below
    }
    throw badReceipt(handle);
  }

  private async receive(body: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    const q = this.queueFromUrl(body);
    const max = int(body, 'MaxNumberOfMessages') ?? 1;
    // 1 to 10 messages a call (API Reference, ReceiveMessage, MaxNumberOfMessages).
    if (max < 1 || max > 10) throw invalidValue(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const wait = int(body, 'WaitTimeSeconds') ?? this.attr(q, 'ReceiveMessageWaitTimeSeconds');
    // Long polls wait at most 20 seconds (API Reference, ReceiveMessage, WaitTimeSeconds).
    if (wait < 0 || wait > 20) throw invalidValue(`Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    const visibility = int(body, 'VisibilityTimeout') ?? this.attr(q, 'VisibilityTimeout');
    // Visibility timeouts run from 0 to 12 hours (API Reference, ReceiveMessage, VisibilityTimeout).
    if (visibility < 0 || visibility > 43_200) throw invalidValue(`Value ${visibility} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`);
    const names = new Set([...strList(body, 'AttributeNames'), ...strList(body, 'MessageSystemAttributeNames')]);
    const deadline = this.now() + wait * 1000;
    let got = this.take(q, max, visibility);
    while (got.length === 0 && !this.closed && !signal?.aborted && this.now() < deadline) {
      await new Promise<void>((resolve) => {
        const next = this.nextVisible(q);
        const until = Math.min(deadline, next !== undefined && next > this.now() ? next : deadline);
        const done = (): void => {
          clearTimeout(timer);
          q.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(1, until - this.now()));
        q.waiters.add(done);
        signal?.addEventListener('abort', done);
      });
      got = this.take(q, max, visibility);
    }
    if (got.length === 0) return {};
    return {
      Messages: got.map((m) => {
        const attrs: Record<string, Json> = {};
        const all = names.has('All');
        const values: Record<(typeof MESSAGE_ATTRIBUTES)[number], string> = {
          ApproximateReceiveCount: String(m.receiveCount),
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
          SentTimestamp: String(m.sentAt),
          SenderId: this.accountId,
        };
        for (const k of MESSAGE_ATTRIBUTES) if (all || names.has(k)) attrs[k] = values[k];
        return { MessageId: m.id, ReceiptHandle: m.receipt ?? '', MD5OfBody: m.md5, Body: m.body, ...(Object.keys(attrs).length > 0 ? { Attributes: attrs } : {}) };
      }),
    };
  }

  /**
   * Deletes by receipt handle. A handle of an earlier receive, or of a message already deleted,
   * succeeds without deleting anything (API Reference, DeleteMessage: only the most recent
   * receipt handle deletes a message received more than once).
   */
  private deleteOne(q: Queue, handle: string | undefined): void {
    const r = this.receiptOf(q, handle);
    const m = q.messages.get(r.messageId);
    if (m && m.receipt === r.handle) q.messages.delete(m.id);
  }

  private changeVisibility(q: Queue, handle: string | undefined, seconds: number | undefined): void {
    const r = this.receiptOf(q, handle);
    if (seconds === undefined) throw missing('VisibilityTimeout');
    if (seconds < 0 || seconds > 43_200) throw invalidValue(`Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
    const m = q.messages.get(r.messageId);
    if (!m || m.receipt !== r.handle) {
      throw invalidValue(`Value ${r.handle.slice(0, 40)} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    }
    // Only a message in flight (received, not yet visible again) can change (API Reference, ChangeMessageVisibility).
    if (m.visibleAt <= this.now()) throw new SqsError('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'The message referred to is not in flight.');
    m.visibleAt = this.now() + seconds * 1000;
    this.wake(q);
  }

  /** Runs a batch entry by entry: an entry's SQS error lands in `Failed`, the others still run (API Reference, DeleteMessageBatch). */
  private batch(body: JsonObject, action: string, each: (q: Queue, entry: JsonObject) => void): JsonObject {
    const q = this.queueFromUrl(body);
    const Successful: Json[] = [];
    const Failed: Json[] = [];
    for (const e of batchEntries(body, action)) {
      const id = str(e, 'Id') ?? '';
      try {
        each(q, e);
        Successful.push({ Id: id });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: id, SenderFault: true, Code: err.type.replace(/^.*#/, ''), Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  private readonly ops: Record<string, (body: JsonObject, base: string, signal?: AbortSignal) => JsonObject | Promise<JsonObject>> = {
    CreateQueue: (body, base) => {
      const name = str(body, 'QueueName');
      if (name === undefined || name === '') throw missing('QueueName');
      const raw = body['Attributes'];
      if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw new AwsError('SerializationException', 'Attributes must be a map');
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries((raw ?? {}) as JsonObject)) {
        if (typeof v !== 'string') throw new AwsError('SerializationException', `Attributes.${k} must be a string`);
        attrs[k] = v;
      }
      this.createQueue(name, attrs);
      return { QueueUrl: this.url(base, this.queues.get(name) as Queue) };
    },
    GetQueueUrl: (body, base) => {
      const name = str(body, 'QueueName');
      if (name === undefined || name === '') throw missing('QueueName');
      const owner = str(body, 'QueueOwnerAWSAccountId');
      const q = owner === undefined || owner === this.accountId ? this.queues.get(name) : undefined;
      if (!q) throw noQueue();
      return { QueueUrl: this.url(base, q) };
    },
    ListQueues: (body, base) => {
      const prefix = str(body, 'QueueNamePrefix') ?? '';
      return { QueueUrls: [...this.queues.values()].filter((q) => q.name.startsWith(prefix)).map((q) => this.url(base, q)) };
    },
    GetQueueAttributes: (body) => {
      const q = this.queueFromUrl(body);
      const names = strList(body, 'AttributeNames');
      for (const n of names) if (!READABLE.has(n)) throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${n}.`);
      this.expire(q);
      const at = this.now();
      let visible = 0;
      let inFlight = 0;
      let delayed = 0;
      for (const m of q.messages.values()) {
        if (m.visibleAt <= at) visible++;
        else if (m.receiveCount > 0) inFlight++;
        else delayed++;
      }
      const all: Record<string, string> = {
        QueueArn: q.arn,
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
        ApproximateNumberOfMessagesDelayed: String(delayed),
        CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
        LastModifiedTimestamp: String(Math.floor(q.createdAt / 1000)),
        ...Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, String(this.attr(q, k))])),
        ...q.attributes,
      };
      const wanted = names.includes('All') ? Object.keys(all) : names;
      const out: Record<string, Json> = {};
      for (const n of wanted) if (all[n] !== undefined) out[n] = all[n];
      const result: JsonObject = Object.keys(out).length > 0 ? { Attributes: out } : {};
      return result;
    },
    SetQueueAttributes: (body) => {
      const q = this.queueFromUrl(body);
      const raw = (body['Attributes'] ?? {}) as Record<string, string>;
      Object.assign(q.attributes, this.checkAttributes(raw));
      return {};
    },
    PurgeQueue: (body) => {
      const q = this.queueFromUrl(body);
      q.messages.clear();
      return {};
    },
    DeleteQueue: (body) => {
      const q = this.queueFromUrl(body);
      this.queues.delete(q.name);
      this.wake(q);
      return {};
    },
    SendMessage: (body) => {
      const q = this.queueFromUrl(body);
      const text = str(body, 'MessageBody');
      if (text === undefined || text === '') throw missing('MessageBody');
      // EventBridge's SQS target and the sandbox's publisher send bodies only; attributes would need their
      // own MD5 (MD5OfMessageAttributes), which the SDK checks, so they are refused rather than dropped.
      for (const k of ['MessageAttributes', 'MessageSystemAttributes'] as const) {
        if (body[k] !== undefined) throw unsupported(`The sandbox does not store ${k}: dockhand's events carry everything in the message body.`);
      }
      const limit = this.attr(q, 'MaximumMessageSize');
      // A body is at most the queue's MaximumMessageSize (API Reference, SendMessage, MessageBody).
      if (Buffer.byteLength(text, 'utf8') > limit) throw invalidValue(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
      const delay = int(body, 'DelaySeconds') ?? this.attr(q, 'DelaySeconds');
      // Messages are delayed 0 to 15 minutes (API Reference, SendMessage, DelaySeconds).
      if (delay < 0 || delay > 900) throw invalidValue(`Value ${delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
      const m = this.enqueue(q, text, delay);
      return { MessageId: m.id, MD5OfMessageBody: m.md5 };
    },
    ReceiveMessage: (body, _base, signal) => this.receive(body, signal),
    DeleteMessage: (body) => {
      const q = this.queueFromUrl(body);
      this.deleteOne(q, str(body, 'ReceiptHandle'));
      return {};
    },
    DeleteMessageBatch: (body) => this.batch(body, 'DeleteMessageBatch', (q, e) => this.deleteOne(q, str(e, 'ReceiptHandle'))),
    ChangeMessageVisibility: (body) => {
      const q = this.queueFromUrl(body);
      this.changeVisibility(q, str(body, 'ReceiptHandle'), int(body, 'VisibilityTimeout'));
      return {};
    },
    ChangeMessageVisibilityBatch: (body) => this.batch(body, 'ChangeMessageVisibilityBatch', (q, e) => this.changeVisibility(q, str(e, 'ReceiptHandle'), int(e, 'VisibilityTimeout'))),
  };
}
