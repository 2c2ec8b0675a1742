/**
 * Crash alerts over the terminal, as a user runs dockhand: `npm start` on the sandbox's demo world,
 * sped up, with a short watch interval. The crash loops the first poll finds share one line; within
 * a minute later crashes follow in their threads with exit code and reason, and `/ecs alerts` lists
 * the open incidents.
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
});
