/**
 * SQLite serves one replica: the process that runs the watcher or a chat adapter holds a lock next to
 * the database file, and a second such process on the same file is refused at start. Piped scripts
 * that run neither take no lock and keep sharing the file. The lock is SQLite's own file lock (POSIX
 * fcntl) on `<db>.replica-lock`, which the kernel releases when the process ends, SIGKILL included.
 */
import Database from 'better-sqlite3';

/** A held replica lock. */
export interface ReplicaLock {
  /** The lock file's path. */
  path: string;
  /** Lets go (on a clean stop); the kernel does the same if the process dies. */
  release(): void;
}

/** Thrown when another process already serves the database. */
export class ReplicaLockedError extends Error {
  /** The other process's id as it wrote it, when readable. */
  readonly holderPid: number | undefined;
  constructor(message: string, holderPid: number | undefined) {
    super(message);
    this.name = 'ReplicaLockedError';
    this.holderPid = holderPid;
  }
}

/** The lock file that belongs to a database file. */
export function replicaLockPath(dbPath: string): string {
  return `${dbPath}.replica-lock`;
}

/** True when SQLite reports that another connection holds the lock. */
function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Takes the replica lock of `dbPath` (a file path; an in-memory database needs none and gets
 * undefined). Throws ReplicaLockedError when another living process holds it.
 */
export function lockReplica(dbPath: string, pid = process.pid, now = Date.now()): ReplicaLock | undefined {
  if (dbPath === ':memory:' || dbPath.startsWith('file:')) return undefined;
  const path = replicaLockPath(dbPath);
  const lock = new Database(path);
  try {
    // A rollback journal keeps the lock a plain file lock (WAL would move it to shared memory), and
    // no waiting: the holder keeps it for as long as it runs.
    lock.pragma('journal_mode = DELETE');
    lock.pragma('busy_timeout = 0');
    lock.exec('create table if not exists holder (id integer primary key check (id = 1), pid integer not null, since integer not null)');
    const refuse = (): never => {
      let holder: { pid: number; since: number } | undefined;
      try {
        holder = lock.prepare('select pid, since from holder where id = 1').get() as { pid: number; since: number } | undefined;
      } catch {
        holder = undefined;
      }
      lock.close();
      const who = holder ? `process ${holder.pid} (running since ${new Date(holder.since).toISOString().slice(0, 19)}Z)` : 'another process';
      throw new ReplicaLockedError(
        `${who} already serves ${dbPath}, and SQLite serves one replica: stop it first, point DOCKHAND_DB at another file, or set DATABASE_URL to a PostgreSQL database to run several replicas (piped scripts without chat or the watcher may share the file)`,
        holder?.pid,
      );
    };
    try {
      // Say who holds it (committed, so a refused process can read it), then take the lock for good.
      lock.exec('begin immediate');
      lock.prepare('insert into holder (id, pid, since) values (1, ?, ?) on conflict (id) do update set pid = excluded.pid, since = excluded.since').run(pid, now);
      lock.exec('commit');
      // BEGIN IMMEDIATE holds SQLite's RESERVED lock until commit: others may read who holds it, none may take it.
      lock.exec('begin immediate');
    } catch (e) {
      if (isBusy(e)) refuse();
      throw e;
    }
    return {
      path,
      release: () => {
        try {
          lock.exec('rollback');
        } catch {
          // Already ended; closing releases it anyway.
        }
        lock.close();
      },
    };
  } catch (e) {
    if (lock.open && !(e instanceof ReplicaLockedError)) lock.close();
    throw e;
  }
}
