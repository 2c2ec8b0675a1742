/**
 * Crash events from EventBridge through SQS (`watch.source: events`): the consumer long-polls the
 * queue (20 s waits, 10 messages a call) for "ECS Task State Change" events, hands the tasks that
 * stopped to the watcher's own decision path (the same crash rules and evidence as a poll), and
 * deletes a message only once its alert is in the outbox.
 *
 * Delivery is at least once and unordered, so events are deduplicated by task ARN and the event's
 * `detail.version` (ECS counts each task's changes in it; a repeat has the same version, an older
 * event a lower one): only news is handed on, and the watcher's "task handled" mark keeps a task
 * from being alerted twice across restarts and replicas. A message that cannot be handled is not
 * deleted: it comes back after the queue's visibility timeout and, after maxReceiveCount receives,
 * SQS redrive moves it to the dead-letter queue.
 *
 * Only one replica should consume: main.ts starts the consumer where the watcher runs (the leader,
 * once leadership exists).
 */
import type { Logger } from '../core/logger.ts';
import type { ClusterTarget, TaskInfo } from '../ports/container-service.ts';
import { shortName } from '../ports/container-service.ts';
import type { EventQueue, QueueMessage } from '../ports/event-queue.ts';

/** One ECS task state change, read from an EventBridge event. */
export interface TaskStateChange {
  /** The EventBridge event id. */
  eventId: string;
  /** `detail.version`: the task's change counter. */
  version: number;
  /** The region in the event (and in the cluster ARN). */
  region: string;
  /** The cluster's name. */
  cluster: string;
  /** The task as the event shows it, in the watcher's terms. */
  task: TaskInfo;
}

/** What a message body turned out to be. */
export type ParsedEvent =
  | { kind: 'task'; change: TaskStateChange }
  /** An event of another kind (the rule matches more than task changes): nothing to do. */
  | { kind: 'other'; what: string }
  /** Not an event dockhand can read: left for redrive to the dead-letter queue. */
  | { kind: 'invalid'; why: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An ISO-8601 timestamp of the event as epoch ms (events carry ISO strings where DescribeTasks has epoch seconds). */
function time(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Reads an EventBridge event body; the detail of a task state change becomes a TaskInfo. */
export function parseEvent(body: string): ParsedEvent {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { kind: 'invalid', why: 'the body is not JSON' };
  }
  if (!isObj(event) || typeof event['detail-type'] !== 'string' || typeof event['source'] !== 'string' || !isObj(event['detail'])) {
    return { kind: 'invalid', why: 'the body is not an EventBridge event (no source, detail-type and detail)' };
  }
  if (event['source'] !== 'aws.ecs' || event['detail-type'] !== 'ECS Task State Change') return { kind: 'other', what: `${event['source']} ${event['detail-type']}` };
  const d = event['detail'];
  const taskArn = text(d['taskArn']);
  const clusterArn = text(d['clusterArn']);
  const version = d['version'];
  if (!taskArn || !clusterArn || typeof version !== 'number' || !Number.isInteger(version)) {
    return { kind: 'invalid', why: 'the ECS Task State Change has no taskArn, clusterArn or integer version' };
  }
  const region = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):/.exec(clusterArn)?.[1] ?? text(event['region']) ?? '';
  const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  const containers = Array.isArray(d['containers']) ? d['containers'].filter(isObj) : [];
  const task: TaskInfo = {
    arn: taskArn,
    id: shortName(taskArn),
    clusterArn,
    taskDefinition: text(d['taskDefinitionArn']) ?? '',
    ...opt('group', text(d['group'])),
    ...opt('startedBy', text(d['startedBy'])),
    lastStatus: text(d['lastStatus']) ?? 'UNKNOWN',
    desiredStatus: text(d['desiredStatus']) ?? 'UNKNOWN',
    ...opt('stopCode', text(d['stopCode'])),
    ...opt('stoppedReason', text(d['stoppedReason'])),
    ...opt('createdAt', time(d['createdAt'])),
    ...opt('startedAt', time(d['startedAt'])),
    ...opt('stoppingAt', time(d['stoppingAt'])),
    ...opt('stoppedAt', time(d['stoppedAt'])),
    ...opt('launchType', text(d['launchType'])),
    containers: containers.map((c) => ({
      name: text(c['name']) ?? '',
      ...opt('image', text(c['image'])),
      ...opt('imageDigest', text(c['imageDigest'])),
      ...opt('lastStatus', text(c['lastStatus'])),
      ...opt('exitCode', typeof c['exitCode'] === 'number' ? c['exitCode'] : undefined),
      ...opt('reason', text(c['reason'])),
      ...opt('healthStatus', text(c['healthStatus'])),
    })),
  };
  return { kind: 'task', change: { eventId: text(event['id']) ?? '', version, region, cluster: shortName(clusterArn), task } };
}

