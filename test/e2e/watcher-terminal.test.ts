/**
 * Crash alerts over the terminal, as a user runs dockhand: `npm start` on the sandbox's demo world,
 * sped up, with a short watch interval. The crash loops the first poll finds share one line; within
 * a minute later crashes follow in their threads with exit code and reason, and `/ecs alerts` lists
 * the open incidents.
 */
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { session } from '../reliability/session.ts';
import { repoRoot, tempDb } from './cli.ts';

function waitFor(get: () => string, test: (s: string) => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (test(get())) return resolve();
      if (Date.now() > until) return reject(new Error(`${what} did not appear within ${ms} ms; stdout so far:\n${get().slice(-4000)}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

describe('crash alerts in the terminal', () => {
  it("sums up the demo's crash loops in one line at start, then prints new crashes with exit code and reason within a minute", async () => {
    const started = Date.now();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DOCKHAND_DB: tempDb(),
        DOCKHAND_USER: 'tester',
        DOCKHAND_SANDBOX_SPEED: '20',
        DOCKHAND_WATCH_EVERY: '5s',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      // Crash loops already running when the watcher starts share one line, so the prompt is not buried.
      await waitFor(() => stdout, (s) => /services are crash-looping in cluster demo \([^)]*payments/.test(s), 60_000, 'the crash-loop summary');
      expect(stdout).toMatch(/🔁 \d+ services are crash-looping in cluster demo \([^)]*\): \/ecs alerts shows\s+them\./);
      expect(stdout).not.toContain('🔥 Crash loop: payments');
      // The watcher keeps polling: the next crashes go into the incident's thread, with exit code and reason.
      await waitFor(() => stdout, (s) => /↳ Crash #\d+ of payments/.test(s), 60_000 - (Date.now() - started), 'a thread update');
      expect(stdout).toMatch(/↳ Crash #\d+ of payments[^\n]*: exit (1|137)\b/);
      expect(Date.now() - started).toBeLessThan(60_000);
      child.stdin.write('/ecs alerts\n');
      await waitFor(() => stdout, (s) => s.includes('Open incidents'), 15_000, '/ecs alerts');
      expect(stdout.slice(stdout.indexOf('Open incidents'))).toMatch(/payments/);
    } finally {
      child.stdin.end();
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      expect(code, `dockhand did not exit after end of input; stderr:\n${stderr}`).toBe(0);
    }
  }, 120_000);

  it("starts each sandbox run from a clean slate: the last run's crash history is neither shown nor continued", async () => {
    const db = tempDb();
    /** One `npm start` on the shared database until its crash-loop summary and `/ecs alerts` answered; returns its stdout. */
    const run = async (): Promise<string> => {
      const s = session(undefined, { DOCKHAND_DB: db, DOCKHAND_USER: 'tester', DOCKHAND_SANDBOX_SPEED: '20', DOCKHAND_WATCH_EVERY: '5s' });
      try {
        await s.until(/services are crash-looping in cluster demo/, 45_000, 'the crash-loop summary');
        // Let the watcher poll a few more times, writing crashes, threads and outbox rows of this run.
        await new Promise((r) => setTimeout(r, 12_000));
        s.send('/ecs alerts');
        await s.until(/Open incidents/, 15_000, '/ecs alerts');
      } finally {
        await s.end();
      }
      return s.out.stdout;
    };
    const first = await run();
    const firstCount = Number(/^payments\s+demo\s+(\d+)/m.exec(first.slice(first.indexOf('Open incidents')))?.[1]);
    expect(firstCount).toBeGreaterThan(0);

    const second = await run();
    // A new sandbox is a new world: its first poll sums up its own crash loops again, and its crash
    // numbers start from its own history, not from where the last run stopped.
    expect(second).toMatch(/🔁 \d+ services are crash-looping in cluster demo/);
    const secondTable = second.slice(second.indexOf('Open incidents'));
    expect(secondTable).toMatch(/^payments\s+demo\s+\d+/m);

    const sqlite = new Database(db, { readonly: true });
    try {
      // Only the last run's rows are left, and none is stamped in the sandbox's faster time.
      for (const table of ['watcher_handled_tasks', 'watcher_crashes', 'watcher_incidents', 'watcher_conditions', 'outbox']) {
        const worlds = sqlite.prepare(`SELECT DISTINCT world FROM ${table}`).all() as Array<{ world: string }>;
        expect(worlds, table).toHaveLength(1);
        expect(worlds[0]?.world, table).toMatch(/^sandbox-/);
      }
      const latest = sqlite.prepare('SELECT max(created_at) AS c, max(coalesce(sent_at, 0)) AS s FROM outbox').get() as { c: number; s: number };
      const handled = sqlite.prepare('SELECT max(handled_at) AS h FROM watcher_handled_tasks').get() as { h: number };
      expect(Math.max(latest.c, latest.s, handled.h)).toBeLessThanOrEqual(Date.now());
    } finally {
      sqlite.close();
    }
  }, 150_000);
});
