/**
 * A test rig for the crash watcher: the sandbox on a manual clock, the real SDK clients, SQLite
 * with the real migrations, the watcher and the delivery worker, and a recording chat target.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Logger } from '../../src/core/logger.ts';
import { replyToPlainText, type Reply } from '../../src/core/reply.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import type { DeliveryOptions, DeliveryTarget } from '../../src/ports/outbox.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { watcherSettings, type RouteConfig, type WatchFileConfig, type WatcherSettings } from '../../src/watcher/config.ts';
import { AlertDelivery } from '../../src/watcher/delivery.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';

/** One message as the fake chat received it. */
export interface Received {
  /** The channel. */
  channelId: string;
  /** The message. */
  reply: Reply;
  /** Its plain text. */
  text: string;
  /** The options it came with. */
  opts: DeliveryOptions;
  /** The reference handed back. */
  ref: string;
}

/** A delivery error shaped like SlackDeliveryError. */
export class FakeDeliveryError extends Error {
  /** True when retrying cannot help. */
  readonly permanent: boolean;
  /** How long the platform asked to wait. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, permanent: boolean, retryAfterMs?: number) {
    super(message);
    this.permanent = permanent;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A chat platform that records what it got and fails when told to. */
export class FakeChat implements DeliveryTarget {
  /** New messages accepted, in order. */
  readonly received: Received[] = [];
  /** Edits of earlier messages, in order. */
  readonly edits: Received[] = [];
  /** Attempts made, accepted or not. */
  attempts = 0;
  /** When set, every attempt throws what it returns. */
  failWith: (() => Error) | null = null;
  /** When set, every attempt hangs until released. */
  hang = false;
  private n = 0;

  constructor(readonly platform: 'slack' | 'discord' | 'console' = 'slack') {}

  /** Records a message (or fails as set). */
  async deliver(channelId: string, reply: Reply, opts: DeliveryOptions): Promise<{ messageRef: string }> {
    this.attempts++;
    if (this.hang) await new Promise(() => undefined);
    if (this.failWith) throw this.failWith();
    if (opts.updateOf) {
      this.edits.push({ channelId, reply, text: replyToPlainText(reply), opts, ref: opts.updateOf });
      return { messageRef: opts.updateOf };
    }
    const ref = `${this.platform}-${++this.n}`;
    this.received.push({ channelId, reply, text: replyToPlainText(reply), opts, ref });
    return { messageRef: ref };
  }
}

/** The task id an alert message is about (crash alerts, incident openings and updates each name one). */
export function taskIdOf(text: string): string | undefined {
  return /Task: ([0-9a-f]{32})/.exec(text)?.[1] ?? /\(task ([0-9a-f]{32})/.exec(text)?.[1];
}

/** A logger that keeps warnings and errors for assertions, and every line with its fields. */
export function capturingLogger(): Logger & { warnings: string[]; errors: string[]; lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> } {
  const warnings: string[] = [];
  const errors: string[] = [];
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const keep = (level: string, o: unknown, msg?: string): void => {
    lines.push({ level, fields: (o && typeof o === 'object' ? o : {}) as Record<string, unknown>, msg: msg ?? '' });
  };
  const log: Logger & { warnings: string[]; errors: string[]; lines: typeof lines } = {
    warnings,
    errors,
    lines,
    debug() {},
    info(o, msg) {
      keep('info', o, msg);
    },
    warn(o, msg) {
      warnings.push(msg ?? '');
      keep('warn', o, msg);
    },
    error(o, msg) {
      errors.push(msg ?? '');
      keep('error', o, msg);
    },
    child() {
      return log;
    },
  };
  return log;
}

/** Everything a watcher test touches. */
export interface WatchRig {
  /** The sandbox on a manual clock, with cluster `prod`. */
  sandbox: Sandbox;
  /** The real SDK ports pointed at it. */
  aws: AwsPorts;
  /** SQLite with the real migrations. */
  database: OpenDatabase;
  /** The watcher's memory. */
  store: SqliteIncidentStore;
  /** The outbox. */
  outbox: SqliteOutbox;
  /** The watcher on cluster `prod`. */
  watcher: CrashWatcher;
  /** The delivery worker. */
  delivery: AlertDelivery;
  /** The Slack stand-in that records alerts. */
  chat: FakeChat;
  /** The watcher settings in use. */
  settings: WatcherSettings;
  /** The logger, with its warnings and errors. */
  log: ReturnType<typeof capturingLogger>;
  /** Moves sandbox time forward, polls once and flushes the outbox; returns the poll report. */
  step(ms: number): Promise<Awaited<ReturnType<CrashWatcher['poll']>>>;
  /** Stops everything. */
  close(): Promise<void>;
}

/** Options of a rig. */
export interface RigOptions {
  /** The `watch` config section. */
  watch?: WatchFileConfig;
  /** Routes (default: everything to Slack channel C1). */
  routes?: RouteConfig[];
  /** SDK attempts per call (1 makes throttling visible to the watcher). */
  maxAttempts?: number;
  /** A SQLite file to use instead of memory. */
  dbPath?: string;
  /** Extra delivery targets. */
  targets?: DeliveryTarget[];
  /** Tell the watcher its cloud is the sandbox (error notes then name it). */
  sandbox?: boolean;
  /** Leave CloudWatch metrics out (OOM alerts then say the trend is unavailable). */
  noMetrics?: boolean;
  /** The sandbox's events queue settings (visibility timeout, receives before the dead-letter queue). */
  events?: { visibilityTimeout?: number; maxReceiveCount?: number };
}

/** A temporary SQLite path. */
export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'dockhand-watch-')), 'dockhand.db');
}

