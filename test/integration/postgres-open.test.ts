import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgres, PostgresOpenError } from '../../src/db/pg/client.ts';
import { postgresStores } from '../../src/db/pg/stores.ts';
import { postgresUnavailable, usePostgres } from '../fakes/postgres.ts';

async function query<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

describe.skipIf(postgresUnavailable)('opening PostgreSQL (a real server, throwaway cluster)', () => {
  const server = usePostgres();

  it('creates every table of the schema on first open, and a second open runs nothing again', async () => {
    const first = await openPostgres(server.url);
    await first.close();
    const tables = await query<{ table_name: string }>(server.url, "select table_name from information_schema.tables where table_schema = 'public' order by 1");
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['audit_log', 'outbox', 'quiz_answers', 'watcher_incidents', 'deploy_records', 'undo_tokens']));
    const applied = await query<{ id: number }>(server.url, 'select id from drizzle.__drizzle_migrations');
    const second = await openPostgres(server.url);
    expect(await second.ping()).toBe(true);
    await second.close();
    expect(await query(server.url, 'select id from drizzle.__drizzle_migrations')).toEqual(applied);
  });

  it('lets several replicas start at once on an empty database: all open, the migrations run once', async () => {
    const url = await server.cluster.createDatabase();
    const replicas = await Promise.allSettled(Array.from({ length: 6 }, () => openPostgres(url, { poolSize: 2 })));
    const failures = replicas.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    for (const r of replicas) if (r.status === 'fulfilled') await r.value.close();
    const applied = await query<{ hash: string }>(url, 'select hash from drizzle.__drizzle_migrations');
    expect(new Set(applied.map((a) => a.hash)).size).toBe(applied.length);
    expect(applied.length).toBeGreaterThan(0);
  });

  it('gives a connection back when it dies before BEGIN (the server went away): the store goes on, and closing does not hang', async () => {
    const url = await server.cluster.createDatabase();
    // One connection, and a 2 s wait for it: a leaked one shows as a timeout, not as a slow test.
    const open = await openPostgres(url, { poolSize: 1, connectTimeoutMs: 2_000 });
    const stores = postgresStores(open, url);
    // The first connection lent out dies at once, as one does when PostgreSQL restarts under a replica.
    let killed = false;
    open.pool.on('acquire', (client) => {
      if (killed) return;
      killed = true;
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    });
    await expect(stores.incidents.apply([])).rejects.toThrow();
    expect(killed).toBe(true);
    // Before the fix the dead connection was never released: the pool had none left to lend, and end() never finished.
    await expect(stores.incidents.apply([])).resolves.toMatchObject({ applied: true });
    const closed = await Promise.race([stores.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 5_000))]);
    expect(closed).toBe('closed');
  });

  it('refuses a wrong password with a message naming host and database, never the password', async () => {
    const url = server.cluster.url('postgres', { password: 'not-the-password-42' });
    const e = await openPostgres(url).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PostgresOpenError);
    const message = (e as Error).message;
    expect(message).toContain(`cannot open PostgreSQL postgres on 127.0.0.1:${server.cluster.port}`);
    expect(message).toContain('password authentication failed');
    expect(message).toContain('check the user and password in DATABASE_URL');
    expect(message).not.toContain('not-the-password-42');
    expect(message).not.toContain(server.cluster.password);
  });

  it('says so when the database does not exist, or nothing listens on the port', async () => {
    const missing = (await openPostgres(server.cluster.url('no_such_db')).then(() => new Error('opened'), (err: unknown) => err)) as Error;
    expect(missing.message).toMatch(/database "no_such_db" does not exist \(create it, or name an existing database in DATABASE_URL\)/);
    const refused = (await openPostgres('postgres://u:secret-pw@127.0.0.1:1/dockhand').then(() => new Error('opened'), (err: unknown) => err)) as Error;
    expect(refused.message).toBe('cannot open PostgreSQL dockhand on 127.0.0.1:1: connection refused (is the server running, and are the host and port in DATABASE_URL right?)');
  });
});
