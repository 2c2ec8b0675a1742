import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { projectPath } from '../config/paths.ts';
import * as schema from './schema.ts';

/** The drizzle database with dockhand's schema. */
export type Db = BetterSQLite3Database<typeof schema>;

/** An open database: drizzle for queries, the raw handle for pragmas, batch inserts and closing. */
export interface OpenDatabase {
  /** Typed queries. */
  db: Db;
  /** The better-sqlite3 handle. */
  sqlite: Database.Database;
  /** Where it lives (`:memory:` for tests). */
  path: string;
  /** Closes the file. */
  close(): void;
  /** True when the database answers a query (for the readiness check). */
  ping(): boolean;
}

/** The folder of committed SQLite migrations (PostgreSQL's are in drizzle/pg). */
export const MIGRATIONS_DIR = projectPath('drizzle', 'sqlite');

/**
 * Opens (creating when missing) the SQLite file, turns on WAL and foreign keys,
 * and applies the committed migrations, so every start runs on the current schema.
 */
export function openDatabase(path: string): OpenDatabase {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  // SQLite opens a file it may not write (its permissions, a read-only mount) read-only without a
  // word, and every command would fail later; one harmless write now lets the start say so instead.
  if (path !== ':memory:') sqlite.pragma(`user_version = ${Number(sqlite.pragma('user_version', { simple: true }))}`);
  return {
    db,
    sqlite,
    path,
    close: () => sqlite.close(),
    ping: () => {
      try {
        return sqlite.prepare('select 1 as ok').get() !== undefined;
      } catch {
        return false;
      }
    },
  };
}
