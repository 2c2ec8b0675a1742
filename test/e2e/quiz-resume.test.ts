import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDb } from './cli.ts';

describe('a timed quiz survives a hard kill of the bot', () => {
  it('the next start reveals the question on time without any command', async () => {
    const db = tempDb();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: db, DOCKHAND_USER: 'tester' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.write('/quiz ecs --questions 1 --timer 8s\n');
    const end = Date.now() + 40_000;
    while (!out.includes('question 1 of 1') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('question 1 of 1');
    expect(out).not.toContain('Time is up');
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('close', r));

    const second = await runCli(['# no command: the resumed timer alone must reveal'], { DOCKHAND_DB: db });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Time is up');
    expect(second.stdout).toMatch(/Answer: [A-E]\)/);
    expect(second.stdout).toContain('Quiz over');
  }, 90_000);
});
