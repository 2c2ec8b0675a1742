import { DrizzleQueryError } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
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
