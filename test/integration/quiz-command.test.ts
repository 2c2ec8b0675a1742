import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quiz } from '../../commands/quiz.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher, type DispatchResult } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText, type Reply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteQuizStore } from '../../src/db/quiz-store.ts';
import { loadPacks, type McqItem, type PackCatalog } from '../../src/quiz/pack.ts';
import { resumableTimers } from '../../src/quiz/service.ts';
import { FakeClock } from '../fakes/fake-clock.ts';

const quizzes = join(import.meta.dirname, '..', '..', 'quizzes');
const ann: Caller = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'UANN', displayName: 'ann' };
const bob: Caller = { ...ann, userId: 'UBOB', displayName: 'bob' };
const cy: Caller = { ...ann, userId: 'UCY', displayName: 'cy' };
const otto: Caller = { ...ann, userId: 'UOPS', displayName: 'otto' };
const opened: OpenDatabase[] = [];

afterEach(() => {
  while (opened.length) opened.pop()!.close();
});

function bot(opts: { file?: string; clock?: FakeClock; packs?: PackCatalog; followUps?: boolean } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const database = openDatabase(opts.file ?? ':memory:');
  opened.push(database);
  const store = new SqliteQuizStore(database.db);
  const packs = opts.packs ?? loadPacks(quizzes);
  const dispatcher = new Dispatcher({
    commands: [quiz],
    ports: { clock, audit: new SqliteAuditLog(database.db), quiz: store, packs },
    settings: defaultSettings({ userRoles: new Map([['slack:UOPS', 'operator']]) }),
    log: silentLogger,
  });
  const posted: Reply[] = [];
  const follow = (r: DispatchResult): DispatchResult => {
    if (opts.followUps === false) return r;
    void r.followUp?.(async (reply) => {
      posted.push(reply);
    });
    return r;
  };
  const run = async (text: string, who: Caller = ann) => follow(await dispatcher.run(text, who));
  const press = async (action: string, who: Caller) => follow(await dispatcher.press(action, who));
  /** The open question of the channel's team session (or the caller's solo one). */
  const open = async (who: Caller = ann, solo = false): Promise<McqItem> => {
    const scope = solo ? `solo:slack:T1:C1:${who.userId}` : 'team:slack:T1:C1';
    const st = await store.activeSession(scope);
    if (!st) throw new Error('no session');
    return packs.packs.get(st.state.pack)!.items.find((i) => i.id === st.state.itemIds[st.state.index]) as McqItem;
  };
  return { clock, store, dispatcher, posted, run, press, open, database };
}

const L = ['A', 'B', 'C', 'D', 'E'];
const right = (q: McqItem): string => L[q.answer]!;
const wrong = (q: McqItem): string => L[(q.answer + 1) % q.choices.length]!;
const text = (r: DispatchResult | Reply): string => replyToPlainText('reply' in r ? r.reply : r);

