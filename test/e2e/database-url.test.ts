import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresUnavailable, usePostgres } from '../fakes/postgres.ts';
import { runCli } from './cli.ts';

describe('DATABASE_URL at start', () => {
  it('fails with exit 2 and one clear line when nothing listens there, naming host and database but no password', async () => {
    const r = await runCli(['/help'], { DATABASE_URL: 'postgres://ops:s3cret-pass@127.0.0.1:1/dockhand' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dockhand: cannot open PostgreSQL dockhand on 127.0.0.1:1: connection refused (is the server running, and are the host and port in DATABASE_URL right?)\n');
    expect(r.stdout).toBe('');
  });

  describe.skipIf(postgresUnavailable)('against a real server', () => {
    const server = usePostgres();

    it('refuses a wrong password with exit 2 and a line that never shows it', async () => {
      const url = server.cluster.url('postgres', { password: 'wrong-pass-0451' });
      const r = await runCli(['/help'], { DATABASE_URL: url });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`cannot open PostgreSQL postgres on 127.0.0.1:${server.cluster.port}: password authentication failed for user "postgres" (check the user and password in DATABASE_URL)`);
      expect(r.stdout + r.stderr).not.toMatch(/wrong-pass-0451|\n\s+at /);
    });

    it('wins over DOCKHAND_DB: migrates the PostgreSQL database, then says in one line that its stores are not available yet', async () => {
      const r = await runCli(['/help'], { DATABASE_URL: server.url });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/DATABASE_URL selects PostgreSQL \S+ on 127\.0\.0\.1:\d+ \(reached, schema migrated\), but PostgreSQL stores are not available yet/);
      expect(r.stderr).not.toContain(server.cluster.password);
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      const tables = await c.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
      await c.end();
      expect(tables.rows[0].n).toBeGreaterThan(10);
    });
  });
});
