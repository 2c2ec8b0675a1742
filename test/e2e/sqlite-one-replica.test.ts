/**
 * SQLite serves one replica: a second dockhand that would also run the watcher on the same file is
 * refused at start with one line, a piped script that runs neither the watcher nor a chat adapter
 * keeps sharing the file, and the first one's lock dies with it even under SIGKILL.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDb } from './cli.ts';
import { waitFor } from './server-process.ts';

const started: ChildProcessWithoutNullStreams[] = [];

/** dockhand run by node itself (so SIGKILL reaches it, not npm), piped, its stdin left open. */
function startDockhand(db: string, env: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; out: { stderr: string; stdout: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: db, DOCKHAND_USER: 'tester', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  const out = { stderr: '', stdout: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, out, exited };
}

afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('one SQLite file, one serving process', () => {
  it('refuses a second watcher on the same file in one line, lets a piped script share it, and frees the file when the first is SIGKILLed', async () => {
    const db = tempDb();
    const first = startDockhand(db, { DOCKHAND_WATCH_EVERY: '30s' });
    await waitFor('the first banner', () => (first.out.stderr.includes('adapters: ') ? true : undefined), 40_000);

    const second = startDockhand(db, { DOCKHAND_WATCH_EVERY: '30s' });
    second.child.stdin.end('/ecs services\n');
    expect(await second.exited).toBe(2);
    const lines = second.out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^dockhand: process ${first.child.pid} \\(running since .*\\) already serves ${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, and SQLite serves one replica`));
    expect(lines[0]).toContain('DATABASE_URL');
    // It ran nothing.
    expect(second.out.stdout).toBe('');

    // A script that only runs commands shares the file with the server.
    const script = await runCli(['/ecs services'], { DOCKHAND_DB: db });
    expect(script.stderr).not.toContain('already serves');
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('web');

    first.child.kill('SIGKILL');
    await first.exited;
    const third = startDockhand(db, { DOCKHAND_WATCH_EVERY: '30s' });
    await waitFor('the third banner', () => {
      if (third.child.exitCode !== null) throw new Error(`refused after the holder was killed:\n${third.out.stderr}`);
      return third.out.stderr.includes('adapters: ') ? true : undefined;
    }, 40_000);
    third.child.stdin.end();
    expect(await third.exited).toBe(0);
  }, 120_000);
});
