/**
 * Delivers the outbox: one lane per channel, messages in order, retries with exponential
 * backoff that honours a platform's Retry-After, and folds a storm into one summary once a
 * channel's rate limit is reached. A final error takes its message out of the lane at once; a
 * message that keeps failing with retryable errors holds the lane (to keep order) only until
 * `giveUpAfterMs`. A message refused as too long goes again without its droppable blocks. Lanes
 * run independently, so a platform that is down (or hangs) never holds up the others.
 */
import type { Logger } from '../core/logger.ts';
import { formatDuration } from '../core/parser.ts';
import { withoutDroppable } from '../core/reply.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeliveryTarget, Lane, Outbox, OutboxRow } from '../ports/outbox.ts';
import { deliveryErrorInfo } from '../ports/outbox.ts';
import { foldSummary } from './alerts.ts';

/** How delivery behaves. */
export interface AlertDeliveryOptions {
  /** The outbox to drain. */
  outbox: Outbox;
  /** One target per platform. */
  targets: readonly DeliveryTarget[];
  /** The clock for backoff and the rate limit: real time (not the sandbox's), because platforms count in real time. */
  clock: Clock;
  /** Where failures are logged. */
  log: Logger;
  /** Top-level messages per channel per window before the rest are folded (default 5). */
  rateLimitMessages?: number;
  /** The rate-limit window, ms (default 60 s). */
  rateLimitWindowMs?: number;
  /** First retry delay, ms (default 2 s); it doubles per attempt. */
  backoffBaseMs?: number;
  /** Longest retry delay, ms (default 60 s). */
  backoffMaxMs?: number;
  /** Longest a single delivery call may take before it counts as failed, real ms (default 20 s). */
  callTimeoutMs?: number;
  /** How long a message failing with retryable errors may hold its lane before it is given up, ms (default 6 h; `watch.delivery.giveUpAfter`). */
  giveUpAfterMs?: number;
}

/** The default of `watch.delivery.giveUpAfter`. */
export const DEFAULT_GIVE_UP_AFTER_MS = 6 * 60 * 60_000;

/** What one flush did. */
export interface FlushReport {
  /** Messages delivered. */
  sent: number;
  /** Attempts that failed and will be retried. */
  retried: number;
  /** Messages given up on. */
  failed: number;
  /** Messages folded into summaries. */
  folded: number;
}

function laneKey(l: Lane): string {
  return `${l.platform}:${l.channelId}`;
}

function isTopLevel(r: OutboxRow): boolean {
  return !r.updateOf && (!r.reply.thread || r.reply.thread.parent === true);
}

class CallTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** Drains the outbox to the delivery targets. */
export class AlertDelivery {
  private readonly o: Required<Omit<AlertDeliveryOptions, 'targets'>> & { targets: Map<string, DeliveryTarget> };
  /** Platforms already reported as routed to but not connected. */
  private readonly warnedMissing = new Set<string>();
  private readonly busy = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: AlertDeliveryOptions) {
    this.o = {
      outbox: opts.outbox,
      clock: opts.clock,
      log: opts.log,
      rateLimitMessages: opts.rateLimitMessages ?? 5,
      rateLimitWindowMs: opts.rateLimitWindowMs ?? 60_000,
      backoffBaseMs: opts.backoffBaseMs ?? 2_000,
      backoffMaxMs: opts.backoffMaxMs ?? 60_000,
      callTimeoutMs: opts.callTimeoutMs ?? 20_000,
      giveUpAfterMs: opts.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS,
      targets: new Map(opts.targets.map((t) => [t.platform, t])),
    };
  }

  /** Adds (or replaces) the target of a platform, such as an adapter that connected late. */
  addTarget(t: DeliveryTarget): void {
    this.o.targets.set(t.platform, t);
  }

  /** Starts the lanes that have due messages and are idle; does not wait for them (a failure is logged). */
  kick(): void {
    this.flush().catch((e: unknown) => this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'alerts: delivery pass failed; the next one tries again'));
  }

  /** Runs one pass over every idle lane with pending messages and waits for those lanes. */
  async flush(): Promise<FlushReport> {
    const report: FlushReport = { sent: 0, retried: 0, failed: 0, folded: 0 };
    const started: Promise<void>[] = [];
    // No await between the busy check and claiming the lane, so two passes never run one lane twice.
    for (const lane of await this.o.outbox.lanes()) {
      const k = laneKey(lane);
      if (this.busy.has(k)) continue;
      const p = this.runLane(lane, report).finally(() => this.busy.delete(k));
      this.busy.set(k, p);
      started.push(p);
    }
    await Promise.all(started);
    return report;
  }

  /** Flushes every `intervalMs` of real time until stop(). */
  start(intervalMs = 1_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops the timer and waits for deliveries in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.busy.values()]);
  }

  private async runLane(lane: Lane, report: FlushReport): Promise<void> {
    const { outbox, log } = this.o;
    const target = this.o.targets.get(lane.platform);
    for (;;) {
      const rows = await outbox.pending(lane);
      const row = rows[0];
      if (!row) return;
      const now = this.o.clock.now();
      if (!target) {
        await outbox.markFailed(row.id, `no ${lane.platform} connection is configured for alert routes`, now);
        report.failed++;
        // Said once per platform (main.ts also says it at start), not once per alert per channel.
        if (!this.warnedMissing.has(lane.platform)) {
          this.warnedMissing.add(lane.platform);
          log.warn({ platform: lane.platform }, `alerts: routes name ${lane.platform} but dockhand has no ${lane.platform} connection; its alerts are dropped (recorded in the outbox as failed)`);
        }
        continue;
      }
      if (row.nextAt > now) return;
      if (row.updateOf && rows.some((r) => r.id !== row.id && r.updateOf === row.updateOf)) {
        // A later edit of the same message supersedes this one; only the newest is worth a call.
        await outbox.markSent(row.id, '', now);
        continue;
      }
      // A thread reply whose parent never went out (folded or failed) posts as a new message, so it
      // counts against the rate limit too; otherwise a folded incident's updates would storm the channel.
      const topLevel = async (r: OutboxRow): Promise<boolean> => {
        if (isTopLevel(r)) return true;
        const key = r.updateOf ? undefined : r.reply.thread?.key;
        if (key === undefined) return false;
        return !rows.some((p) => p.id < r.id && p.reply.thread?.key === key) && (await outbox.threadRef(lane, key)) === undefined;
      };
      if (await topLevel(row)) {
        const budget = this.o.rateLimitMessages - (await outbox.sentSince(lane, now - this.o.rateLimitWindowMs)).length;
        if (budget <= 0) return;
        // Only whether more than one top-level message waits matters, so counting stops at two.
        let waitingTop = 0;
        if (budget === 1) for (const r of rows) if ((await topLevel(r)) && ++waitingTop > 1) break;
        if (budget === 1 && waitingTop > 1) {
          // The last slot of the window goes to one message that stands for all the rest.
          const folded = rows;
          const summary = foldSummary(folded.map((r) => ({ ...(r.service ? { service: r.service } : {}), ...(r.reply.summary ? { summary: r.reply.summary } : {}) })));
          // An incident opening folded away must still page whoever its route names.
          const mention = folded.find((r) => r.mention)?.mention;
          await outbox.fold(
            folded.map((r) => r.id),
            { alertKey: `summary:${folded[0]?.id ?? 0}-${folded[folded.length - 1]?.id ?? 0}`, platform: lane.platform, channelId: lane.channelId, reply: summary, ...(mention ? { mention } : {}) },
            now,
          );
          report.folded += folded.length;
          log.warn({ platform: lane.platform, channel: lane.channelId, folded: folded.length }, 'alerts: channel rate limit reached; alerts folded into one summary');
          continue;
        }
      }
      const ok = await this.deliverOne(lane, target, row, report);
      if (!ok) return;
    }
  }

  /** Tries one message; false when the lane must wait (a retry is scheduled). */
  private async deliverOne(lane: Lane, target: DeliveryTarget, row: OutboxRow, report: FlushReport): Promise<boolean> {
    const { outbox, log } = this.o;
    let updateOf: string | undefined;
    if (row.updateOf) {
      updateOf = await outbox.messageRef(lane, row.updateOf);
      if (!updateOf) {
        // The message to edit never went out (folded or failed): nothing to edit.
        await outbox.markSent(row.id, '', this.o.clock.now());
        return true;
      }
    }
    const thread = row.reply.thread;
    const threadOf = thread && !thread.parent ? await outbox.threadRef(lane, thread.key) : undefined;
    const options = {
      idempotencyKey: `${row.alertKey}@${lane.platform}:${lane.channelId}`,
      ...(threadOf ? { threadOf } : {}),
      ...(updateOf ? { updateOf } : {}),
      ...(row.mention ? { mention: row.mention } : {}),
    };
    // Every log line about one alert carries its request id (the outbox row), as commands carry theirs.
    const where = { requestId: `alert-${row.id}`, platform: lane.platform, channel: lane.channelId, alert: row.alertKey };
    let info: ReturnType<typeof deliveryErrorInfo>;
    try {
      const res = await this.withTimeout(target.deliver(lane.channelId, row.reply, options));
      await outbox.markSent(row.id, res.messageRef, this.o.clock.now());
      report.sent++;
      log.info({ ...where, attempt: row.attempts + 1 }, 'alerts: delivered');
      return true;
    } catch (e) {
      info = deliveryErrorInfo(e);
    }
    if (info.tooLong) {
      // Refused as too long: the same message without its droppable blocks (and a note saying
      // where to read them) is worth one more try before the message is given up.
      const shorter = withoutDroppable(row.reply);
      if (shorter) {
        try {
          const res = await this.withTimeout(target.deliver(lane.channelId, shorter, options));
          await outbox.markSent(row.id, res.messageRef, this.o.clock.now());
          report.sent++;
          log.warn(where, `alerts: ${info.message}; sent again without its log excerpt`);
          return true;
        } catch (e) {
          info = deliveryErrorInfo(e);
        }
      }
    }
    const now = this.o.clock.now();
    if (info.permanent) {
      await outbox.markFailed(row.id, info.message, now);
      report.failed++;
      log.error(where, `alerts: delivery failed for good, the next message in this channel goes on: ${info.message}${info.action && !info.message.includes(info.action) ? ` — ${info.action}` : ''}`);
      return true;
    }
    const failingFor = now - (row.firstFailedAt ?? now);
    if (failingFor >= this.o.giveUpAfterMs) {
      const why = `gave up after ${formatDuration(failingFor)} of retrying (watch.delivery.giveUpAfter is ${formatDuration(this.o.giveUpAfterMs)}): ${info.message}`;
      await outbox.markFailed(row.id, why, now);
      report.failed++;
      log.error(where, `alerts: delivery ${why}; the next message in this channel goes on`);
      return true;
    }
    const backoff = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** Math.min(row.attempts, 20));
    const jittered = Math.round(backoff * (0.8 + Math.random() * 0.4));
    const delay = Math.max(info.retryAfterMs ?? 0, Math.min(jittered, this.o.backoffMaxMs));
    await outbox.markRetry(row.id, now + delay, info.message, now);
    report.retried++;
    log.warn({ ...where, attempt: row.attempts + 1, retryInMs: delay }, `alerts: delivery failed, will retry: ${info.message}`);
    return false;
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.o.callTimeoutMs;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new CallTimeout(ms)), ms);
      t.unref();
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(t));
  }
}