/** Where stopped tasks go: the watcher's decision path (CrashWatcher.handleStopped). */
export interface StoppedTaskSink {
  /**
   * Decides stopped tasks of one cluster as a poll would and writes their alerts to the outbox;
   * `failed` is true when any of them could not be recorded (their messages stay in the queue).
   */
  handleStopped(target: ClusterTarget, tasks: readonly TaskInfo[]): Promise<{ failed: boolean; messages: number }>;
}

/** What the consumer needs. */
export interface EventConsumerDeps {
  /** The SQS queue the EventBridge rule feeds. */
  queue: EventQueue;
  /** The watcher. */
  sink: StoppedTaskSink;
  /** The watched clusters; events of other clusters are deleted unread. */
  clusters: readonly ClusterTarget[];
  /** Warnings (bad messages, failed calls) and info. */
  log: Logger;
  /** Long-poll wait, s (SQS allows 0–20; default 20). */
  waitSeconds?: number;
  /** Real-time pause after a failed receive, ms (default 5,000, doubling to a minute). */
  retryAfterMs?: number;
}

/** What one batch of messages came to. */
export interface BatchReport {
  /** Messages received. */
  received: number;
  /** Task state changes handed to the watcher (news only). */
  handedOn: number;
  /** Repeats and older versions of changes already handled. */
  duplicates: number;
  /** Events of other kinds or unwatched clusters. */
  ignored: number;
  /** Messages that could not be handled and stay in the queue. */
  failed: number;
  /** Messages deleted. */
  deleted: number;
  /** Alert messages written to the outbox. */
  messages: number;
}

/** How many task versions the consumer remembers; older entries are forgotten first (the handled mark still guards). */
const SEEN_LIMIT = 50_000;
/** SQS's limits: 20 s long polls, 10 messages a receive (API Reference, ReceiveMessage). */
const MAX_WAIT_SECONDS = 20;
const BATCH = 10;

/** Long-polls the events queue and alerts the crashes in it through the watcher. */
export class EventConsumer {
  private readonly d: EventConsumerDeps;
  /** Task ARN → the highest `detail.version` handled. */
  private readonly seen = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;

  constructor(deps: EventConsumerDeps) {
    this.d = deps;
  }

  /** Starts the long-poll loop (once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    this.d.log.info({ queue: this.d.queue.url }, 'watcher: consuming ECS task state change events');
  }

  /** Stops the loop: a long poll in flight is cut off, a batch being handled is finished first. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }

  /** Receives one batch (one long poll) and handles it; tests and the loop call this. */
  async receiveOnce(waitSeconds = this.d.waitSeconds ?? MAX_WAIT_SECONDS): Promise<BatchReport> {
    this.abort = new AbortController();
    const messages = await this.d.queue.receive({ waitSeconds: Math.min(MAX_WAIT_SECONDS, waitSeconds), max: BATCH, signal: this.abort.signal });
    return this.handle(messages);
  }

  /** Says what the queue holds, and warns when it has no dead-letter queue (a bad message would then come back until it expires). */
  async checkQueue(): Promise<void> {
    try {
      const q = await this.d.queue.describe();
      if (!q.deadLetterTargetArn) {
        this.d.log.warn({ queue: q.arn }, 'watcher: the events queue has no redrive policy: a message dockhand cannot handle comes back until its retention period ends; give the queue a dead-letter queue');
      }
      this.d.log.info({ queue: q.arn, waiting: q.visible, inFlight: q.inFlight, deadLetterQueue: q.deadLetterTargetArn, maxReceiveCount: q.maxReceiveCount }, 'watcher: events queue ready');
    } catch (e) {
      this.d.log.warn({ queue: this.d.queue.url, err: e instanceof Error ? e.message : String(e) }, 'watcher: reading the events queue failed; receiving goes on and says so if it fails too');
    }
  }

