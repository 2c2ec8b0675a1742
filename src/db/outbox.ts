import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import type { Platform } from '../core/platform.ts';
import type { Reply } from '../core/reply.ts';
import type { Lane, Outbox, OutboxMessage, OutboxRow, OutboxStats, OutboxStatus } from '../ports/outbox.ts';
import type { Db } from './client.ts';
import { outbox } from './watcher-schema.ts';

type Row = typeof outbox.$inferSelect;

/** A stored outbox row as the port's OutboxRow (PostgreSQL's rows have the same shape). */
export function toRow(r: Row): OutboxRow {
  const out: OutboxRow = {
    id: r.id,
    alertKey: r.alertKey,
    platform: r.platform as Platform,
    channelId: r.channelId,
    reply: JSON.parse(r.reply) as Reply,
    createdAt: r.createdAt,
    status: r.status as OutboxStatus,
    attempts: r.attempts,
    nextAt: r.nextAt,
  };
  if (r.updateOf !== null) out.updateOf = r.updateOf;
  if (r.service !== null) out.service = r.service;
  if (r.mention !== null) out.mention = r.mention;
  if (r.messageRef !== null) out.messageRef = r.messageRef;
  if (r.lastError !== null) out.lastError = r.lastError;
  if (r.sentAt !== null) out.sentAt = r.sentAt;
  if (r.firstFailedAt !== null) out.firstFailedAt = r.firstFailedAt;
  if (r.failedAt !== null) out.failedAt = r.failedAt;
  return out;
}

/** The row an outbox message is stored as (PostgreSQL's table has the same columns). */
export function outboxRow(m: OutboxMessage, now: number, world: string) {
  return {
    world,
    alertKey: m.alertKey,
    platform: m.platform,
    channelId: m.channelId,
    reply: JSON.stringify(m.reply),
    threadKey: m.reply.thread?.key ?? null,
    threadParent: m.reply.thread?.parent ? 1 : 0,
    updateOf: m.updateOf ?? null,
    service: m.service ?? null,
    mention: m.mention ?? null,
    // Due at once whatever clock wrote it: the watcher may run on sandbox time, delivery on real time.
    nextAt: 0,
    createdAt: now,
  };
}

/**
 * Writes an outbox message unless one with the same alert key, platform and channel exists; true
 * when written. Synchronous, so the incident store's write sets can enqueue inside their transaction.
 */
export function insertOutboxMessage(db: Db, m: OutboxMessage, now: number, world = ''): boolean {
  const r = db
    .insert(outbox)
    .values(outboxRow(m, now, world))
    .onConflictDoNothing()
    .run();
  return r.changes > 0;
}


/** The alert outbox in SQLite (table `outbox`). */
export class SqliteOutbox implements Outbox {
  private readonly db: Db;
  private readonly sqlite: Database.Database;
  /** The sandbox world this outbox reads and writes ('' for AWS itself). */
  readonly world: string;

  constructor(database: { db: Db; sqlite: Database.Database }, world = '') {
    this.db = database.db;
    this.sqlite = database.sqlite;
    this.world = world;
  }

  private laneIs(lane: Lane) {
    return and(eq(outbox.world, this.world), eq(outbox.platform, lane.platform), eq(outbox.channelId, lane.channelId));
  }

  /** Writes a message unless the same alert already went to that channel; true when written. */
  async enqueue(m: OutboxMessage, now: number): Promise<boolean> {
    return insertOutboxMessage(this.db, m, now, this.world);
  }

  /** Channels with pending messages. */
  async lanes(): Promise<Lane[]> {
    return this.db
      .selectDistinct({ platform: outbox.platform, channelId: outbox.channelId })
      .from(outbox)
      .where(and(eq(outbox.world, this.world), eq(outbox.status, 'pending')))
      .all()
      .map((r) => ({ platform: r.platform as Platform, channelId: r.channelId }));
  }

  /** Pending messages of a channel, oldest first. */
  async pending(lane: Lane): Promise<OutboxRow[]> {
    return this.db.select().from(outbox).where(and(this.laneIs(lane), eq(outbox.status, 'pending'))).orderBy(asc(outbox.id)).all().map(toRow);
  }

  /** Records a delivery. */
  async markSent(id: number, messageRef: string, now: number): Promise<void> {
    this.db.update(outbox).set({ status: 'sent', messageRef, sentAt: now, attempts: sql`${outbox.attempts} + 1`, lastError: null }).where(eq(outbox.id, id)).run();
  }

  /** Records a failed attempt to retry at `nextAt`; the first failure's time is kept. */
  async markRetry(id: number, nextAt: number, error: string, now?: number): Promise<void> {
    this.db
      .update(outbox)
      .set({ nextAt, lastError: error, attempts: sql`${outbox.attempts} + 1`, firstFailedAt: sql`coalesce(${outbox.firstFailedAt}, ${now ?? null})` })
      .where(eq(outbox.id, id))
      .run();
  }

  /** Records a failure retrying cannot fix, given up at `now`. */
  async markFailed(id: number, error: string, now?: number): Promise<void> {
    this.db.update(outbox).set({ status: 'failed', lastError: error, attempts: sql`${outbox.attempts} + 1`, failedAt: now ?? null }).where(eq(outbox.id, id)).run();
  }

