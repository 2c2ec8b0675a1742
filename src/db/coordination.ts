import { and, eq, inArray, lt, lte, notInArray, or, sql, type Column, type SQL } from 'drizzle-orm';
import type {
  Claims,
  ConfirmationState,
  Confirmations,
  ConversationHandle,
  Coordination,
  JobKinds,
  JobRecord,
  JobState,
  Jobs,
  Leadership,
  StoredCaller,
  StoredConfirmation,
  ThreadMap,
} from '../ports/coordination.ts';
import type { Db } from './client.ts';
import { claims, confirmations, jobs, slackThreads } from './schema.ts';

/** Inbound id claims in SQLite. */
export class SqliteClaims implements Claims {
  constructor(private readonly db: Db) {}

  /** Claims a key; an expired claim of the same key is taken over. */
  async claim(key: string, at: number, ttlMs: number): Promise<boolean> {
    const r = this.db
      .insert(claims)
      .values({ key, claimedAt: at, expiresAt: at + ttlMs })
      .onConflictDoUpdate({ target: claims.key, set: { claimedAt: at, expiresAt: at + ttlMs }, setWhere: lte(claims.expiresAt, at) })
      .run();
    return r.changes === 1;
  }

  /** Forgets ended claims. */
  async prune(at: number): Promise<number> {
    return this.db.delete(claims).where(lte(claims.expiresAt, at)).run().changes;
  }
}

type ConfirmationRow = typeof confirmations.$inferSelect;

function toConfirmation(r: ConfirmationRow): StoredConfirmation {
  return { ...r, caller: JSON.parse(r.caller) as StoredCaller, state: r.state as ConfirmationState };
}

/** Pending confirmations in SQLite; one process, so each statement is already atomic. */
export class SqliteConfirmations implements Confirmations {
  constructor(private readonly db: Db) {}

  /** Stores a pending confirmation. */
  async save(c: Omit<StoredConfirmation, 'state'>): Promise<void> {
    this.db.insert(confirmations).values({ ...c, caller: JSON.stringify(c.caller), state: 'pending' }).run();
  }

  /** A confirmation by token. */
  async get(token: string): Promise<StoredConfirmation | undefined> {
    const r = this.db.select().from(confirmations).where(eq(confirmations.token, token)).get();
    return r ? toConfirmation(r) : undefined;
  }

  /** Answers a pending confirmation once. */
  async take(token: string, at: number): Promise<boolean> {
    const r = this.db
      .update(confirmations)
      .set({ state: 'answered' })
      .where(and(eq(confirmations.token, token), eq(confirmations.state, 'pending'), sql`${confirmations.expiresAt} > ${at}`))
      .run();
    return r.changes === 1;
  }

  /** Expires what is due. */
  async expireDue(at: number): Promise<StoredConfirmation[]> {
    return this.expireWhere(lte(confirmations.expiresAt, at));
  }

  /** Expires everything pending. */
  async expireAll(): Promise<StoredConfirmation[]> {
    return this.expireWhere(undefined);
  }

  private expireWhere(due: SQL | undefined): StoredConfirmation[] {
    const where = due ? and(eq(confirmations.state, 'pending'), due) : eq(confirmations.state, 'pending');
    const rows = this.db.update(confirmations).set({ state: 'expired' }).where(where).returning().all();
    return rows.map(toConfirmation);
  }

  /** Forgets old answered and expired confirmations. */
  async prune(before: number): Promise<number> {
    return this.db
      .delete(confirmations)
      .where(and(inArray(confirmations.state, ['answered', 'expired']), lt(confirmations.expiresAt, before)))
      .run().changes;
  }
}

type JobRow = typeof jobs.$inferSelect;

function toJob(r: JobRow): JobRecord {
  return { ...r, args: JSON.parse(r.args) as Record<string, unknown>, handle: JSON.parse(r.handle) as ConversationHandle, state: r.state as JobState };
}

/** Follow-up jobs in SQLite. */
export class SqliteJobs implements Jobs {
  constructor(private readonly db: Db) {}

  /** Records a running job. */
  async create(job: Omit<JobRecord, 'state' | 'stopRequested'>): Promise<void> {
    this.db.insert(jobs).values({ ...job, args: JSON.stringify(job.args), handle: JSON.stringify(job.handle), state: 'running', stopRequested: false }).run();
  }

  /** A job by id. */
  async get(id: string): Promise<JobRecord | undefined> {
    const r = this.db.select().from(jobs).where(eq(jobs.id, id)).get();
    return r ? toJob(r) : undefined;
  }

