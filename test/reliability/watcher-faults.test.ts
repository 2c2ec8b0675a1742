/**
 * Reliability of the watcher under AWS faults injected in a standalone sandbox that a real dockhand
 * process polls through AWS_ENDPOINT_URL: with 30% throttling and 10% server errors on every
 * operation, it misses no stopped task and records no crash twice (its database is checked against
 * the sandbox's stopped tasks after the run), and prints each crash once.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { expectNoLeaks, session } from './session.ts';

describe('the watcher under AWS faults', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', seed: 9, clock: new SandboxClock({ speed: 20 }) });
  }, 60_000);

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('the watcher under 30% throttling and 10% server errors misses no stopped task and records no crash twice', async () => {
    const watchStartedAt = sandbox.clock.now();
    let settledAt = Infinity;
    const s = session(sandbox.endpoint, { DOCKHAND_WATCH_EVERY: '5s' });
    try {
      await s.until(/crash-looping|Crash/, 60_000, 'the first poll');
      sandbox.faults.set('*', { throttle: 0.3, serverError: 0.1 });
      // 30 s of real time is about 10 sandbox minutes of crash loops at speed 20.
      await new Promise((r) => setTimeout(r, 30_000));
      sandbox.faults.clear();
      // Stop new crashes (reports keeps failing to pull its image), then give the watcher two clean polls
      // to catch up on what it could not read: every task stopped before then must be handled.
      const cluster = sandbox.state.cluster('demo');
      for (const name of cluster.services.keys()) sandbox.state.setFailureMode('demo', name, { kind: 'healthy' });
      settledAt = sandbox.clock.now();
      await new Promise((r) => setTimeout(r, 12_000));
    } finally {
      sandbox.faults.clear();
      await s.end();
    }
    expectNoLeaks(s.out.stdout + s.out.stderr);
    const stopped = [...sandbox.state.cluster('demo').tasks.values()].filter((t) => t.lastStatus === 'STOPPED' && (t.stoppedAt ?? 0) < settledAt).map((t) => t.arn);
    expect(stopped.length).toBeGreaterThan(20);
    const db = new Database(s.db, { readonly: true });
    try {
      const handled = new Set((db.prepare('select task_arn from watcher_handled_tasks').all() as Array<{ task_arn: string }>).map((r) => r.task_arn));
      const missed = stopped.filter((arn) => !handled.has(arn));
      const describe = (arn: string): string => {
        const t = sandbox.state.cluster('demo').tasks.get(arn.split('/').at(-1)!) ?? [...sandbox.state.cluster('demo').tasks.values()].find((x) => x.arn === arn);
        return JSON.stringify({ arn, group: t?.group, stoppedAt: t?.stoppedAt, startedAt: t?.startedAt, createdAt: t?.createdAt, reason: t?.stoppedReason, stopCode: t?.stopCode, now: sandbox.clock.now(), started: watchStartedAt });
      };
      expect(missed.map(describe)).toEqual([]);
      const crashes = (db.prepare('select task_arn from watcher_crashes').all() as Array<{ task_arn: string }>).map((r) => r.task_arn);
      expect(crashes.length).toBeGreaterThan(10);
      expect(new Set(crashes).size).toBe(crashes.length);
    } finally {
      db.close();
    }
    // Each crash line reached the terminal once.
    const lines = s.out.stdout.split('\n').filter((l) => /Crash #\d+ of /.test(l));
    expect(new Set(lines).size).toBe(lines.length);
  }, 200_000);
});
