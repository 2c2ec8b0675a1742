import { DrizzleQueryError } from 'drizzle-orm';
import { drizzle, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type * as schema from './schema.ts';

/** The database or a transaction on it: what a helper needs to run inside either. */
export type PgExec = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/** SQLSTATEs a transaction may end with under concurrency, where running it again is the documented remedy. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * The database's own error behind drizzle's wrapper: drizzle puts the whole statement and its
 * parameters (user names, message bodies) into its message, while PostgreSQL's says what went wrong.
 */
export function databaseError(e: unknown): unknown {
  return e instanceof DrizzleQueryError && e.cause instanceof Error ? e.cause : e;
}

/**
 * Runs `fn` (one transaction) again when PostgreSQL aborted it as a serialization failure or a
 * deadlock victim, up to three times; any other error, or the fourth, is thrown as the database's own.
 */
export async function retryingTx<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const cause = databaseError(e);
      const code = (cause as { code?: string }).code;
      if (attempt >= 4 || !code || !RETRYABLE.has(code)) throw cause;
    }
  }
}

/**
 * Runs `fn` as one BEGIN … COMMIT on a connection of the pool, and gives that connection back
 * whatever fails. drizzle's own `transaction()` (drizzle-orm 0.45, node-postgres session) releases
 * its connection only once BEGIN succeeded: a BEGIN on a connection the server just dropped leaked
 * it, and a stop then waited forever for the pool to end (the process exited 0, its outcome unsaid).
 */
export async function transaction<T>(db: { $client: pg.Pool }, fn: (tx: PgExec) => Promise<T>): Promise<T> {
  const client = await db.$client.connect();
  // A connection whose ROLLBACK failed is in an unknown state: the pool drops it instead of lending it again.
  let unusable: Error | undefined;
  try {
    await client.query('BEGIN');
    let result: T;
    try {
      // Statements only (no relational queries), so the transaction's drizzle needs no schema.
      result = await fn(drizzle(client) as unknown as PgExec);
    } catch (e) {
      await client.query('ROLLBACK').catch((err: unknown) => {
        unusable = err instanceof Error ? err : new Error(String(err));
      });
      throw e;
    }
    await client.query('COMMIT');
    return result;
  } finally {
    // pg-pool also drops a connection that broke (not queryable) when it comes back.
    client.release(unusable);
  }
}
