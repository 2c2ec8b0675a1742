import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root. */
export const repoRoot = join(import.meta.dirname, '..', '..');

/** What a finished `npm start` run printed. */
export interface CliRun {
  /** Exit code. */
  code: number | null;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/** A fresh temporary database path. */
export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'dockhand-e2e-')), 'dockhand.db');
}

/**
 * Runs `npm start --silent` as a user would in a script: the lines piped to stdin,
 * a clean environment (no AWS, no Slack) plus `env`, and waits for it to exit.
 */
export function runCli(lines: string[] | string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DOCKHAND_DB: env.DOCKHAND_DB ?? tempDb(),
        DOCKHAND_USER: 'tester',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(Array.isArray(lines) ? lines.map((l) => `${l}\n`).join('') : lines);
  });
}
