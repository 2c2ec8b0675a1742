/**
 * Crash alerts over the terminal, as a user runs dockhand: `npm start` on the sandbox's demo world,
 * sped up, with a short watch interval. Within a minute the terminal shows the payments crash loop
 * with its exit code, reason and log lines, then later crashes in its thread, and `/ecs alerts`
 * lists the open incident.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
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
  it("prints the demo's crash-loop incident with exit code, reason and log lines within a minute", async () => {
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
      await waitFor(() => stdout, (s) => s.includes('🔥 Crash loop: payments'), 60_000, 'the payments incident');
      const incident = stdout.slice(stdout.indexOf('🔥 Crash loop: payments'));
      expect(incident).toMatch(/^🔥 Crash loop: payments crashed \d+ times in \d+ min \(demo\)/);
      expect(incident).toMatch(/payments\s+│?\s*\|?\s*(1|137)\b/);
      expect(incident).toMatch(/Essential container in task exited|OutOfMemoryError/);
      expect(incident).toMatch(/Last \d+ log lines of payments/);
      expect(incident).toMatch(/FATAL|Killed|ECONNREFUSED/);
      // The watcher keeps polling: the next crashes go into the incident's thread.
      await waitFor(() => stdout, (s) => /↳ Crash #\d+ of payments/.test(s), 60_000 - (Date.now() - started), 'a thread update');
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
});
