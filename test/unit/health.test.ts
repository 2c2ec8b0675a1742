import { afterEach, describe, expect, it } from 'vitest';
import { readiness, startHealthServer, type HealthServer } from '../../src/health/server.ts';

describe('health endpoints', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('is ready only when every check passes, and names the ones that fail', () => {
    expect(readiness([{ name: 'database', check: () => true }], false)).toEqual({ status: 200, body: { ready: true, checks: { database: 'ok' } } });
    const r = readiness(
      [
        { name: 'database', check: () => true },
        { name: 'discord', check: () => 'gateway disconnected' },
        { name: 'slack', check: () => { throw new Error('socket closed'); } },
      ],
      false,
    );
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ ready: false, checks: { database: 'ok', discord: 'gateway disconnected', slack: 'socket closed' } });
  });

  it('answers /healthz while alive and /readyz 503 once dockhand is stopping', async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', checks: [{ name: 'database', check: () => true }] });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    server.draining();
    const stopping = await fetch(`${base}/readyz`);
    expect(stopping.status).toBe(503);
    expect(await stopping.json()).toEqual({ ready: false, checks: { database: 'ok', dockhand: 'stopping' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