  /** The messages given up on, newest first. */
  async failures(limit: number): Promise<OutboxRow[]> {
    return this.db.select().from(outbox).where(and(eq(outbox.world, this.world), eq(outbox.status, 'failed'))).orderBy(desc(outbox.id)).limit(limit).all().map(toRow);
  }

  /** Replaces pending messages by one summary message, in one transaction. */
  async fold(ids: readonly number[], summary: OutboxMessage, now: number): Promise<number> {
    return this.sqlite.transaction(() => {
      insertOutboxMessage(this.db, summary, now, this.world);
      const row = this.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(this.laneIs(summary), eq(outbox.alertKey, summary.alertKey)))
        .get();
      const sid = row?.id ?? 0;
      for (const id of ids) {
        this.db.update(outbox).set({ status: 'folded', foldedInto: sid }).where(and(eq(outbox.id, id), eq(outbox.status, 'pending'))).run();
      }
      return sid;
    })();
  }

  /** A stored message by alert key in a channel. */
  async find(lane: Lane, alertKey: string): Promise<OutboxRow | undefined> {
    const r = this.db.select().from(outbox).where(and(this.laneIs(lane), eq(outbox.alertKey, alertKey))).get();
    return r ? toRow(r) : undefined;
  }

  /** The platform reference of a delivered alert in a channel. */
  async messageRef(lane: Lane, alertKey: string): Promise<string | undefined> {
    const r = this.db
      .select({ ref: outbox.messageRef })
      .from(outbox)
      .where(and(this.laneIs(lane), eq(outbox.alertKey, alertKey), eq(outbox.status, 'sent')))
      .get();
    return r?.ref ?? undefined;
  }

  /**
   * The platform reference of a thread's parent in a channel: its delivered parent message, or
   * (when the parent was folded or muted) the first reply that went out on its own.
   */
  async threadRef(lane: Lane, threadKey: string): Promise<string | undefined> {
    const r = this.db
      .select({ ref: outbox.messageRef })
      .from(outbox)
      .where(and(this.laneIs(lane), eq(outbox.threadKey, threadKey), eq(outbox.status, 'sent'), isNull(outbox.updateOf), sql`${outbox.messageRef} <> ''`))
      .orderBy(desc(outbox.threadParent), asc(outbox.id))
      .get();
    return r?.ref ?? undefined;
  }

  /** Deletes finished messages written before `before`, keeping what the given threads still thread under. */
  async prune(before: number, keepThreads: readonly string[]): Promise<number> {
    // The kept rows are exactly what threadRef() and messageRef() answer from for those threads.
    return this.sqlite
      .prepare(
        `DELETE FROM outbox WHERE status IN ('sent', 'failed', 'folded') AND created_at < ?
         AND NOT (thread_key IS NOT NULL AND thread_key IN (SELECT value FROM json_each(?)) AND ((thread_parent = 1 AND update_of IS NULL) OR id = (
           SELECT min(p.id) FROM outbox AS p WHERE p.world = outbox.world AND p.platform = outbox.platform AND p.channel_id = outbox.channel_id
           AND p.thread_key = outbox.thread_key AND p.status = 'sent' AND p.update_of IS NULL AND p.message_ref <> '')))`,
      )
      .run(before, JSON.stringify(keepThreads)).changes;
  }

  /**
   * Delivery times of top-level messages in a channel after `since`. A thread reply counts as
   * one when it was the first message of its thread to go out (its parent was folded or failed).
   */
  async sentSince(lane: Lane, since: number): Promise<number[]> {
    const firstOfThread = sql`NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.world = ${outbox.world} AND p.platform = ${outbox.platform} AND p.channel_id = ${outbox.channelId}
      AND p.thread_key = ${outbox.threadKey} AND p.status = 'sent' AND p.update_of IS NULL AND p.message_ref <> '' AND p.id < ${outbox.id})`;
    return this.db
      .select({ at: outbox.sentAt })
      .from(outbox)
      .where(and(this.laneIs(lane), eq(outbox.status, 'sent'), sql`(${outbox.threadParent} = 1 OR ${outbox.threadKey} IS NULL OR ${firstOfThread})`, isNull(outbox.updateOf), gt(outbox.sentAt, since)))
      .orderBy(asc(outbox.sentAt))
      .all()
      .map((r) => r.at ?? 0);
  }

  /** Counts by status. */
  async stats(): Promise<OutboxStats> {
    const out: OutboxStats = { pending: 0, sent: 0, failed: 0, folded: 0 };
    for (const r of this.db.select({ status: outbox.status, n: sql<number>`count(*)` }).from(outbox).where(eq(outbox.world, this.world)).groupBy(outbox.status).all()) {
      if (r.status in out) out[r.status as 'pending' | 'sent' | 'failed' | 'folded'] = r.n;
    }
    const oldest = this.db.select({ at: sql<number | null>`min(${outbox.createdAt})` }).from(outbox).where(and(eq(outbox.world, this.world), eq(outbox.status, 'pending'))).get()?.at;
    if (oldest !== null && oldest !== undefined) out.oldestPendingAt = oldest;
    return out;
  }

  /** Every row of a channel, in order. */
  async history(lane: Lane): Promise<OutboxRow[]> {
    return this.db.select().from(outbox).where(this.laneIs(lane)).orderBy(asc(outbox.id)).all().map(toRow);
  }
}