  /** Renews the owner's running jobs. */
  async renew(owner: string, ids: readonly string[], until: number): Promise<Array<{ id: string; stopRequested: boolean }>> {
    if (ids.length === 0) return [];
    return this.db
      .update(jobs)
      .set({ leaseUntil: until })
      .where(and(inArray(jobs.id, [...ids]), eq(jobs.owner, owner), eq(jobs.state, 'running')))
      .returning({ id: jobs.id, stopRequested: jobs.stopRequested })
      .all();
  }

  /** Ends a job the owner holds. */
  async finish(id: string, owner: string, state: Exclude<JobState, 'running'>): Promise<void> {
    this.db.update(jobs).set({ state }).where(and(eq(jobs.id, id), eq(jobs.owner, owner), eq(jobs.state, 'running'))).run();
  }

  /** Takes over jobs whose lease ended. */
  async takeOver(owner: string, at: number, until: number, limit: number, kinds?: JobKinds): Promise<JobRecord[]> {
    return this.db.transaction((tx) => {
      const due = tx
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.state, 'running'), lte(jobs.leaseUntil, at), kindFilter(jobs.kind, kinds)))
        .limit(limit)
        .all()
        .map((r) => r.id);
      if (due.length === 0) return [];
      return tx
        .update(jobs)
        .set({ owner, leaseUntil: until })
        .where(and(inArray(jobs.id, due), eq(jobs.state, 'running'), lte(jobs.leaseUntil, at)))
        .returning()
        .all()
        .map(toJob);
    });
  }

  /** Asks a channel's running jobs to stop. */
  async requestStop(channelKey: string, service: string | null, kinds: readonly string[]): Promise<number> {
    return this.db
      .update(jobs)
      .set({ stopRequested: true })
      .where(and(eq(jobs.channelKey, channelKey), eq(jobs.state, 'running'), inArray(jobs.kind, [...kinds]), service === null ? undefined : eq(jobs.service, service)))
      .run().changes;
  }

  /** A channel's running jobs of some kinds. */
  async running(channelKey: string, kinds: readonly string[]): Promise<JobRecord[]> {
    return this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.channelKey, channelKey), eq(jobs.state, 'running'), eq(jobs.stopRequested, false), inArray(jobs.kind, [...kinds])))
      .all()
      .map(toJob);
  }

  /** Forgets old finished jobs. */
  async prune(before: number): Promise<number> {
    return this.db
      .delete(jobs)
      .where(and(or(eq(jobs.state, 'done'), eq(jobs.state, 'stopped')), lt(jobs.createdAt, before)))
      .run().changes;
  }
}

/** Slack's thread map in SQLite. */
export class SqliteThreadMap implements ThreadMap {
  constructor(private readonly db: Db) {}

  /** Remembers a thread parent (the newest wins). */
  async remember(channelId: string, key: string, ts: string, at: number): Promise<void> {
    this.db.insert(slackThreads).values({ channelId, key, ts, at }).onConflictDoUpdate({ target: [slackThreads.channelId, slackThreads.key], set: { ts, at } }).run();
  }

  /** A thread parent. */
  async find(channelId: string, key: string): Promise<string | undefined> {
    return this.db.select({ ts: slackThreads.ts }).from(slackThreads).where(and(eq(slackThreads.channelId, channelId), eq(slackThreads.key, key))).get()?.ts;
  }

  /** Forgets old threads. */
  async prune(before: number): Promise<number> {
    return this.db.delete(slackThreads).where(lt(slackThreads.at, before)).run().changes;
  }
}

/**
 * SQLite serves one process (the replica lock in process-lock.ts refuses a second server), so
 * that process leads from the start and for as long as it runs.
 */
export class SingleProcessLeadership implements Leadership {
  private held = true;

  /** Always leads while it has not let go. */
  async acquire(): Promise<boolean> {
    return this.held;
  }

  /** Lets go on a clean stop. */
  async release(): Promise<void> {
    this.held = false;
  }
}

/** Every coordination store on one SQLite database. */
export function sqliteCoordination(db: Db): Coordination {
  return {
    claims: new SqliteClaims(db),
    confirmations: new SqliteConfirmations(db),
    jobs: new SqliteJobs(db),
    threads: new SqliteThreadMap(db),
    leadership: new SingleProcessLeadership(),
  };
}

/** The take-over's condition on a job's kind column, in either dialect (none when every kind is considered). */
export function kindFilter(kind: Column, kinds: JobKinds | undefined): SQL | undefined {
  if (!kinds) return undefined;
  if ('only' in kinds) return kinds.only.length ? inArray(kind, [...kinds.only]) : sql`1 = 0`;
  return kinds.except.length ? notInArray(kind, [...kinds.except]) : undefined;
}
