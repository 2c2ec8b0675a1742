import { describe, expect, it } from 'vitest';
import { runCli, tempDb } from './cli.ts';

/** The score block of a run's output, from its heading to the end of the per-section lines. */
function scoreBlock(stdout: string): string {
  const start = stdout.lastIndexOf('Quiz score — tester');
  expect(start).toBeGreaterThanOrEqual(0);
  return stdout.slice(start).split('\n> ')[0]!.trim();
}

describe('study mode over the terminal (npm start)', () => {
  it('runs a solo session of two questions answered with /quiz answer, scores it, and a second process sees the same score', async () => {
    const db = tempDb();
    const first = await runCli(['/quiz ecs --solo --questions 2', '/quiz answer A', '/quiz answer B', '/quiz score'], { DOCKHAND_DB: db });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Solo quiz for tester: 2 questions, no timer.');
    expect(first.stdout).toContain('question 1 of 2');
    expect(first.stdout).toContain('question 2 of 2');
    expect(first.stdout).toMatch(/✅ Answer: [A-E]\) /);
    expect(first.stdout).toContain('Why not the others:');
    expect(first.stdout).toContain('Quiz over');
    const score = scoreBlock(first.stdout);
    expect(score).toMatch(/Answered\s*:?\s*2/);
    expect(score).toMatch(/Accuracy\s*:?\s*(0|50|100)%/);

    const second = await runCli(['/quiz score'], { DOCKHAND_DB: db });
    expect(second.code).toBe(0);
    expect(scoreBlock(second.stdout)).toBe(score);
    expect(second.stdout + second.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('tells a user with no session how to start one, and lists the packs', async () => {
    const r = await runCli(['/quiz answer B', '/quiz packs', '/quiz nope']);
    expect(r.stdout).toContain('no quiz is running here for you to answer');
    expect(r.stdout).toContain('/quiz ecs --solo');
    expect(r.stdout).toMatch(/ecs\s+AWS ECS and Docker Basics\s+35\s+2\s+2/);
    expect(r.stdout).toContain("there is no quiz pack 'nope'. The packs are: ecs");
  });
});
