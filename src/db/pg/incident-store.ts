import { and, asc, desc, eq, gt, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import type { CrashRecord, Incident, IncidentStore, Mute, WatchCondition } from '../../ports/incident-store.ts';
import { incidentChanges, toCondition, toCrash, toIncident } from '../incident-store.ts';
import type { CrashRef, WriteGuard, WriteSet, WriteSetResult } from '../../ports/write-set.ts';
import type { PgDb } from './client.ts';
import { insertPgOutboxMessage } from './outbox.ts';
import { outbox, watcherConditions, watcherCrashes, watcherHandledTasks, watcherIncidents, watcherMutes } from './schema.ts';
import { retryingTx, transaction, type PgExec } from './tx.ts';

/** Thrown inside the transaction to roll a write set back when one of its guards fails. */
class GuardFailed extends Error {
  constructor(readonly guard: WriteGuard['op']) {
    super(`write set stopped by its ${guard} guard`);
  }
}

/** The crash watcher's memory in PostgreSQL; write sets run as one BEGIN … COMMIT each. */
export class PgIncidentStore implements IncidentStore {
  constructor(
    private readonly db: PgDb,
    /** The sandbox world this store reads and writes ('' for AWS itself). */
    readonly world = '',
  ) {}

  /**
   * Applies a write set in one transaction. The guards hold against other replicas: `claimTask` is an
   * INSERT … ON CONFLICT DO NOTHING (a concurrent claim of the same task waits for this one and then
   * inserts nothing), and `openIncident` reads under a transaction-level advisory lock on the service,
   * since "no open incident" has no row to lock.
   */
  async apply(writes: WriteSet): Promise<WriteSetResult> {
    try {
      return await retryingTx(() => transaction(this.db, (tx) => this.applyAll(tx, writes)));
    } catch (e) {
      if (e instanceof GuardFailed) return { applied: false, guard: e.guard };
      throw e;
    }
  }

  private async applyAll(tx: PgExec, writes: WriteSet): Promise<WriteSetResult> {
    let enqueued = 0;
    for (const w of writes) {
      switch (w.op) {
        case 'claimTask': {
          const r = await tx.insert(watcherHandledTasks).values({ world: this.world, cluster: w.cluster, taskArn: w.taskArn, handledAt: w.at }).onConflictDoNothing();
          if ((r.rowCount ?? 0) === 0) throw new GuardFailed('claimTask');
          break;
        }
        case 'openIncident': {
          // Held until COMMIT: another replica's set about this service waits, then reads what this one wrote.
          await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`dockhand.incident:${w.cluster}/${w.service}`}))`);
          const open = await this.openIncidentIn(tx, w.cluster, w.service);
          if ((open?.id ?? null) !== w.id || (open && w.crashes !== undefined && open.crashes !== w.crashes)) throw new GuardFailed('openIncident');
          break;
        }
        case 'recordCrash': {
          const c = w.crash;
          await tx
            .insert(watcherCrashes)
            .values({ ...c, world: this.world, exitCode: c.exitCode ?? null, incidentId: c.incidentId ?? null })
            .onConflictDoNothing();
          break;
        }
        case 'createIncident': {
          const i = w.incident;
          await tx.insert(watcherIncidents).values({ ...i, world: this.world, lastExitCode: i.lastExitCode ?? null, recoveredAt: i.recoveredAt ?? null });
          for (const ref of w.crashes) await this.attach(tx, ref, i.id);
          break;
        }
        case 'updateIncident': {
          const i = w.incident;
          await tx
            .update(watcherIncidents)
            .set(incidentChanges(i))
            .where(eq(watcherIncidents.id, i.id));
          break;
        }
        case 'attachCrash':
          await this.attach(tx, w.crash, w.incidentId);
          break;
        case 'putCondition': {
          const values = { ...w.condition, world: this.world, alertedAt: w.condition.alertedAt ?? null };
          await tx.insert(watcherConditions).values(values).onConflictDoUpdate({ target: watcherConditions.key, set: values });
          break;
        }
        case 'deleteCondition':
          await tx.delete(watcherConditions).where(eq(watcherConditions.key, w.key));
          break;
        case 'enqueue':
          if (await insertPgOutboxMessage(tx, w.message, w.now, this.world)) enqueued++;
          break;
      }
    }
    return { applied: true, enqueued };
  }

  private async attach(tx: PgExec, ref: CrashRef, incidentId: string): Promise<void> {
    const which = typeof ref === 'number' ? eq(watcherCrashes.id, ref) : and(eq(watcherCrashes.world, this.world), eq(watcherCrashes.taskArn, ref.taskArn));
    await tx.update(watcherCrashes).set({ incidentId }).where(which);
  }

  private async openIncidentIn(db: PgExec, cluster: string, service: string): Promise<Incident | null> {
    const [r] = await db
      .select()
      .from(watcherIncidents)
      .where(and(eq(watcherIncidents.world, this.world), eq(watcherIncidents.cluster, cluster), eq(watcherIncidents.service, service), eq(watcherIncidents.status, 'open')))
      .limit(1);
    return r ? toIncident(r) : null;
  }

  /** Which of these task ARNs were handled already. */
  async handledAmong(cluster: string, taskArns: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < taskArns.length; i += 500) {
      const part = taskArns.slice(i, i + 500);
      const rows = await this.db
        .select({ arn: watcherHandledTasks.taskArn })
        .from(watcherHandledTasks)
        .where(and(eq(watcherHandledTasks.world, this.world), eq(watcherHandledTasks.cluster, cluster), inArray(watcherHandledTasks.taskArn, part)));
      for (const r of rows) out.add(r.arn);
    }
    return out;
  }

  /** Forgets every row another sandbox world left behind (the watcher does this when it starts). */
  async pruneOtherWorlds(): Promise<number> {
    return transaction(this.db, async (tx) => {
      let n = 0;
      for (const t of [watcherHandledTasks, watcherCrashes, watcherIncidents, watcherConditions, outbox]) n += (await tx.delete(t).where(ne(t.world, this.world))).rowCount ?? 0;
      return n;
    });
  }

  /** Forgets handled tasks older than `before`. */
  async pruneHandled(before: number): Promise<number> {
    return (await this.db.delete(watcherHandledTasks).where(lt(watcherHandledTasks.handledAt, before))).rowCount ?? 0;
  }

  /** Forgets crashes that stopped before `before`. */
  async pruneCrashes(before: number): Promise<number> {
    return (await this.db.delete(watcherCrashes).where(lt(watcherCrashes.at, before))).rowCount ?? 0;
  }

  /** Crashes of a service since a time, oldest first. */
  async crashesSince(cluster: string, service: string, since: number): Promise<CrashRecord[]> {
    const rows = await this.db
      .select()
      .from(watcherCrashes)
      .where(and(eq(watcherCrashes.world, this.world), eq(watcherCrashes.cluster, cluster), eq(watcherCrashes.service, service), gte(watcherCrashes.at, since)))
      .orderBy(asc(watcherCrashes.at), asc(watcherCrashes.id));
    return rows.map(toCrash);
  }

  /** The open incident of a service. */
  async openIncident(cluster: string, service: string): Promise<Incident | null> {
    return this.openIncidentIn(this.db, cluster, service);
  }

  /** Every open incident, oldest first. */
  async openIncidents(): Promise<Incident[]> {
    return (await this.db.select().from(watcherIncidents).where(and(eq(watcherIncidents.world, this.world), eq(watcherIncidents.status, 'open'))).orderBy(asc(watcherIncidents.openedAt))).map(toIncident);
  }

  /** Incidents that recovered since a time, newest first. */
  async recoveredSince(since: number): Promise<Incident[]> {
    const rows = await this.db
      .select()
      .from(watcherIncidents)
      .where(and(eq(watcherIncidents.world, this.world), eq(watcherIncidents.status, 'recovered'), gte(watcherIncidents.recoveredAt, since)))
      .orderBy(desc(watcherIncidents.recoveredAt));
    return rows.map(toIncident);
  }

  /** Mutes a service. */
  async mute(m: Mute): Promise<void> {
    await this.db
      .insert(watcherMutes)
      .values(m)
      .onConflictDoUpdate({ target: [watcherMutes.cluster, watcherMutes.service], set: { until: m.until, by: m.by, at: m.at } });
  }

  /** Ends a mute. */
  async unmute(cluster: string, service: string): Promise<boolean> {
    return ((await this.db.delete(watcherMutes).where(and(eq(watcherMutes.cluster, cluster), eq(watcherMutes.service, service)))).rowCount ?? 0) > 0;
  }

  /** The mute in force for a service. */
  async activeMute(cluster: string, service: string, now: number): Promise<Mute | null> {
    const [r] = await this.db
      .select()
      .from(watcherMutes)
      .where(and(eq(watcherMutes.cluster, cluster), eq(watcherMutes.service, service), gt(watcherMutes.until, now)));
    return r ?? null;
  }

  /** Every mute in force. */
  async activeMutes(now: number): Promise<Mute[]> {
    return this.db.select().from(watcherMutes).where(gt(watcherMutes.until, now)).orderBy(asc(watcherMutes.until));
  }

  /** A tracked condition. */
  async condition(key: string): Promise<WatchCondition | null> {
    const [r] = await this.db.select().from(watcherConditions).where(and(eq(watcherConditions.world, this.world), eq(watcherConditions.key, key)));
    return r ? toCondition(r) : null;
  }

  /** Conditions by key prefix. */
  async conditions(prefix: string): Promise<WatchCondition[]> {
    const rows = await this.db
      .select()
      .from(watcherConditions)
      .where(and(eq(watcherConditions.world, this.world), sql`left(${watcherConditions.key}, ${prefix.length}::int) = ${prefix}`));
    return rows.map(toCondition);
  }
}
