import { and, asc, desc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import type { CrashRecord, Incident, IncidentStore, Mute, WatchCondition } from '../ports/incident-store.ts';
import type { Db } from './client.ts';
import { watcherConditions, watcherCrashes, watcherHandledTasks, watcherIncidents, watcherMutes } from './watcher-schema.ts';

function toIncident(r: typeof watcherIncidents.$inferSelect): Incident {
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

function toCrash(r: typeof watcherCrashes.$inferSelect): CrashRecord {
  const c: CrashRecord = { id: r.id, cluster: r.cluster, service: r.service, taskArn: r.taskArn, taskId: r.taskId, kind: r.kind, at: r.at, reason: r.reason };
  if (r.exitCode !== null) c.exitCode = r.exitCode;
  if (r.incidentId !== null) c.incidentId = r.incidentId;
  return c;
}

function toCondition(r: typeof watcherConditions.$inferSelect): WatchCondition {
  const c: WatchCondition = { key: r.key, cluster: r.cluster, service: r.service, since: r.since, detail: r.detail };
  if (r.alertedAt !== null) c.alertedAt = r.alertedAt;
  return c;
}

/** The crash watcher's memory in SQLite. */
export class SqliteIncidentStore implements IncidentStore {
  private readonly db: Db;
  private readonly sqlite: Database.Database;

  constructor(database: { db: Db; sqlite: Database.Database }) {
    this.db = database.db;
    this.sqlite = database.sqlite;
  }

  /** Runs `fn` in one SQLite transaction (a savepoint when nested). */
  atomically<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  /** Which of these task ARNs were handled already. */
  handledAmong(cluster: string, taskArns: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < taskArns.length; i += 500) {
      const part = taskArns.slice(i, i + 500);
      const rows = this.db
        .select({ arn: watcherHandledTasks.taskArn })
        .from(watcherHandledTasks)
        .where(and(eq(watcherHandledTasks.cluster, cluster), inArray(watcherHandledTasks.taskArn, part)))
        .all();
      for (const r of rows) out.add(r.arn);
    }
    return out;
  }

  /** Records a stopped task as handled. */
  markHandled(cluster: string, taskArn: string, at: number): void {
    this.db.insert(watcherHandledTasks).values({ cluster, taskArn, handledAt: at }).onConflictDoNothing().run();
  }

  /** Forgets handled tasks older than `before`. */
  pruneHandled(before: number): number {
    return this.db.delete(watcherHandledTasks).where(lt(watcherHandledTasks.handledAt, before)).run().changes;
  }

  /** Forgets crashes that stopped before `before`. */
  pruneCrashes(before: number): number {
    return this.db.delete(watcherCrashes).where(lt(watcherCrashes.at, before)).run().changes;
  }

  /** Records a crash (once per task); returns its id. */
  recordCrash(c: Omit<CrashRecord, 'id'>): number {
    this.db
      .insert(watcherCrashes)
      .values({ ...c, exitCode: c.exitCode ?? null, incidentId: c.incidentId ?? null })
      .onConflictDoNothing()
      .run();
    const row = this.db.select({ id: watcherCrashes.id }).from(watcherCrashes).where(eq(watcherCrashes.taskArn, c.taskArn)).get();
    return row?.id ?? 0;
  }

  /** Crashes of a service since a time, oldest first. */
  crashesSince(cluster: string, service: string, since: number): CrashRecord[] {
    return this.db
      .select()
      .from(watcherCrashes)
      .where(and(eq(watcherCrashes.cluster, cluster), eq(watcherCrashes.service, service), gte(watcherCrashes.at, since)))
      .orderBy(asc(watcherCrashes.at), asc(watcherCrashes.id))
      .all()
      .map(toCrash);
  }

  /** The open incident of a service. */
  openIncident(cluster: string, service: string): Incident | null {
    const r = this.db
      .select()
      .from(watcherIncidents)
      .where(and(eq(watcherIncidents.cluster, cluster), eq(watcherIncidents.service, service), eq(watcherIncidents.status, 'open')))
      .get();
    return r ? toIncident(r) : null;
  }

  /** Every open incident, oldest first. */
  openIncidents(): Incident[] {
    return this.db.select().from(watcherIncidents).where(eq(watcherIncidents.status, 'open')).orderBy(asc(watcherIncidents.openedAt)).all().map(toIncident);
  }

  /** Incidents that recovered since a time, newest first. */
  recoveredSince(since: number): Incident[] {
    return this.db
      .select()
      .from(watcherIncidents)
      .where(and(eq(watcherIncidents.status, 'recovered'), gte(watcherIncidents.recoveredAt, since)))
      .orderBy(desc(watcherIncidents.recoveredAt))
      .all()
      .map(toIncident);
  }

  /** Stores a new incident and ties crashes to it. */
  createIncident(i: Incident, crashIds: readonly number[]): void {
    this.db
      .insert(watcherIncidents)
      .values({ ...i, lastExitCode: i.lastExitCode ?? null, recoveredAt: i.recoveredAt ?? null })
      .run();
    if (crashIds.length > 0) this.db.update(watcherCrashes).set({ incidentId: i.id }).where(inArray(watcherCrashes.id, [...crashIds])).run();
  }

  /** Saves an incident's span, counts or status. */
  updateIncident(i: Incident): void {
    this.db
      .update(watcherIncidents)
      .set({
        firstCrashAt: i.firstCrashAt,
        lastCrashAt: i.lastCrashAt,
        crashes: i.crashes,
        lastReason: i.lastReason,
        lastExitCode: i.lastExitCode ?? null,
        status: i.status,
        recoveredAt: i.recoveredAt ?? null,
      })
      .where(eq(watcherIncidents.id, i.id))
      .run();
  }

  /** Ties a crash to an incident. */
  attachCrash(crashId: number, incidentId: string): void {
    this.db.update(watcherCrashes).set({ incidentId }).where(eq(watcherCrashes.id, crashId)).run();
  }

  /** Mutes a service. */
  mute(m: Mute): void {
    this.db
      .insert(watcherMutes)
      .values(m)
      .onConflictDoUpdate({ target: [watcherMutes.cluster, watcherMutes.service], set: { until: m.until, by: m.by, at: m.at } })
      .run();
  }

  /** Ends a mute. */
  unmute(cluster: string, service: string): boolean {
    return this.db.delete(watcherMutes).where(and(eq(watcherMutes.cluster, cluster), eq(watcherMutes.service, service))).run().changes > 0;
  }

  /** The mute in force for a service. */
  activeMute(cluster: string, service: string, now: number): Mute | null {
    return (
      this.db
        .select()
        .from(watcherMutes)
        .where(and(eq(watcherMutes.cluster, cluster), eq(watcherMutes.service, service), gt(watcherMutes.until, now)))
        .get() ?? null
    );
  }

  /** Every mute in force. */
  activeMutes(now: number): Mute[] {
    return this.db.select().from(watcherMutes).where(gt(watcherMutes.until, now)).orderBy(asc(watcherMutes.until)).all();
  }

  /** A tracked condition. */
  condition(key: string): WatchCondition | null {
    const r = this.db.select().from(watcherConditions).where(eq(watcherConditions.key, key)).get();
    return r ? toCondition(r) : null;
  }

  /** Conditions by key prefix. */
  conditions(prefix: string): WatchCondition[] {
    return this.db
      .select()
      .from(watcherConditions)
      .where(sql`substr(${watcherConditions.key}, 1, ${prefix.length}) = ${prefix}`)
      .all()
      .map(toCondition);
  }

  /** Stores a condition. */
  putCondition(c: WatchCondition): void {
    const values = { ...c, alertedAt: c.alertedAt ?? null };
    this.db.insert(watcherConditions).values(values).onConflictDoUpdate({ target: watcherConditions.key, set: values }).run();
  }

  /** Forgets a condition. */
  deleteCondition(key: string): void {
    this.db.delete(watcherConditions).where(eq(watcherConditions.key, key)).run();
  }
}
