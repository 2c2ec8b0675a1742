import { describePostgres } from '../config/database-url.ts';
import type { Stores } from '../ports/stores.ts';
import { SqliteAuditLog } from './audit-log.ts';
import { sqliteCoordination } from './coordination.ts';
import { openDatabase, type OpenDatabase } from './client.ts';
import { SqliteDeployStore } from './deploy-store.ts';
import { SqliteIncidentStore } from './incident-store.ts';
import { SqliteOutbox } from './outbox.ts';
import { SqliteQuizStore } from './quiz-store.ts';

/** Raised when the configured database cannot be opened; the message says which, why and what would work, without secrets. */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

/** Where the stores live: DATABASE_URL (PostgreSQL) wins over DOCKHAND_DB (SQLite). */
export interface StoreConfig {
  /** A postgres:// URL, or empty/absent for SQLite. */
  DATABASE_URL?: string | undefined;
  /** The SQLite file (`:memory:` for throwaway runs). */
  DOCKHAND_DB: string;
}

/** Stores on SQLite, with the open file for what still needs it directly (the replica lock, tests). */
export function sqliteStores(database: OpenDatabase, world = ''): Stores {
  return {
    dialect: 'sqlite',
    audit: new SqliteAuditLog(database.db),
    quiz: new SqliteQuizStore(database.db),
    incidents: new SqliteIncidentStore(database, world),
    outbox: new SqliteOutbox(database, world),
    deploys: new SqliteDeployStore(database.db),
    coordination: sqliteCoordination(database.db),
    describe: () => `SQLite ${database.path}`,
    ping: async () => database.ping(),
    close: async () => database.close(),
  };
}

/**
 * Opens and migrates the configured database and the stores on it: PostgreSQL when DATABASE_URL is
 * set, otherwise the SQLite file DOCKHAND_DB. Throws a StoreOpenError that names no password.
 */
export async function openStores(env: StoreConfig, opts: { onIdleError?: (err: Error) => void; world?: string } = {}): Promise<Stores> {
  if (env.DATABASE_URL) {
    // Loaded only for PostgreSQL: pg and drizzle's PostgreSQL half take ~50 ms to load, which a SQLite start never needs.
    const [{ openPostgres, PostgresOpenError }, { postgresStores }] = await Promise.all([import('./pg/client.ts'), import('./pg/stores.ts')]);
    try {
      return postgresStores(await openPostgres(env.DATABASE_URL, opts.onIdleError ? { onIdleError: opts.onIdleError } : {}), env.DATABASE_URL, opts.onIdleError, opts.world);
    } catch (e) {
      if (e instanceof PostgresOpenError) throw new StoreOpenError(e.message, { cause: e });
      throw new StoreOpenError(`cannot open ${describePostgres(env.DATABASE_URL)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  try {
    return sqliteStores(openDatabase(env.DOCKHAND_DB), opts.world);
  } catch (e) {
    throw new StoreOpenError(
      `cannot open the database DOCKHAND_DB=${env.DOCKHAND_DB}: ${e instanceof Error ? e.message : String(e)}; expected a writable file path (its folder is created when missing)`,
      { cause: e },
    );
  }
}