  private async run(): Promise<void> {
    await this.checkQueue();
    let pause = this.d.retryAfterMs ?? 5_000;
    while (this.running) {
      try {
        await this.receiveOnce();
        pause = this.d.retryAfterMs ?? 5_000;
      } catch (e) {
        if (!this.running) break;
        this.d.log.warn({ queue: this.d.queue.url, err: e instanceof Error ? e.message : String(e) }, `watcher: receiving events failed; trying again in ${Math.round(pause / 1000)}s (the sweep poll still catches crashes)`);
        await new Promise((r) => setTimeout(r, pause).unref());
        pause = Math.min(pause * 2, 60_000);
      }
    }
  }

  private target(change: TaskStateChange): ClusterTarget | undefined {
    return this.d.clusters.find((c) => shortName(c.cluster) === change.cluster && (!change.region || c.region === change.region));
  }

  /** Handles received messages: news to the watcher, then deletes what is done. */
  async handle(messages: readonly QueueMessage[]): Promise<BatchReport> {
    const report: BatchReport = { received: messages.length, handedOn: 0, duplicates: 0, ignored: 0, failed: 0, deleted: 0, messages: 0 };
    const done: string[] = [];
    // Per cluster, the newest change of each task in this batch, and every message that carried one of its changes.
    const byCluster = new Map<ClusterTarget, Map<string, { change: TaskStateChange; receipts: string[] }>>();
    for (const m of messages) {
      const parsed = parseEvent(m.body);
      if (parsed.kind === 'invalid') {
        report.failed++;
        this.d.log.warn(
          { queue: this.d.queue.url, messageId: m.id, receiveCount: m.receiveCount },
          `watcher: an events queue message could not be read (${parsed.why}); it stays in the queue and moves to the dead-letter queue after the redrive policy's maxReceiveCount receives`,
        );
        continue;
      }
      if (parsed.kind === 'other') {
        report.ignored++;
        done.push(m.receipt);
        continue;
      }
      const change = parsed.change;
      const target = this.target(change);
      if (!target) {
        report.ignored++;
        done.push(m.receipt);
        continue;
      }
      if ((this.seen.get(change.task.arn) ?? -1) >= change.version) {
        report.duplicates++;
        done.push(m.receipt);
        continue;
      }
      let tasks = byCluster.get(target);
      if (!tasks) byCluster.set(target, (tasks = new Map()));
      const entry = tasks.get(change.task.arn);
      if (!entry) tasks.set(change.task.arn, { change, receipts: [m.receipt] });
      else {
        // Two changes of one task in a batch: the newer decides, the older is a duplicate of it.
        report.duplicates++;
        entry.receipts.push(m.receipt);
        if (change.version > entry.change.version) entry.change = change;
      }
    }
    for (const [target, tasks] of byCluster) {
      const entries = [...tasks.values()];
      const stopped = entries.filter((e) => e.change.task.desiredStatus === 'STOPPED' || e.change.task.lastStatus === 'STOPPED').map((e) => e.change.task);
      let failed = false;
      if (stopped.length > 0) {
        try {
          const r = await this.d.sink.handleStopped(target, stopped);
          report.messages += r.messages;
          failed = r.failed;
        } catch (e) {
          failed = true;
          this.d.log.warn({ cluster: target.cluster, err: e instanceof Error ? e.message : String(e) }, 'watcher: handling task events failed; their messages stay in the queue and come back after its visibility timeout');
        }
      }
      if (failed) {
        report.failed += entries.reduce((n, e) => n + e.receipts.length, 0);
        continue;
      }
      report.handedOn += stopped.length;
      for (const e of entries) {
        this.remember(e.change.task.arn, e.change.version);
        done.push(...e.receipts);
      }
    }
    if (done.length > 0) {
      try {
        const { failed } = await this.d.queue.deleteMany(done);
        report.deleted = done.length - failed.length;
        // A message whose delete failed comes back; its task is remembered (and marked handled), so it alerts nothing then.
        if (failed.length > 0) this.d.log.warn({ queue: this.d.queue.url, failed: failed.length }, 'watcher: some handled event messages could not be deleted; they will come back and be skipped');
      } catch (e) {
        this.d.log.warn({ queue: this.d.queue.url, err: e instanceof Error ? e.message : String(e) }, 'watcher: deleting handled event messages failed; they will come back and be skipped');
      }
    }
    return report;
  }

  private remember(arn: string, version: number): void {
    this.seen.delete(arn);
    this.seen.set(arn, version);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
