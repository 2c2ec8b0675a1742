import { describe, expect, it } from 'vitest';
import { runCli, tempDb } from './cli.ts';

/** The output of one command line of a run: from its echo to the next prompt. */
function after(stdout: string, line: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = stdout.indexOf(`> ${line}\n`, at + 1);
  expect(at, `the run echoes "${line}"`).toBeGreaterThanOrEqual(0);
  return stdout.slice(at + line.length + 3).split('\n> ')[0] as string;
}

describe('small things a learner notices, over the terminal (npm start)', () => {
  it('answers the open question with a letter typed alone, and says how to start one when none is open', async () => {
    const r = await runCli(['B', '/quiz ecs --solo --questions 2', 'b', 'C)', '/quiz score']);
    const none = after(r.stdout, 'B');
    expect(none).toContain('no quiz is running here for you to answer');
    expect(none).toContain('/quiz ecs --solo');
    expect(after(r.stdout, 'b')).toMatch(/✅ Right! \+\d+ points|❌ Not quite: you chose B\./);
    expect(after(r.stdout, 'C)')).toMatch(/✅ Right! \+\d+ points|❌ Not quite: you chose C\./);
    expect(after(r.stdout, '/quiz score')).toMatch(/Answered\s*:?\s*2/);
  }, 60_000);

  it('says when the next questions come due, lists a pack’s item ids, and says why an interview item was picked', async () => {
    const db = tempDb();
    const r = await runCli(['/quiz review', '/quiz ecs --solo --questions 2', 'A', 'A', '/quiz review', '/quiz start ecs --review', '/quiz packs ecs', '/quiz interview ecs', '/quiz interview ecs --item ecs-ex-boot-speed', '/quiz interview ecs --item nope'], { DOCKHAND_DB: db });
    expect(after(r.stdout, '/quiz review')).toContain('Nothing is due for review. 🎉');
    expect(after(r.stdout, '/quiz review')).not.toMatch(/come back in/);
    // Two answers were just scheduled: the review queue says when they return.
    expect(after(r.stdout, '/quiz review', 1)).toMatch(/Nothing is due for review\. 🎉 \d+ questions? comes? back in \d+[mhd]/);
    expect(after(r.stdout, '/quiz start ecs --review')).toMatch(/Nothing from ecs is due for review right now\. 🎉 \d+ questions? comes? back in/);
    const items = after(r.stdout, '/quiz packs ecs');
    expect(items).toMatch(/AWS ECS and Docker Basics — \d+ items/);
    expect(items).toMatch(/ecs-ex-boot-speed\s+exercise\s+Why does a Docker container start/);
    expect(items).toMatch(/ecs-fargate-billing\s+mcq\s+How is a task on AWS Fargate billed\?/);
    expect(items).not.toContain('ecs-one-concern-per-container');
    expect(after(r.stdout, '/quiz interview ecs')).toMatch(/Why this one: Nothing is due, so one you have not practised yet \(4 left\)\./);
    expect(after(r.stdout, '/quiz interview ecs --item ecs-ex-boot-speed')).toContain('Why this one: The item you asked for.');
    expect(after(r.stdout, '/quiz interview ecs --item nope')).toContain("'nope' is not an interview question or exercise of ecs");
  }, 60_000);
});