/** Starts a sandbox with an empty cluster `prod` on a manual clock and a watcher on it. */
export async function startRig(opts: RigOptions = {}): Promise<WatchRig> {
  const clock = new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9, 0, 0) });
  const sandbox = await startSandbox({ clock, scenario: 'empty', seed: 7, ...(opts.events ? { events: opts.events } : {}) });
  sandbox.state.createCluster('prod');
  const aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}) });
  const database = openDatabase(opts.dbPath ?? ':memory:');
  const store = new SqliteIncidentStore(database);
  const outbox = new SqliteOutbox(database);
  const settings = watcherSettings(opts.watch, opts.routes ?? [{ slack: 'C1' }]);
  const log = capturingLogger();
  const chat = new FakeChat('slack');
  const delivery = new AlertDelivery({
    outbox,
    targets: [chat, ...(opts.targets ?? [])],
    clock,
    log,
    rateLimitMessages: settings.rateLimitMessages,
    rateLimitWindowMs: settings.rateLimitWindowMs,
  });
  const watcher = new CrashWatcher({
    containers: aws.containers,
    logs: aws.logs,
    ...(opts.noMetrics ? {} : { metrics: aws.metrics }),
    store,
    outbox,
    clock,
    log,
    settings,
    clusters: [{ cluster: 'prod', region: 'us-east-1' }],
    ...(opts.sandbox ? { sandbox: true } : {}),
  });
  return {
    sandbox,
    aws,
    database,
    store,
    outbox,
    watcher,
    delivery,
    chat,
    settings,
    log,
    async step(ms: number) {
      sandbox.advance(ms);
      const r = await watcher.poll({ cluster: 'prod', region: 'us-east-1' });
      await delivery.flush();
      return r;
    },
    async close() {
      await delivery.stop();
      await watcher.stop();
      aws.destroy();
      database.close();
      await sandbox.stop();
    },
  };
}

/** Stopped tasks of a service in the sandbox that crashed (the ground truth a test compares alerts with). */
export function crashedTaskIds(sandbox: Sandbox, cluster: string, service: string): string[] {
  const c = sandbox.state.clusters.get(cluster);
  if (!c) return [];
  return [...c.tasks.values()]
    .filter((t) => t.serviceName === service && t.desiredStatus === 'STOPPED' && (t.stopCode === 'EssentialContainerExited' || t.stopCode === 'TaskFailedToStart' || /health checks/.test(t.stoppedReason ?? '')))
    .map((t) => t.id);
}