describe('/quiz team sessions through the dispatcher', () => {
  it('asks with lettered choices and buttons, takes one answer each, and reveals when the timer ends', async () => {
    const b = bot();
    const start = await b.run('/quiz ecs --questions 3 --timer 30s');
    const q1 = await b.open();
    expect(start.reply.visibility).toBe('channel');
    expect(text(start)).toContain('question 1 of 3');
    expect(text(start)).toContain(q1.prompt);
    expect(text(start)).toContain(`A) ${q1.choices[0]!.text}`);
    const buttons = start.reply.blocks.find((x) => x.kind === 'actions');
    expect(buttons && buttons.kind === 'actions' && buttons.buttons.map((x) => x.action)).toEqual(q1.choices.map((_, i) => `run:/quiz answer ${L[i]}`));

    const got = await b.press(`run:/quiz answer ${right(q1)}`, bob);
    expect(got.reply.visibility).toBe('ephemeral');
    expect(text(got)).toContain(`Got it, bob: ${right(q1)}`);
    const again = await b.run(`/quiz answer ${wrong(q1)}`, bob);
    expect(again.reply.visibility).toBe('ephemeral');
    expect(text(again)).toContain(`You already answered this question (${right(q1)})`);
    await b.run(`/quiz answer ${wrong(q1)}`, cy);
    expect(b.posted).toHaveLength(0);

    await b.clock.advance(30_000);
    expect(b.posted).toHaveLength(1);
    const reveal = text(b.posted[0]!);
    expect(b.posted[0]!.visibility).toBe('channel');
    expect(reveal).toContain('Time is up');
    expect(reveal).toContain(`Answer: ${right(q1)}) ${q1.choices[q1.answer]!.text}`);
    expect(reveal).toContain(q1.explanation);
    for (const [i, c] of q1.choices.entries()) if (i !== q1.answer) expect(reveal).toContain(`${L[i]}) ${c.why}`);
    expect(reveal).toMatch(/How it was answered: .*/);
    expect(reveal).toMatch(/Right: bob \+150/);
    expect(reveal).toContain(`Missed: cy (${wrong(q1)})`);
    expect(reveal).toContain('question 2 of 3');
  });

  it('reveals early once everyone who joined has answered; /quiz next and stop belong to the starter or an operator', async () => {
    const b = bot();
    await b.run('/quiz ecs --questions 3 --timer 20s');
    const q1 = await b.open();
    await b.run(`/quiz answer ${right(q1)}`, bob);
    await b.run(`/quiz answer ${right(q1)}`, cy);
    const denied = await b.run('/quiz next', bob);
    expect(text(denied)).toContain('only ann, who started this quiz, or an operator can move it on');
    const next = await b.run('/quiz next', ann);
    expect(text(next)).toContain('Right: ');
    expect(text(next)).toContain('question 2 of 3');

    const q2 = await b.open();
    await b.run(`/quiz answer ${right(q2)}`, bob);
    const last = await b.run(`/quiz answer ${wrong(q2)}`, cy);
    expect(last.reply.visibility).toBe('channel');
    expect(text(last)).toContain('Everyone who joined has answered.');
    expect(text(last)).toMatch(/bob \+\d+ 🔥2 in a row/);
    expect(text(last)).toContain('question 3 of 3');

    expect(text(await b.run('/quiz stop', cy))).toContain('only ann, who started this quiz, or an operator can stop it');
    const stopped = await b.run('/quiz stop', otto);
    expect(text(stopped)).toContain('Quiz stopped');
    expect(text(stopped)).toMatch(/1 \| bob \| \d+ \| 2\/2 \| 2/);
    expect(text(stopped)).toContain('Stopped by otto.');
    expect(text(await b.run(`/quiz answer A`, bob))).toContain('no quiz is running here');
  });

  it('runs one session per channel and never repeats a question', async () => {
    const b = bot();
    await b.run('/quiz ecs --questions 28 --timer 5s');
    expect(text(await b.run('/quiz start ecs', bob))).toContain('a quiz is already running here (ecs, question 1 of 28, started by ann)');
    const seen = new Set<string>();
    for (let i = 0; i < 28; i++) {
      seen.add((await b.open()).id);
      await b.clock.advance(5_000);
    }
    expect(seen.size).toBe(28);
    expect(text(b.posted.at(-1)!)).toContain('Quiz over');
    expect(await b.store.activeSession('team:slack:T1:C1')).toBeNull();
  });

  it('survives a restart in the middle: answers kept, no double answers, the overdue reveal comes on the next command', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'quiz-restart-')), 'dockhand.db');
    const clock = new FakeClock();
    const first = bot({ file, clock });
    await first.run('/quiz ecs --questions 2 --timer 30s');
    const q1 = await first.open();
    await first.run(`/quiz answer ${right(q1)}`, bob);
    first.dispatcher.abortAll();
    first.database.close();
    opened.splice(opened.indexOf(first.database), 1);

    // The new process runs no timer loop yet, so the overdue reveal must come from the next command.
    const second = bot({ file, clock, followUps: false });
    expect(text(await second.run(`/quiz answer ${wrong(q1)}`, bob))).toContain(`You already answered this question (${right(q1)})`);
    await second.run(`/quiz answer ${wrong(q1)}`, cy);
    await clock.advance(45_000);
    const late = await second.run('/quiz answer A', cy);
    expect(text(late)).toContain('your answer came after the question closed');
    expect(text(late)).toContain('Time is up');
    expect(text(late)).toMatch(/Right: bob \+\d+/);
    expect(text(late)).toContain(`Missed: cy (${wrong(q1)})`);
    expect(text(late)).toContain('question 2 of 2');
    // ...and that command hands back the timer loop for the rest of the session.
    expect(late.followUp).toBeDefined();
    const posted: Reply[] = [];
    void late.followUp!(async (r) => {
      posted.push(r);
    });
    await clock.advance(30_000);
    expect(text(posted.at(-1)!)).toContain('Quiz over');
    expect(await second.store.userAnswers({ platform: 'slack', workspaceId: 'T1', userId: 'UBOB' })).toHaveLength(1);
  });

  it('hands main.ts the timer loops of running timed sessions to restart at boot', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'quiz-resume-')), 'dockhand.db');
    const clock = new FakeClock();
    const first = bot({ file, clock, followUps: false });
    await first.run('/quiz ecs --questions 2 --timer 30s');
    await first.run('/quiz ecs --solo --questions 2', bob);
    const second = bot({ file, clock });
    const timers = await resumableTimers({ store: second.store, packs: loadPacks(quizzes), clock });
    expect(timers.map((t) => [t.channelId, t.mode])).toEqual([['C1', 'team']]);
    const posted: Reply[] = [];
    void timers[0]!.task(async (r) => {
      posted.push(r);
    }, new AbortController().signal);
    await clock.advance(30_000);
    expect(text(posted[0]!)).toContain('Time is up');
    expect(text(posted[0]!)).toContain('question 2 of 2');
  });

  it('hands the leader only the questions left unrevealed well past their time (their timer died with its replica)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'quiz-orphan-')), 'dockhand.db');
    const clock = new FakeClock();
    const first = bot({ file, clock, followUps: false });
    await first.run('/quiz ecs --questions 2 --timer 30s');
    const deps = { store: bot({ file, clock }).store, packs: loadPacks(quizzes), clock };
    // Time is not up yet, then just up: a live timer reveals it now, so the leader leaves it alone.
    expect(await resumableTimers(deps, { overdueByMs: 30_000 })).toEqual([]);
    await clock.advance(45_000);
    expect(await resumableTimers(deps, { overdueByMs: 30_000 })).toEqual([]);
    // 30 s past its time nobody revealed it: nothing alive holds its timer.
    await clock.advance(20_000);
    const orphans = await resumableTimers(deps, { overdueByMs: 30_000 });
    expect(orphans.map((t) => [t.channelId, t.mode])).toEqual([['C1', 'team']]);
    const posted: Reply[] = [];
    void orphans[0]!.task(async (r) => {
      posted.push(r);
    }, new AbortController().signal);
    await clock.advance(0);
    expect(text(posted[0]!)).toContain('Time is up');
  });
});

