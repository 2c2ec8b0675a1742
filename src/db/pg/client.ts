import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { describePostgres } from '../../config/database-url.ts';
import { projectPath } from '../../config/paths.ts';
import * as schema from './schema.ts';

/** The drizzle database over PostgreSQL with dockhand's schema, and the pool it runs on. */
export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/** An open PostgreSQL database: drizzle for queries, the pool for raw SQL and transactions. */
export interface OpenPostgres {
  /** Typed queries. */
  db: PgDb;
  /** The connection pool behind `db`. */
  pool: pg.Pool;
  /** Host, port and database for people (never the user or password). */
  describe: string;
  /** Ends every connection. */
  close(): Promise<void>;
  /** True when the database answers a query (for the readiness check). */
  ping(): Promise<boolean>;
}

/** The folder of committed PostgreSQL migrations. */
export const PG_MIGRATIONS_DIR = projectPath('drizzle', 'pg');

/**
 * The advisory lock key every dockhand replica takes around migrating ("dock" in ASCII), so replicas
 * starting at once migrate one after another: the first applies the migrations, the others find nothing to do.
 */
export const MIGRATION_LOCK_KEY = 0x646f636b;

/** Raised when the PostgreSQL database cannot be opened; its message names no user or password. */
export class PostgresOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresOpenError';
  }
}

/** Options for opening PostgreSQL. */
export interface OpenPostgresOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** How long to wait for a connection before giving up (default 10 s). */
  connectTimeoutMs?: number;
  /** Told about connections that fail while idle (the pool replaces them). */
  onIdleError?: (err: Error) => void;
  /** Where the migrations are (tests point elsewhere). */
  migrationsFolder?: string;
}

/**
 * Connects to PostgreSQL and applies the committed migrations under an advisory lock, so every start
 * runs on the current schema and several replicas starting together migrate once.
 */
export async function openPostgres(url: string, opts: OpenPostgresOptions = {}): Promise<OpenPostgres> {
  const describe = describePostgres(url);
  const connectionTimeoutMillis = opts.connectTimeoutMs ?? 10_000;
  const migrator = new pg.Client({ connectionString: url, connectionTimeoutMillis });
  // A connection the server drops emits 'error'; unhandled, that would end the process.
  migrator.on('error', () => {});
  try {
    await migrator.connect();
    await migrator.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle(migrator), { migrationsFolder: opts.migrationsFolder ?? PG_MIGRATIONS_DIR });
    } finally {
      // Ending the session releases the lock anyway; unlocking first lets the next replica go on at once.
      await migrator.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  } catch (e) {
    throw new PostgresOpenError(`cannot open ${describe}: ${postgresProblem(e)}`);
  } finally {
    await migrator.end().catch(() => {});
  }
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, connectionTimeoutMillis });
  pool.on('error', (err) => opts.onIdleError?.(err));
  // A connection checked out of the pool (between a transaction's statements) also emits 'error' when
  // the server goes away; with nobody listening that would end the process. The statement in flight
  // fails on its own, and the pool drops the broken connection when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle(pool, { schema });
  return {
    db,
    pool,
    describe,
    close: () => pool.end(),
    ping: async () => {
      try {
        return (await pool.query('select 1 as ok')).rowCount === 1;
      } catch {
        return false;
      }
    },
  };
}

/** A PostgreSQL or connection error as what went wrong and what to check; never the URL itself. */
export function postgresProblem(e: unknown): string {
  const err = e as { code?: string; message?: string; errors?: { message?: string }[] };
  const text = err.message || err.errors?.[0]?.message || String(e);
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running, and are the host and port in DATABASE_URL right?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve (check the host in DATABASE_URL)';
    case '28P01':
    case '28000':
      // The server's text names the user, never the password.
      return `${text} (check the user and password in DATABASE_URL)`;
    case '3D000':
      return `${text} (create it, or name an existing database in DATABASE_URL)`;
    case '42501':
      return `${text} (the user in DATABASE_URL needs the right to create tables in this database)`;
    default:
      if (/timeout/i.test(text)) return 'no answer within the connection timeout (is the host reachable from here?)';
      return text;
  }
}
