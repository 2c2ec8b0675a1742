/**
 * dockhand on PostgreSQL, as a user starts it: `npm start` with DATABASE_URL pointing at a throwaway
 * cluster (test/fakes/postgres.ts). What one run stores the next one (or another replica) reads; the
 * watcher's alerts reach the terminal; a URL that cannot work stops the start in one line, exit 2.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgresCluster, usePostgres } from '../fakes/postgres.ts';
import { repoRoot, runCli } from './cli.ts';

/** dockhand running as a user starts it, fed line by line: what it printed so far, and how it ended. */
function startDockhand(env: Record<string, string>) {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_USER: 'tester', DOCKHAND_WATCH_EVERY: '5s', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    out,
    write: (line: string) => child.stdin.write(`${line}\n`),
    async waitFor(test: (s: string) => boolean, ms: number, what: string): Promise<void> {
      for (const until = Date.now() + ms; !test(out.stdout); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() > until) throw new Error(`${what} did not appear within ${ms} ms; stdout:\n${out.stdout.slice(-3000)}\nstderr:\n${out.stderr.slice(-3000)}`);
      }
    },
    /** Ends its input and resolves with its exit code ('timeout' when it did not end within 30 s, and is killed). */
    async end(): Promise<number | null | 'timeout'> {
      child.stdin.end();
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      return code;
    },
  };
}

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

    it('wins over DOCKHAND_DB: the banner names host and database only, and what one run stores the next run reads', async () => {
      const first = await runCli(['/help', '/quiz ecs --solo --questions 1', '/quiz answer A'], { DATABASE_URL: server.url });
      expect(first.stderr).toMatch(new RegExp(`database: PostgreSQL \\S+ on 127\\.0\\.0\\.1:${server.cluster.port}`));
      expect(first.stderr).not.toContain(server.cluster.password);
      expect(first.stderr).not.toContain('SQLite');
      const second = await runCli(['/audit 10', '/quiz score'], { DATABASE_URL: server.url });
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/\/help\s+ok/);
      expect(second.stdout).toMatch(/\/quiz answer A\s+ok/);
      expect(second.stdout + second.stderr).not.toContain(server.cluster.password);
    });

    it('keeps answering when PostgreSQL goes away under it: an error id per command, the watcher keeps trying, a clean stop', async () => {
      // Its own cluster: this test stops the server.
      const own = await startPostgresCluster();
      const d = startDockhand({ DATABASE_URL: await own.createDatabase(), LOG_LEVEL: 'warn' });
      try {
        d.write('/audit 1');
        await d.waitFor((s) => s.includes('Audit log'), 30_000, 'the answer to /audit 1');
      } finally {
        await own.stop();
      }
      d.write('/audit 1');
      await new Promise((r) => setTimeout(r, 6_000));
      const code = await d.end();
      const { stdout, stderr } = d.out;
      // It ended by itself after its input, nothing crashed on the way out (a crash exits with another code or a signal).
      expect(code, stdout).toBe(1);
      expect(stdout, stderr).toMatch(/something went wrong running \/audit 1 \(error id E-\w+\)/);
      expect(stdout).not.toMatch(/\n\s+at /);
      expect(stderr).not.toMatch(/could not start|Cannot use a pool after calling end|Failed query/);
    }, 90_000);

    it('runs the watcher on PostgreSQL: crash loops reach the terminal and /ecs alerts lists them', async () => {
      const d = startDockhand({ DATABASE_URL: await server.cluster.createDatabase(), DOCKHAND_SANDBOX_SPEED: '20' });
      try {
        await d.waitFor((s) => /services are crash-looping in cluster demo \([^)]*payments/.test(s), 60_000, 'the crash-loop summary');
        d.write('/ecs alerts');
        await d.waitFor((s) => s.includes('Open incidents'), 15_000, '/ecs alerts');
        expect(d.out.stdout.slice(d.out.stdout.indexOf('Open incidents'))).toMatch(/payments/);
      } finally {
        expect(await d.end(), `dockhand did not exit after end of input; stderr:\n${d.out.stderr}`).toBe(0);
      }
    }, 120_000);
  });
});