describe('/quiz solo, interview practice, scores and review', () => {
  it('runs a solo session without a timer and shows it in /quiz score', async () => {
    const b = bot();
    const start = await b.run('/quiz ecs --solo --questions 2', bob);
    expect(start.reply.visibility).toBe('ephemeral');
    expect(start.followUp).toBeUndefined();
    const q1 = await b.open(bob, true);
    const r1 = await b.run(`/quiz answer ${right(q1)}`, bob);
    expect(text(r1)).toMatch(/✅ Right! \+\d+ points/);
    expect(text(r1)).toContain('question 2 of 2');
    const q2 = await b.open(bob, true);
    const r2 = await b.run(`/quiz answer ${wrong(q2)}`, bob);
    expect(text(r2)).toContain(`❌ Not quite: you chose ${wrong(q2)}.`);
    expect(text(r2)).toContain('Quiz over');
    const score = text(await b.run('/quiz score', bob));
    expect(score).toContain('Quiz score — bob');
    expect(score).toContain('Answered: 2');
    expect(score).toContain('Right: 1');
    expect(score).toContain('Accuracy: 50%');
    expect(score).toContain('Current streak: 0');
    expect(score).toContain('Weakest: ');
    expect(text(await b.run('/quiz score bob', ann))).toContain('Quiz score — bob');
    for (const mention of ['<@UBOB>', '<@UBOB|bob>', '@bob']) expect(text(await b.run(`/quiz score ${mention}`, ann))).toContain('Quiz score — bob');
    expect(text(await b.run('/quiz score nobody', ann))).toContain("nobody called 'nobody' has answered a quiz here yet");
    const board = text(await b.run('/quiz leaderboard ecs --week', ann));
    expect(board).toContain('Leaderboard — AWS ECS and Docker Basics, last 7 days');
    expect(board).toMatch(/1 \| bob \| \d+ \| 1\/2 \| 50%/);

    // The wrong answer comes back for review within minutes; the right one does not yet.
    await b.clock.advance(2 * 60_000);
    const review = await b.run('/quiz review', bob);
    expect(text(review)).toContain('Due for review — 1 item');
    expect(text(review)).toContain(q2.prompt.slice(0, 40));
    const again = await b.run('/quiz start ecs --review', bob);
    expect(text(again)).toContain('question 1 of 1');
    expect((await b.open(bob, true)).id).toBe(q2.id);
  });

  it('scores an interview answer by key points, shows the model answer, and schedules it by self-rating', async () => {
    const b = bot();
    const ask = await b.run('/quiz interview ecs', ann);
    expect(ask.reply.visibility).toBe('ephemeral');
    expect(text(ask)).toMatch(/Interview question|Exercise/);
    const attempt = (await b.store.openInterview({ platform: 'slack', workspaceId: 'T1', userId: 'UANN' }))!;
    const item = loadPacks(quizzes).packs.get('ecs')!.items.find((i) => i.id === attempt.itemId)!;
    expect(text(ask)).toContain(item.prompt);
    const fb = text(await b.run('/quiz answer Containers share the host kernel; a VM boots a full guest OS on a hypervisor. The Dockerfile builds an image pushed to ECR.', ann));
    expect(fb).toMatch(/Score \d+% — (✅ passed|❌ not passed) \(pass mark \d+%\)/);
    expect(fb).toMatch(/Key points \(weight; \d+ of \d+ credited\):/);
    expect(fb).toMatch(/(✅|❌|⚠️) \(\d+\) /);
    expect(fb).toContain('Model answer:');
    expect(fb).toContain('[Again] [Hard] [Good] [Easy]');
    expect(text(await b.run('/quiz answer more words here', ann))).toContain('you have already answered your interview question');
    const rated = text(await b.run('/quiz rate good', ann));
    if (/✅ passed/.test(fb)) expect(rated).toMatch(/Rated good\. This question comes back for review in \d+[mhd]/);
    else expect(rated).toMatch(/Rated good, but your answer did not pass \(\d+%, pass mark \d+%\), so like a wrong answer it comes back for review in \d+m/);
    expect(text(await b.run('/quiz rate easy', ann))).toContain('there is no answer of yours waiting for a rating');
    const scored = text(await b.run('/quiz score', ann));
    expect(scored).toMatch(/Of these, interview practice: 1 answer, [01] passed, average score \d+%/);
    // The score counts the same answers as the leaderboard: the interview answer is one of them.
    const board = text(await b.run('/quiz leaderboard', ann));
    const answered = /Answered \| (\d+)|Answered: (\d+)/.exec(scored);
    expect(board).toMatch(new RegExp(`ann \\| \\d+ \\| \\d/${answered?.[1] ?? answered?.[2]}`));
  });

  it('schedules a free-text answer that did not pass like a wrong answer, whatever the self-rating', async () => {
    const b = bot();
    const user = { platform: 'slack' as const, workspaceId: 'T1', userId: 'UANN' };
    await b.run('/quiz interview ecs --item ecs-ex-boot-speed', ann);
    expect(text(await b.run("/quiz answer Docker uses a smaller, optimized kernel that boots faster than the VM's full operating system boot process", ann))).toContain('❌ not passed');
    expect(text(await b.run('/quiz rate easy', ann))).toMatch(/Rated easy, but your answer did not pass \(33%, pass mark 55%\), so like a wrong answer it comes back for review in \d+m/);
    const failed = (await b.store.getCard(user, 'ecs', 'ecs-ex-boot-speed'))!;
    expect(failed.due - b.clock.now()).toBeLessThanOrEqual(10 * 60_000);

    await b.run('/quiz interview ecs --item ecs-ex-ec2-vs-fargate', ann);
    expect(text(await b.run('/quiz answer EC2 means your own fleet of instances that you patch and scale. Fargate is serverless.', ann))).toContain('✅ passed');
    expect(text(await b.run('/quiz rate easy', ann))).toMatch(/Rated easy\. This question comes back for review in \d+d/);
    expect((await b.store.userAnswers(user)).map((a) => [a.itemId, a.correct])).toEqual([
      ['ecs-ex-boot-speed', false],
      ['ecs-ex-ec2-vs-fargate', true],
    ]);
  });

  it('explains bad input: unknown pack, no session, conflicting windows; lists packs and those left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiz-packs-'));
    copyFileSync(join(quizzes, 'ecs.yaml'), join(dir, 'ecs.yaml'));
    writeFileSync(join(dir, 'broken.yaml'), 'pack: broken\ntitle: Broken\nsections: {}\nitems: []\n');
    const b = bot({ packs: loadPacks(dir) });
    expect(text(await b.run('/quiz nosuchpack'))).toContain("there is no quiz pack 'nosuchpack'. The packs are: ecs");
    const none = text(await b.run('/quiz answer B', bob));
    expect(none).toContain('no quiz is running here for you to answer');
    expect(none).toContain('/quiz ecs --solo');
    const next = text(await b.run('/quiz next', bob));
    expect(next).toContain('no quiz is running here to move on');
    expect(next).not.toContain('answer');
    expect(text(await b.run('/quiz leaderboard --week --month'))).toContain('choose one of --week, --month or --all, not --week and --month');
    expect(text(await b.run('/quiz leaderboard'))).toContain('No answers yet');
    const packs = text(await b.run('/quiz packs'));
    expect(packs).toMatch(/ecs \| AWS ECS and Docker Basics \| 35 \| 2 \| 2/);
    expect(packs).toContain('Left out for errors: broken.yaml');
  });
});
