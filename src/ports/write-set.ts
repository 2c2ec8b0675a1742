/**
 * The watcher's transactions as data. better-sqlite3 cannot await inside a transaction, so the
 * watcher decides first (every read awaited up front), then hands the complete list of writes —
 * incident-store writes and outbox enqueues together — to ONE `IncidentStore.apply()` call, which
 * applies them all or none: SQLite as one synchronous (IMMEDIATE) transaction, PostgreSQL as one
 * BEGIN … COMMIT. No other I/O happens inside.
 *
 * A set may contain guards. A guard that does not hold rolls the whole set back (nothing of it is
 * written, also not what came before the guard) and `apply()` reports which guard stopped it, so:
 * - `claimTask` first makes two watchers racing on one stopped task (two leaders during a
 *   hand-over) write its crash, incident update and alert exactly once: the loser writes nothing;
 * - `openIncident` turns a decision taken on stale reads (another watcher changed the incident in
 *   between) into a clean refusal the caller answers by reading again and deciding again.
 *
 * Crashes are referred to by their task ARN (unique per crash), so a set can record a crash and
 * tie it to an incident without knowing the row id the database will give it.
 *
 * Implementations must make the guards race-free against a concurrent `apply()` on another
 * connection: SQLite gets that from its single writer (BEGIN IMMEDIATE); PostgreSQL needs the
 * handled-task insert to be `INSERT … ON CONFLICT DO NOTHING` (row count 0 = guard fails) and the
 * `openIncident` check to run under a transaction-level lock on the service (for example
 * `pg_advisory_xact_lock` on `cluster/service`), since "no open incident" has no row to lock.
 */
import type { CrashRecord, Incident, WatchCondition } from './incident-store.ts';
import type { OutboxMessage } from './outbox.ts';

/** A crash in a write set: its row id when it is already stored, or its task ARN (which also works for one recorded earlier in the same set). */
export type CrashRef = number | { taskArn: string };

/**
 * Marks a stopped task handled unless it already is. Fails (stopping the set) when it was: another
 * watcher, or an earlier poll, decided about this task already.
 */
export interface ClaimTaskWrite {
  /** The kind. */
  op: 'claimTask';
  /** The cluster name. */
  cluster: string;
  /** The task ARN. */
  taskArn: string;
  /** When it was handled. */
  at: number;
}

/**
 * Holds when the open incident of a service is exactly `id` (null: the service has none) and, when
 * `crashes` is given, counts exactly that many crashes. It writes nothing.
 */
export interface OpenIncidentGuard {
  /** The kind. */
  op: 'openIncident';
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** The open incident's id the decision was taken on, or null for none. */
  id: string | null;
  /** The crash count the decision was taken on. */
  crashes?: number;
}

/** Records a crash (once per task ARN: a second record of the same task writes nothing). */
export interface RecordCrashWrite {
  /** The kind. */
  op: 'recordCrash';
  /** The crash; `incidentId` ties it to an incident at once. */
  crash: Omit<CrashRecord, 'id'>;
}

/** Stores a new incident and ties the given crashes to it. */
export interface CreateIncidentWrite {
  /** The kind. */
  op: 'createIncident';
  /** The incident. */
  incident: Incident;
  /** The crashes it counts. */
  crashes: readonly CrashRef[];
}

/** Saves an incident's span, counts or status. */
export interface UpdateIncidentWrite {
  /** The kind. */
  op: 'updateIncident';
  /** The incident as it is now. */
  incident: Incident;
}

/** Ties a crash to an incident. */
export interface AttachCrashWrite {
  /** The kind. */
  op: 'attachCrash';
  /** The crash. */
  crash: CrashRef;
  /** The incident id. */
  incidentId: string;
}

/** Stores (inserts or replaces) a tracked condition. */
export interface PutConditionWrite {
  /** The kind. */
  op: 'putCondition';
  /** The condition. */
  condition: WatchCondition;
}

/** Forgets a tracked condition. */
export interface DeleteConditionWrite {
  /** The kind. */
  op: 'deleteCondition';
  /** Its key. */
  key: string;
}

/**
 * Writes an outbox message unless one with the same alert key, platform and channel exists (that
 * is not a failure: the set goes on, and the message does not count in `enqueued`).
 */
export interface EnqueueWrite {
  /** The kind. */
  op: 'enqueue';
  /** The message. */
  message: OutboxMessage;
  /** When it was written. */
  now: number;
}

/** A guard: stops the set, writing nothing, when it does not hold. */
export type WriteGuard = ClaimTaskWrite | OpenIncidentGuard;

/** One step of a write set. */
export type Write = WriteGuard | RecordCrashWrite | CreateIncidentWrite | UpdateIncidentWrite | AttachCrashWrite | PutConditionWrite | DeleteConditionWrite | EnqueueWrite;

/** Writes applied in order, all or none. */
export type WriteSet = readonly Write[];

/** What `apply()` did: everything (and how many outbox messages were new), or nothing because a guard failed. */
export type WriteSetResult =
  | {
      /** Every write landed. */
      applied: true;
      /** Outbox messages written (duplicates of stored ones are not counted). */
      enqueued: number;
    }
  | {
      /** Nothing was written. */
      applied: false;
      /** The guard that stopped the set. */
      guard: WriteGuard['op'];
    };

/** A store that applies write sets atomically. */
export interface WriteSetStore {
  /**
   * Applies the writes in order in one transaction: all land, or none (a failing guard, or any
   * error, which is thrown after the rollback).
   */
  apply(writes: WriteSet): Promise<WriteSetResult>;
}
