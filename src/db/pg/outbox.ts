import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Platform } from '../../core/platform.ts';
import type { Lane, Outbox, OutboxMessage, OutboxRow, OutboxStats } from '../../ports/outbox.ts';
import { outboxRow, toRow } from '../outbox.ts';
import type { PgDb } from './client.ts';
import { outbox } from './schema.ts';
import { transaction, type PgExec } from './tx.ts';

/**
 * Writes an outbox message unless one with the same alert key, platform and channel exists; true
 * when written. Takes a transaction too, so the incident store's write sets can enqueue inside theirs.
 */
export async function insertPgOutboxMessage(db: PgExec, m: OutboxMessage, now: number, world = ''): Promise<boolean> {
  const r = await db
    .insert(outbox)
    .values(outboxRow(m, now, world))
    .onConflictDoNothing();
  return (r.rowCount ?? 0) > 0;
}


/** The alert outbox in PostgreSQL (table `outbox`), the same rows and order rules as SQLite's. */
export class PgOutbox implements Outbox {
  constructor(
    private readonly db: PgDb,
    /** The sandbox world this outbox reads and writes ('' for AWS itself). */
    readonly world = '',
  ) {}

  private laneIs(lane: Lane) {
    return and(eq(outbox.world, this.world), eq(outbox.platform, lane.platform), eq(outbox.channelId, lane.channelId));
  }

  /** Writes a message unless the same alert already went to that channel; true when written. */
  async enqueue(m: OutboxMessage, now: number): Promise<boolean> {
    return insertPgOutboxMessage(this.db, m, now, this.world);
  }

  /** Channels with pending messages. */
  async lanes(): Promise<Lane[]> {
    const rows = await this.db.selectDistinct({ platform: outbox.platform, channelId: outbox.channelId }).from(outbox).where(and(eq(outbox.world, this.world), eq(outbox.status, 'pending')));
    return rows.map((r) => ({ platform: r.platform as Platform, channelId: r.channelId }));
  }

  /** Pending messages of a channel, oldest first. */
  async pending(lane: Lane): Promise<OutboxRow[]> {
    return (await this.db.select().from(outbox).where(and(this.laneIs(lane), eq(outbox.status, 'pending'))).orderBy(asc(outbox.id))).map(toRow);
  }

  /** Records a delivery. */
  async markSent(id: number, messageRef: string, now: number): Promise<void> {
    await this.db.update(outbox).set({ status: 'sent', messageRef, sentAt: now, attempts: sql`${outbox.attempts} + 1`, lastError: null }).where(eq(outbox.id, id));
  }

  /** Records a failed attempt to retry at `nextAt`; the first failure's time is kept. */
  async markRetry(id: number, nextAt: number, error: string, now?: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({ nextAt, lastError: error, attempts: sql`${outbox.attempts} + 1`, firstFailedAt: sql`coalesce(${outbox.firstFailedAt}, ${now ?? null}::bigint)` })
      .where(eq(outbox.id, id));
  }

  /** Records a failure retrying cannot fix, given up at `now`. */
  async markFailed(id: number, error: string, now?: number): Promise<void> {
    await this.db.update(outbox).set({ status: 'failed', lastError: error, attempts: sql`${outbox.attempts} + 1`, failedAt: now ?? null }).where(eq(outbox.id, id));
  }

  /** The messages given up on, newest first. */
  async failures(limit: number): Promise<OutboxRow[]> {
    return (await this.db.select().from(outbox).where(and(eq(outbox.world, this.world), eq(outbox.status, 'failed'))).orderBy(desc(outbox.id)).limit(limit)).map(toRow);
  }

