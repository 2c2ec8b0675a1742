/**
 * The coordination contract on a real PostgreSQL server (throwaway cluster), and leadership as a
 * session advisory lock: one leader at a time, and a leader killed with SIGKILL frees it for the next.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/pg/client.ts';
import { PgLeadership, pgCoordination } from '../../src/db/pg/coordination.ts';
import { postgresUnavailable, usePostgres } from '../fakes/postgres.ts';
import { repoRoot } from '../e2e/cli.ts';
import { coordinationContract } from './coordination-contract.ts';

describe.skipIf(postgresUnavailable)('coordination on PostgreSQL', () => {
  const server = usePostgres();

  coordinationContract('PostgreSQL', async () => {
    const database = await openPostgres(await server.cluster.createDatabase(), { poolSize: 4 });
    const coordination = pgCoordination(database.db, server.url);
    return {
      coordination,
      close: async () => {
        await coordination.leadership.release();
        await database.close();
      },
    };
  });

  it('lets one replica lead at a time, hands over on release, and frees the lock when the leader is SIGKILLed', async () => {
    const a = new PgLeadership(server.url);
    const b = new PgLeadership(server.url);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true);
    await a.release();
    expect(await b.acquire()).toBe(true);
    await b.release();

    // A leader in another process, killed without a chance to let go.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import { PgLeadership } from './src/db/pg/coordination.ts'; const l = new PgLeadership(${JSON.stringify(server.url)}); console.log(await l.acquire() ? 'leading' : 'following'); setInterval(() => {}, 1000);`],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const end = Date.now() + 20_000;
    while (!out.includes('leading') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(out.trim()).toBe('leading');
    const c = new PgLeadership(server.url);
    expect(await c.acquire()).toBe(false);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const killedAt = Date.now();
    let leads = false;
    while (!leads && Date.now() - killedAt < 5_000) {
      leads = await c.acquire();
      if (!leads) await new Promise((r) => setTimeout(r, 100));
    }
    expect(leads).toBe(true);
    await c.release();
  }, 60_000);
});
