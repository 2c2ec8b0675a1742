/** Where a PostgreSQL URL points, without its user or password (those never reach a banner or a log). */
export interface PostgresTarget {
  /** Host name or address as written in the URL. */
  host: string;
  /** TCP port (5432 when the URL names none). */
  port: number;
  /** Database name. */
  database: string;
}

/**
 * What is wrong with a `DATABASE_URL` value, or undefined when it is a usable PostgreSQL URL.
 * The value itself is never repeated: it may carry a password.
 */
export function postgresUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected a PostgreSQL URL such as postgres://user:password@host:5432/dockhand';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `expected a URL starting with postgres:// (got one starting with ${url.protocol}//), such as postgres://user:password@host:5432/dockhand`;
  }
  if (!url.hostname) return 'expected a host after postgres://, such as postgres://user:password@db.internal:5432/dockhand';
  if (decodeURIComponent(url.pathname.replace(/^\//, '')) === '') return 'expected a database name at the end, such as postgres://user:password@host:5432/dockhand';
  return undefined;
}

/** The host, port and database a valid PostgreSQL URL names. */
export function postgresTarget(value: string): PostgresTarget {
  const url = new URL(value);
  // `new URL` keeps IPv6 hosts in brackets; they read the same in a banner.
  return { host: decodeURIComponent(url.hostname), port: url.port ? Number(url.port) : 5432, database: decodeURIComponent(url.pathname.replace(/^\//, '')) };
}

/** The database named for people: `PostgreSQL dockhand on db.internal:5432` (never the user or password). */
export function describePostgres(value: string): string {
  const t = postgresTarget(value);
  return `PostgreSQL ${t.database} on ${t.host}:${t.port}`;
}
