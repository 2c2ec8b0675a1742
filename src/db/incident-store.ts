import { and, asc, desc, eq, gt, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import type { CrashRecord, Incident, IncidentStore, Mute, WatchCondition } from '../ports/incident-store.ts';
import type { CrashRef, WriteGuard, WriteSet, WriteSetResult } from '../ports/write-set.ts';
import type { Db } from './client.ts';
import { insertOutboxMessage } from './outbox.ts';
import { outbox, watcherConditions, watcherCrashes, watcherHandledTasks, watcherIncidents, watcherMutes } from './watcher-schema.ts';

/** A stored incident row as the port's Incident (PostgreSQL's rows have the same shape). */
export function toIncident(r: typeof watcherIncidents.$inferSelect): Incident {
  const i: Incident = {
    id: r.id,
    cluster: r.cluster,
    service: r.service,
    openedAt: r.openedAt,
    firstCrashAt: r.firstCrashAt,
    lastCrashAt: r.lastCrashAt,
    crashes: r.crashes,
    lastReason: r.lastReason,
    status: r.status === 'recovered' ? 'recovered' : 'open',
  };
  if (r.lastExitCode !== null) i.lastExitCode = r.lastExitCode;
  if (r.recoveredAt !== null) i.recoveredAt = r.recoveredAt;
  return i;
}

/** The columns an incident update writes (PostgreSQL's table has the same ones). */
export function incidentChanges(i: Incident) {
  return {
    firstCrashAt: i.firstCrashAt,
    lastCrashAt: i.lastCrashAt,
    crashes: i.crashes,
    lastReason: i.lastReason,
    lastExitCode: i.lastExitCode ?? null,
    status: i.status,
    recoveredAt: i.recoveredAt ?? null,
  };
}

/** A stored crash row as the port's CrashRecord (PostgreSQL's rows have the same shape). */
export function toCrash(r: typeof watcherCrashes.$inferSelect): CrashRecord {
  const c: CrashRecord = { id: r.id, cluster: r.cluster, service: r.service, taskArn: r.taskArn, taskId: r.taskId, kind: r.kind, at: r.at, reason: r.reason };
  if (r.exitCode !== null) c.exitCode = r.exitCode;
  if (r.incidentId !== null) c.incidentId = r.incidentId;
  return c;
}

/** Thrown inside the transaction to roll a write set back when one of its guards fails. */
class GuardFailed extends Error {
  constructor(readonly guard: WriteGuard['op']) {
    super(`write set stopped by its ${guard} guard`);
  }
}

/** A stored condition row as the port's WatchCondition (PostgreSQL's rows have the same shape). */
export function toCondition(r: typeof watcherConditions.$inferSelect): WatchCondition {
  const c: WatchCondition = { key: r.key, cluster: r.cluster, service: r.service, since: r.since, detail: r.detail };
  if (r.alertedAt !== null) c.alertedAt = r.alertedAt;
  return c;
}

/** The crash watcher's memory in SQLite. */
export class SqliteIncidentStore implements IncidentStore {
  private readonly db: Db;
  private readonly sqlite: Database.Database;
  /** The sandbox world this store reads and writes ('' for AWS itself). */
  readonly world: string;

  constructor(database: { db: Db; sqlite: Database.Database }, world = '') {
    this.db = database.db;
    this.sqlite = database.sqlite;
    this.world = world;
  }

  /**
   * Applies a write set in one IMMEDIATE transaction (the write lock is taken before the first
   * read, so a guard's check and the writes after it see no other writer in between).
   */
  async apply(writes: WriteSet): Promise<WriteSetResult> {
    try {
      return this.sqlite.transaction(() => this.applyAll(writes)).immediate();
    } catch (e) {
      if (e instanceof GuardFailed) return { applied: false, guard: e.guard };
      throw e;
    }
  }

  private applyAll(writes: WriteSet): WriteSetResult {
    let enqueued = 0;
    for (const w of writes) {
      switch (w.op) {
        case 'claimTask': {
          const r = this.db.insert(watcherHandledTasks).values({ world: this.world, cluster: w.cluster, taskArn: w.taskArn, handledAt: w.at }).onConflictDoNothing().run();
          if (r.changes === 0) throw new GuardFailed('claimTask');
          break;
        }
        case 'openIncident': {
          const open = this.openIncidentNow(w.cluster, w.service);
          if ((open?.id ?? null) !== w.id || (open && w.crashes !== undefined && open.crashes !== w.crashes)) throw new GuardFailed('openIncident');
          break;
        }
        case 'recordCrash': {
          const c = w.crash;
          this.db
            .insert(watcherCrashes)
            .values({ ...c, world: this.world, exitCode: c.exitCode ?? null, incidentId: c.incidentId ?? null })
            .onConflictDoNothing()
            .run();
          break;
        }
        case 'createIncident': {
          const i = w.incident;
          this.db
            .insert(watcherIncidents)
            .values({ ...i, world: this.world, lastExitCode: i.lastExitCode ?? null, recoveredAt: i.recoveredAt ?? null })
            .run();
          for (const ref of w.crashes) this.attach(ref, i.id);
          break;
        }
        case 'updateIncident': {
          const i = w.incident;
          this.db
            .update(watcherIncidents)
            .set(incidentChanges(i))
            .where(eq(watcherIncidents.id, i.id))
            .run();
          break;
        }
        case 'attachCrash':
          this.attach(w.crash, w.incidentId);
          break;
        case 'putCondition': {
          const values = { ...w.condition, world: this.world, alertedAt: w.condition.alertedAt ?? null };
          this.db.insert(watcherConditions).values(values).onConflictDoUpdate({ target: watcherConditions.key, set: values }).run();
          break;
        }
        case 'deleteCondition':
          this.db.delete(watcherConditions).where(eq(watcherConditions.key, w.key)).run();
          break;
        case 'enqueue':
          if (insertOutboxMessage(this.db, w.message, w.now, this.world)) enqueued++;
          break;
      }
    }
    return { applied: true, enqueued };
  }

  private attach(ref: CrashRef, incidentId: string): void {
    const which = typeof ref === 'number' ? eq(watcherCrashes.id, ref) : and(eq(watcherCrashes.world, this.world), eq(watcherCrashes.taskArn, ref.taskArn));
    this.db.update(watcherCrashes).set({ incidentId }).where(which).run();
  }

  private openIncidentNow(cluster: string, service: string): Incident | null {
    const r = this.db
      .select()
      .from(watcherIncidents)
      .where(and(eq(watcherIncidents.world, this.world), eq(watcherIncidents.cluster, cluster), eq(watcherIncidents.service, service), eq(watcherIncidents.status, 'open')))
      .get();
    return r ? toIncident(r) : null;
  }

  /** Which of these task ARNs were handled already. */
  async handledAmong(cluster: string, taskArns: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < taskArns.length; i += 500) {
      const part = taskArns.slice(i, i + 500);
      const rows = this.db
        .select({ arn: watcherHandledTasks.taskArn })
        .from(watcherHandledTasks)
        .where(and(eq(watcherHandledTasks.world, this.world), eq(watcherHandledTasks.cluster, cluster), inArray(watcherHandledTasks.taskArn, part)))
        .all();
      for (const r of rows) out.add(r.arn);
    }
    return out;
  }

  /** Forgets every row another sandbox world left behind (the watcher does this when it starts). */
  async pruneOtherWorlds(): Promise<number> {
    return this.sqlite.transaction(() =>
      [watcherHandledTasks, watcherCrashes, watcherIncidents, watcherConditions, outbox].reduce((n, t) => n + this.db.delete(t).where(ne(t.world, this.world)).run().changes, 0),
    )();
  }

  /** Forgets handled tasks older than `before`. */
  async pruneHandled(before: number): Promise<number> {
    return this.db.delete(watcherHandledTasks).where(lt(watcherHandledTasks.handledAt, before)).run().changes;
  }

  /** Forgets crashes that stopped before `before`. */
  async pruneCrashes(before: number): Promise<number> {
    return this.db.delete(watcherCrashes).where(lt(watcherCrashes.at, before)).run().changes;
  }

  /** Crashes of a service since a time, oldest first. */
  async crashesSince(cluster: string, service: string, since: number): Promise<CrashRecord[]> {
    return this.db
      .select()
      .from(watcherCrashes)
      .where(and(eq(watcherCrashes.world, this.world), eq(watcherCrashes.cluster, cluster), eq(watcherCrashes.service, service), gte(watcherCrashes.at, since)))
      .orderBy(asc(watcherCrashes.at), asc(watcherCrashes.id))
      .all()
      .map(toCrash);
  }

  /** The open incident of a service. */
  async openIncident(cluster: string, service: string): Promise<Incident | null> {
    return this.openIncidentNow(cluster, service);
  }

  /** Every open incident, oldest first. */
  async openIncidents(): Promise<Incident[]> {
    return this.db.select().from(watcherIncidents).where(and(eq(watcherIncidents.world, this.world), eq(watcherIncidents.status, 'open'))).orderBy(asc(watcherIncidents.openedAt)).all().map(toIncident);
  }

  /** Incidents that recovered since a time, newest first. */
  async recoveredSince(since: number): Promise<Incident[]> {
    return this.db
      .select()
      .from(watcherIncidents)
      .where(and(eq(watcherIncidents.world, this.world), eq(watcherIncidents.status, 'recovered'), gte(watcherIncidents.recoveredAt, since)))
      .orderBy(desc(watcherIncidents.recoveredAt))
      .all()
      .map(toIncident);
  }

  /** Mutes a service. */
  async mute(m: Mute): Promise<void> {
    this.db
      .insert(watcherMutes)
      .values(m)
      .onConflictDoUpdate({ target: [watcherMutes.cluster, watcherMutes.service], set: { until: m.until, by: m.by, at: m.at } })
      .run();
  }

  /** Ends a mute. */
  async unmute(cluster: string, service: string): Promise<boolean> {
    return this.db.delete(watcherMutes).where(and(eq(watcherMutes.cluster, cluster), eq(watcherMutes.service, service))).run().changes > 0;
  }

  /** The mute in force for a service. */
  async activeMute(cluster: string, service: string, now: number): Promise<Mute | null> {
    return (
      this.db
        .select()
        .from(watcherMutes)
        .where(and(eq(watcherMutes.cluster, cluster), eq(watcherMutes.service, service), gt(watcherMutes.until, now)))
        .get() ?? null
    );
  }

  /** Every mute in force. */
  async activeMutes(now: number): Promise<Mute[]> {
    return this.db.select().from(watcherMutes).where(gt(watcherMutes.until, now)).orderBy(asc(watcherMutes.until)).all();
  }

  /** A tracked condition. */
  async condition(key: string): Promise<WatchCondition | null> {
    const r = this.db.select().from(watcherConditions).where(and(eq(watcherConditions.world, this.world), eq(watcherConditions.key, key))).get();
    return r ? toCondition(r) : null;
  }

  /** Conditions by key prefix. */
  async conditions(prefix: string): Promise<WatchCondition[]> {
    return this.db
      .select()
      .from(watcherConditions)
      .where(and(eq(watcherConditions.world, this.world), sql`substr(${watcherConditions.key}, 1, ${prefix.length}) = ${prefix}`))
      .all()
      .map(toCondition);
  }
}
