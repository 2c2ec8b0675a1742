import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDb } from './cli.ts';

/** The output of one command line of a run: from its echo to the next prompt. */
function after(stdout: string, line: string): string {
  const at = stdout.indexOf(`> ${line}\n`);
  expect(at, `the run echoes "${line}"`).toBeGreaterThanOrEqual(0);
  return stdout.slice(at + line.length + 3).split('\n> ')[0] as string;
}

describe('flagging quiz questions over the terminal (npm start)', () => {
  it('flags the question last shown (also after a restart), notes open flags at the reveal, lists them grouped and resolves them', async () => {
    const db = tempDb();
    const first = await runCli(['/quiz flag too early', '/quiz ecs --solo --questions 1', '/quiz flag the choices give the answer away', '/quiz answer A'], { DOCKHAND_DB: db });
    expect(after(first.stdout, '/quiz flag too early')).toContain('no quiz question has been shown to you in this channel yet');
    const noted = after(first.stdout, '/quiz flag the choices give the answer away');
    const id = /⚑ Flag #1 noted on (ecs-[a-z0-9-]+) /.exec(noted)?.[1];
    expect(id, noted).toBeDefined();
    const reveal = after(first.stdout, '/quiz answer A');
    expect(reveal).toContain('⚑ This question has 1 open flag from learners');
    expect(reveal).toMatch(/\[\d+\] Flag {3}\(type the number to press\)/);

    // A new process: the last question shown is remembered in the database. The item flagged by id
    // is another one than the (random) question shown.
    const [other, otherPrompt] = id === 'ecs-fargate-billing' ? ['ecs-cluster-what', 'What is an ECS cluster?'] : ['ecs-fargate-billing', 'How is a task on AWS Fargate billed?'];
    const second = await runCli(
      ['/quiz flag still unclear after the fix', `/quiz flag --item ${other} the minimum is missing`, '/quiz flags', '/quiz resolve 1 reworded the choices', '/quiz resolve 1', '/quiz resolve 99', '/quiz flags ecs'],
      { DOCKHAND_DB: db },
    );
    expect(after(second.stdout, '/quiz flag still unclear after the fix')).toContain(`⚑ Flag #2 noted on ${id} `);
    expect(after(second.stdout, `/quiz flag --item ${other} the minimum is missing`)).toContain(`⚑ Flag #3 noted on ${other} ("${otherPrompt}")`);
    const queue = after(second.stdout, '/quiz flags');
    expect(queue).toContain('Open quiz flags — all packs: 3 on 2 questions');
    expect(queue).toContain(`ecs/${id} — 2 flags — `);
    expect(queue).toMatch(/• #1 tester, \S.*: the choices give the answer away/);
    expect(queue).toContain(`ecs/${other} — 1 flag — ${otherPrompt}`);
    // The most flagged question comes first.
    expect(queue.indexOf(`ecs/${id}`)).toBeLessThan(queue.indexOf(`ecs/${other}`));
    expect(after(second.stdout, '/quiz resolve 1 reworded the choices')).toContain(`✅ Flag #1 on ${id} resolved: reworded the choices`);
    expect(after(second.stdout, '/quiz resolve 1')).toContain('flag #1 was already resolved by tester');
    expect(after(second.stdout, '/quiz resolve 99')).toContain('there is no flag #99 here');
    expect(after(second.stdout, '/quiz flags ecs')).toContain('2 on 2 questions');
    expect(second.stdout + second.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 120_000);

  it('lets only operators see and resolve flags, while a viewer may flag', async () => {
    const db = tempDb();
    const r = await runCli(['/quiz ecs --solo --questions 1', '/quiz flag typo in choice B', '/quiz flags', '/quiz resolve 1'], {
      DOCKHAND_DB: db,
      DOCKHAND_CONFIG: join(repoRoot, 'test', 'e2e', 'viewer-terminal.yaml'),
    });
    expect(after(r.stdout, '/quiz flag typo in choice B')).toContain('⚑ Flag #1 noted on');
    expect(after(r.stdout, '/quiz flags')).toMatch(/operator/);
    expect(after(r.stdout, '/quiz resolve 1')).toMatch(/operator/);
  }, 120_000);
});
