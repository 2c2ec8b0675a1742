/**
 * A piped dockhand process for reliability tests: `node --import tsx src/main.ts` on a fresh SQLite
 * file, pointed at an AWS endpoint, whose stdin stays open until the test ends it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { expect } from 'vitest';
import { repoRoot, tempDb } from '../e2e/cli.ts';

/** A piped dockhand session whose stdin stays open until `end()`. */
export interface Session {
  child: ChildProcessWithoutNullStreams;
  out: { stdout: string; stderr: string };
  db: string;
  send(line: string): void;
  /** Waits until stdout matches, or fails with what it printed. */
  until(re: RegExp, ms: number, what: string): Promise<void>;
  /** Ends input and resolves with the exit code. */
  end(): Promise<number | null>;
}

export function session(endpoint: string | undefined, env: Record<string, string> = {}, user?: { uid: number; gid: number }): Session {
  const db = env.DOCKHAND_DB ?? tempDb();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: user ? '/tmp' : (process.env.HOME ?? '/tmp'), DOCKHAND_DB: db, DOCKHAND_USER: 'ada', ...(endpoint ? { AWS_ENDPOINT_URL: endpoint } : {}), COLUMNS: '200', ...env },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    out,
    db,
    send: (line) => child.stdin.write(`${line}\n`),
    until: async (re, ms, what) => {
      const end = Date.now() + ms;
      while (!re.test(out.stdout)) {
        if (child.exitCode !== null) throw new Error(`dockhand exited before ${what}:\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-2000)}`);
        if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms; stdout:\n${out.stdout.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    end: async () => {
      child.stdin.end();
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`dockhand did not exit after end of input:\n${out.stderr.slice(-2000)}`);
      }
      return code;
    },
  };
}

/** What a user must never see. */
export function expectNoLeaks(text: string): void {
  // Crash alerts quote the services' own log lines, stack traces of *their* code included (the sandbox's
  // payments service logs one), so a leak is recognised by dockhand's own files or Node's internals.
  expect(text).not.toContain(repoRoot);
  expect(text).not.toMatch(/node:internal|\[object Object\]|SqliteError/);
}

