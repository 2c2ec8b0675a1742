/**
 * The coordination stores on PostgreSQL, where several replicas share them: every "exactly once" is
 * one statement (INSERT … ON CONFLICT, UPDATE … WHERE state = 'pending' RETURNING, FOR UPDATE SKIP
 * LOCKED), so two replicas racing get one winner without application locks. Leadership is a session
 * advisory lock held on a connection of its own, which ends with the process, SIGKILL included.
 */
import { and, eq, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
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
} from '../../ports/coordination.ts';
import { kindFilter } from '../coordination.ts';
import type { PgDb } from './client.ts';
import { claims, confirmations, jobs, slackThreads } from './schema.ts';

/** Inbound id claims on PostgreSQL. */
export class PgClaims implements Claims {
  constructor(private readonly db: PgDb) {}

  /** Claims a key; an ended claim of the same key is taken over. */
  async claim(key: string, at: number, ttlMs: number): Promise<boolean> {
    const rows = await this.db
      .insert(claims)
      .values({ key, claimedAt: at, expiresAt: at + ttlMs })
      .onConflictDoUpdate({ target: claims.key, set: { claimedAt: at, expiresAt: at + ttlMs }, setWhere: lte(claims.expiresAt, at) })
      .returning({ key: claims.key });
    return rows.length === 1;
  }

  /** Forgets ended claims. */
  async prune(at: number): Promise<number> {
    return (await this.db.delete(claims).where(lte(claims.expiresAt, at)).returning({ key: claims.key })).length;
  }
}

type ConfirmationRow = typeof confirmations.$inferSelect;

function toConfirmation(r: ConfirmationRow): StoredConfirmation {
  return { ...r, caller: JSON.parse(r.caller) as StoredCaller, state: r.state as ConfirmationState };
}

/** Pending confirmations on PostgreSQL. */
export class PgConfirmations implements Confirmations {
  constructor(private readonly db: PgDb) {}

  /** Stores a pending confirmation. */
  async save(c: Omit<StoredConfirmation, 'state'>): Promise<void> {
    await this.db.insert(confirmations).values({ ...c, caller: JSON.stringify(c.caller), state: 'pending' });
  }

  /** A confirmation by token. */
  async get(token: string): Promise<StoredConfirmation | undefined> {
    const [r] = await this.db.select().from(confirmations).where(eq(confirmations.token, token));
    return r ? toConfirmation(r) : undefined;
  }

  /** Answers a pending confirmation once: the row lock makes a second press find it answered. */
  async take(token: string, at: number): Promise<boolean> {
    const rows = await this.db
      .update(confirmations)
      .set({ state: 'answered' })
      .where(and(eq(confirmations.token, token), eq(confirmations.state, 'pending'), sql`${confirmations.expiresAt} > ${at}`))
      .returning({ token: confirmations.token });
    return rows.length === 1;
  }

  /** Expires what is due, each row once. */
  async expireDue(at: number): Promise<StoredConfirmation[]> {
    return this.expireWhere(lte(confirmations.expiresAt, at));
  }

  /** Expires everything pending. */
  async expireAll(): Promise<StoredConfirmation[]> {
    return this.expireWhere(undefined);
  }

  private async expireWhere(due: SQL | undefined): Promise<StoredConfirmation[]> {
    const where = due ? and(eq(confirmations.state, 'pending'), due) : eq(confirmations.state, 'pending');
    return (await this.db.update(confirmations).set({ state: 'expired' }).where(where).returning()).map(toConfirmation);
  }

  /** Forgets old answered and expired confirmations. */
  async prune(before: number): Promise<number> {
    return (
      await this.db
        .delete(confirmations)
        .where(and(inArray(confirmations.state, ['answered', 'expired']), lt(confirmations.expiresAt, before)))
        .returning({ token: confirmations.token })
    ).length;
  }
}

type JobRow = typeof jobs.$inferSelect;

function toJob(r: JobRow): JobRecord {
  return { ...r, args: JSON.parse(r.args) as Record<string, unknown>, handle: JSON.parse(r.handle) as ConversationHandle, state: r.state as JobState };
}

/** Follow-up jobs on PostgreSQL. */
export class PgJobs implements Jobs {
  constructor(private readonly db: PgDb) {}

  /** Records a running job. */
  async create(job: Omit<JobRecord, 'state' | 'stopRequested'>): Promise<void> {
    await this.db.insert(jobs).values({ ...job, args: JSON.stringify(job.args), handle: JSON.stringify(job.handle), state: 'running', stopRequested: false });
  }

  /** A job by id. */
  async get(id: string): Promise<JobRecord | undefined> {
    const [r] = await this.db.select().from(jobs).where(eq(jobs.id, id));
    return r ? toJob(r) : undefined;
  }

  /** Renews the owner's running jobs. */
  async renew(owner: string, ids: readonly string[], until: number): Promise<Array<{ id: string; stopRequested: boolean }>> {
    if (ids.length === 0) return [];
    return this.db
      .update(jobs)
      .set({ leaseUntil: until })
      .where(and(inArray(jobs.id, [...ids]), eq(jobs.owner, owner), eq(jobs.state, 'running')))
      .returning({ id: jobs.id, stopRequested: jobs.stopRequested });
  }