  /** Replaces pending messages by one summary message, in one transaction. */
  async fold(ids: readonly number[], summary: OutboxMessage, now: number): Promise<number> {
    return transaction(this.db, async (tx) => {
      await insertPgOutboxMessage(tx, summary, now, this.world);
      const [row] = await tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(this.laneIs(summary), eq(outbox.alertKey, summary.alertKey)));
      const sid = row?.id ?? 0;
      for (const id of ids) {
        await tx.update(outbox).set({ status: 'folded', foldedInto: sid }).where(and(eq(outbox.id, id), eq(outbox.status, 'pending')));
      }
      return sid;
    });
  }

  /** A stored message by alert key in a channel. */
  async find(lane: Lane, alertKey: string): Promise<OutboxRow | undefined> {
    const [r] = await this.db.select().from(outbox).where(and(this.laneIs(lane), eq(outbox.alertKey, alertKey)));
    return r ? toRow(r) : undefined;
  }

  /** The platform reference of a delivered alert in a channel. */
  async messageRef(lane: Lane, alertKey: string): Promise<string | undefined> {
    const [r] = await this.db
      .select({ ref: outbox.messageRef })
      .from(outbox)
      .where(and(this.laneIs(lane), eq(outbox.alertKey, alertKey), eq(outbox.status, 'sent')));
    return r?.ref ?? undefined;
  }

  /**
   * The platform reference of a thread's parent in a channel: its delivered parent message, or
   * (when the parent was folded or muted) the first reply that went out on its own.
   */
  async threadRef(lane: Lane, threadKey: string): Promise<string | undefined> {
    const [r] = await this.db
      .select({ ref: outbox.messageRef })
      .from(outbox)
      .where(and(this.laneIs(lane), eq(outbox.threadKey, threadKey), eq(outbox.status, 'sent'), isNull(outbox.updateOf), sql`${outbox.messageRef} <> ''`))
      .orderBy(desc(outbox.threadParent), asc(outbox.id))
      .limit(1);
    return r?.ref ?? undefined;
  }

  /** Deletes finished messages written before `before`, keeping what the given threads still thread under. */
  async prune(before: number, keepThreads: readonly string[]): Promise<number> {
    // The kept rows are exactly what threadRef() and messageRef() answer from for those threads.
    const r = await this.db.execute(sql`
      DELETE FROM outbox WHERE status IN ('sent', 'failed', 'folded') AND created_at < ${before}
      AND NOT (thread_key IS NOT NULL AND thread_key IN (SELECT jsonb_array_elements_text(${JSON.stringify(keepThreads)}::jsonb)) AND ((thread_parent = 1 AND update_of IS NULL) OR id = (
        SELECT min(p.id) FROM outbox AS p WHERE p.world = outbox.world AND p.platform = outbox.platform AND p.channel_id = outbox.channel_id
        AND p.thread_key = outbox.thread_key AND p.status = 'sent' AND p.update_of IS NULL AND p.message_ref <> '')))`);
    return r.rowCount ?? 0;
  }

  /**
   * Delivery times of top-level messages in a channel after `since`. A thread reply counts as
   * one when it was the first message of its thread to go out (its parent was folded or failed).
   */
  async sentSince(lane: Lane, since: number): Promise<number[]> {
    const firstOfThread = sql`NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.world = ${outbox.world} AND p.platform = ${outbox.platform} AND p.channel_id = ${outbox.channelId}
      AND p.thread_key = ${outbox.threadKey} AND p.status = 'sent' AND p.update_of IS NULL AND p.message_ref <> '' AND p.id < ${outbox.id})`;
    const rows = await this.db
      .select({ at: outbox.sentAt })
      .from(outbox)
      .where(and(this.laneIs(lane), eq(outbox.status, 'sent'), sql`(${outbox.threadParent} = 1 OR ${outbox.threadKey} IS NULL OR ${firstOfThread})`, isNull(outbox.updateOf), gt(outbox.sentAt, since)))
      .orderBy(asc(outbox.sentAt));
    return rows.map((r) => r.at ?? 0);
  }

  /** Counts by status. */
  async stats(): Promise<OutboxStats> {
    const out: OutboxStats = { pending: 0, sent: 0, failed: 0, folded: 0 };
    const rows = await this.db.select({ status: outbox.status, n: sql<number>`count(*)`.mapWith(Number) }).from(outbox).where(eq(outbox.world, this.world)).groupBy(outbox.status);
    for (const r of rows) if (r.status in out) out[r.status as 'pending' | 'sent' | 'failed' | 'folded'] = r.n;
    const [oldest] = await this.db.select({ at: sql<number | null>`min(${outbox.createdAt})` }).from(outbox).where(and(eq(outbox.world, this.world), eq(outbox.status, 'pending')));
    if (oldest?.at !== null && oldest?.at !== undefined) out.oldestPendingAt = Number(oldest.at);
    return out;
  }

  /** Every row of a channel, in order. */
  async history(lane: Lane): Promise<OutboxRow[]> {
    return (await this.db.select().from(outbox).where(this.laneIs(lane)).orderBy(asc(outbox.id))).map(toRow);
  }
}