  /** Ends a job the owner holds. */
  async finish(id: string, owner: string, state: Exclude<JobState, 'running'>): Promise<void> {
    await this.db.update(jobs).set({ state }).where(and(eq(jobs.id, id), eq(jobs.owner, owner), eq(jobs.state, 'running')));
  }

  /** Takes over jobs whose lease ended: rows another taker has locked are skipped, so each goes to one replica. */
  async takeOver(owner: string, at: number, until: number, limit: number, kinds?: JobKinds): Promise<JobRecord[]> {
    const due = this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.state, 'running'), lte(jobs.leaseUntil, at), kindFilter(jobs.kind, kinds)))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(jobs)
      .set({ owner, leaseUntil: until })
      .where(and(inArray(jobs.id, due), eq(jobs.state, 'running'), lte(jobs.leaseUntil, at)))
      .returning();
    return rows.map(toJob);
  }

  /** Asks a channel's running jobs to stop. */
  async requestStop(channelKey: string, service: string | null, kinds: readonly string[]): Promise<number> {
    const rows = await this.db
      .update(jobs)
      .set({ stopRequested: true })
      .where(and(eq(jobs.channelKey, channelKey), eq(jobs.state, 'running'), inArray(jobs.kind, [...kinds]), service === null ? undefined : eq(jobs.service, service)))
      .returning({ id: jobs.id });
    return rows.length;
  }

  /** A channel's running jobs of some kinds. */
  async running(channelKey: string, kinds: readonly string[]): Promise<JobRecord[]> {
    const rows = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.channelKey, channelKey), eq(jobs.state, 'running'), eq(jobs.stopRequested, false), inArray(jobs.kind, [...kinds])));
    return rows.map(toJob);
  }

  /** Forgets old finished jobs. */
  async prune(before: number): Promise<number> {
    return (
      await this.db
        .delete(jobs)
        .where(and(or(eq(jobs.state, 'done'), eq(jobs.state, 'stopped')), lt(jobs.createdAt, before)))
        .returning({ id: jobs.id })
    ).length;
  }
}

/** Slack's thread map on PostgreSQL. */
export class PgThreadMap implements ThreadMap {
  constructor(private readonly db: PgDb) {}

  /** Remembers a thread parent (the newest wins). */
  async remember(channelId: string, key: string, ts: string, at: number): Promise<void> {
    await this.db.insert(slackThreads).values({ channelId, key, ts, at }).onConflictDoUpdate({ target: [slackThreads.channelId, slackThreads.key], set: { ts, at } });
  }

  /** A thread parent. */
  async find(channelId: string, key: string): Promise<string | undefined> {
    const [r] = await this.db.select({ ts: slackThreads.ts }).from(slackThreads).where(and(eq(slackThreads.channelId, channelId), eq(slackThreads.key, key)));
    return r?.ts;
  }

  /** Forgets old threads. */
  async prune(before: number): Promise<number> {
    return (await this.db.delete(slackThreads).where(lt(slackThreads.at, before)).returning({ ts: slackThreads.ts })).length;
  }
}

/** The advisory lock key of the leader ("lead" in ASCII); the migration lock uses another. */
export const LEADER_LOCK_KEY = 0x6c656164;

/**
 * Leadership as a session advisory lock on a connection of its own: PostgreSQL releases it when that
 * session ends, so a leader killed with SIGKILL (its socket closed by the kernel) frees it at once,
 * and TCP keepalive ends a session whose host vanished.
 */
export class PgLeadership implements Leadership {
  private client: pg.Client | undefined;
  private held = false;
  private broken = false;

  constructor(
    private readonly url: string,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {}

  /** Takes the lock when free, or checks that the session holding it is still alive. */
  async acquire(): Promise<boolean> {
    if (this.broken) await this.reset();
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
      // A dropped session loses the lock with it: note it, and start again on the next try.
      client.on('error', (e) => {
        this.broken = true;
        this.onError(e);
      });
      await client.connect();
      this.client = client;
    }
    try {
      if (this.held) {
        await this.client.query('select 1');
        return true;
      }
      const r = await this.client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [LEADER_LOCK_KEY]);
      this.held = r.rows[0]?.ok === true;
      return this.held;
    } catch (e) {
      await this.reset();
      throw e;
    }
  }

  /** Ends the session, which releases the lock for the next leader. */
  async release(): Promise<void> {
    await this.reset();
  }

  private async reset(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.held = false;
    this.broken = false;
    await c?.end().catch(() => undefined);
  }
}

/** Every coordination store on one PostgreSQL database; leadership on a connection of its own to `url`. */
export function pgCoordination(db: PgDb, url: string, onLeaderConnectionError?: (e: Error) => void): Coordination {
  return {
    claims: new PgClaims(db),
    confirmations: new PgConfirmations(db),
    jobs: new PgJobs(db),
    threads: new PgThreadMap(db),
    leadership: new PgLeadership(url, onLeaderConnectionError),
  };
}
