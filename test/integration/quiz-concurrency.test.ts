/**
 * Study mode when requests overlap: the store is asynchronous (and shared by replicas), so two
 * requests can both read before either writes. These tests make that happen on purpose — every
 * store call waits a turn of the event loop before and after it runs — and check that the rules
 * users see still hold, because the writes decide (a unique key, a version, a phase), not the reads.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { quiz } from '../../commands/quiz.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { openDatabase } from '../../src/db/client.ts';
import { sqliteStores } from '../../src/db/open.ts';
import { postgresStores } from '../../src/db/pg/stores.ts';
import { openPostgres } from '../../src/db/pg/client.ts';
import type { QuizStore } from '../../src/ports/quiz-store.ts';
import type { Stores } from '../../src/ports/stores.ts';
import { loadPacks, type McqItem } from '../../src/quiz/pack.ts';
import { answer } from '../../src/quiz/service.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { postgresUnavailable, usePostgres } from '../fakes/postgres.ts';

const quizzes = join(import.meta.dirname, '..', '..', 'quizzes');
const packs = loadPacks(quizzes);
const ann: Caller = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'UANN', displayName: 'ann' };
const bob: Caller = { ...ann, userId: 'UBOB', displayName: 'bob' };
const cy: Caller = { ...ann, userId: 'UCY', displayName: 'cy' };
const L = ['A', 'B', 'C', 'D', 'E'];
const opened: Stores[] = [];

afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The store as a slow database would serve it: each call waits a turn before and after it runs. */
function interleaving(store: QuizStore): QuizStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        await tick();
        const out: unknown = await (v as (...a: unknown[]) => unknown).apply(target, args);
        await tick();
        return out;
      };
    },
  });
}

/** One dockhand replica on the shared database (its own connection), without running follow-ups. */
function replica(stores: Stores, clock: FakeClock) {
  opened.push(stores);
  const store = interleaving(stores.quiz);
  const dispatcher = new Dispatcher({
    commands: [quiz],
    ports: { clock, audit: stores.audit, quiz: store, packs },
    settings: defaultSettings(),
    log: silentLogger,
  });
  const run = async (line: string, who: Caller): Promise<string> => replyToPlainText((await dispatcher.run(line, who)).reply);
  return { store, run, dispatcher };
}

/** Opens the same fresh database twice, as two replicas would. */
type TwoConnections = () => Promise<[Stores, Stores]>;

async function openQuestion(store: QuizStore): Promise<{ sessionId: string; item: McqItem }> {
  const st = (await store.activeSession('team:slack:T1:C1'))!;
  const item = packs.packs.get(st.state.pack)!.items.find((i) => i.id === st.state.itemIds[st.state.index]) as McqItem;
  return { sessionId: st.id, item };
}

function raceSuite(label: string, connect: TwoConnections): void {
describe(`${label}: quiz answers that arrive at the same moment`, () => {
  const twoReplicas = async () => {
    const clock = new FakeClock();
    const [x, y] = await connect();
    return { a: replica(x, clock), b: replica(y, clock), clock };
  };

  it('counts one answer per member when two of the same member arrive at once, on two replicas or on one', async () => {
    const { a, b } = await twoReplicas();
    await a.run('/quiz ecs --questions 2 --timer 30s', ann);
    const { sessionId, item } = await openQuestion(a.store);
    const right = L[item.answer]!;
    const wrong = L[(item.answer + 1) % item.choices.length]!;

    // bob presses two different buttons at once; each press reaches another replica.
    const onTwo = await Promise.all([a.run(`/quiz answer ${right}`, bob), b.run(`/quiz answer ${wrong}`, bob)]);
    // cy double-clicks on one replica.
    const onOne = await Promise.all([a.run(`/quiz answer ${wrong}`, cy), a.run(`/quiz answer ${right}`, cy)]);

    for (const [who, replies] of [['bob', onTwo], ['cy', onOne]] as const) {
      const taken = replies.filter((t) => t.includes(`Got it, ${who}:`));
      const refused = replies.filter((t) => t.includes('You already answered this question'));
      expect(taken, `${who}: ${replies.join(' / ')}`).toHaveLength(1);
      expect(refused).toHaveLength(1);
      // The refusal names the answer that counted.
      const kept = /Got it, \w+: ([A-E])/.exec(taken[0]!)![1];
      expect(refused[0]).toContain(`(${kept})`);
    }
    const logged = await a.store.sessionAnswers(sessionId, item.id);
    expect(logged.map((x) => x.userId).sort()).toEqual(['UBOB', 'UCY']);

    // The reveal and the leaderboard count each of them once.
    const reveal = await b.run('/quiz next', ann);
    expect(reveal.match(/\bbob\b/g)).toHaveLength(1);
    expect(reveal.match(/\bcy\b/g)).toHaveLength(1);
    const board = await a.run('/quiz leaderboard', ann);
    expect(board).toMatch(/\| bob \| \d+ \| [01]\/1 \|/);
    expect(board).toMatch(/\| cy \| \d+ \| [01]\/1 \|/);
  });

  it('puts an answer that races the reveal either in the reveal or tells its sender the question closed, never neither', async () => {
    // Each offset starts /quiz next a few turns after the answer, so the reveal's read and write land
    // at different points of the answer's own steps.
    for (let offset = 0; offset <= 12; offset++) {
      const { a, b, clock } = await twoReplicas();
      await a.run('/quiz ecs --questions 2 --timer 30s', ann);
      const { sessionId, item } = await openQuestion(a.store);
      const wrong = L[(item.answer + 1) % item.choices.length]!;
      await a.run(`/quiz answer ${L[item.answer]}`, bob);
      const answered = a.run(`/quiz answer ${wrong}`, cy);
      // The reveal reaches dockhand after the answer did (a millisecond later), as it does in this race in life.
      clock.nudge(1);
      for (let i = 0; i < offset; i++) await tick();
      const [said, reveal] = await Promise.all([answered, b.run('/quiz next', ann)]);
      const logged = (await a.store.sessionAnswers(sessionId, item.id)).map((x) => x.userId);
      const where = `offset ${offset}: cy was told "${said}"; the reveal says "${reveal}"`;
      if (said.includes('Got it, cy')) {
        expect(logged, where).toContain('UCY');
        expect(reveal, where).toContain(`Missed: cy (${wrong})`);
      } else {
        expect(said, where).toMatch(/closed just before your answer arrived|your answer came after the question closed/);
        expect(logged, where).not.toContain('UCY');
        expect(reveal, where).not.toMatch(/\bcy\b/);
      }
      for (const d of opened.splice(0)) await d.close();
    }
  });

  it('tells an answer that reached dockhand before /quiz next, but was read after its reveal, that the question closed', async () => {
    const { a, b, clock } = await twoReplicas();
    await a.run('/quiz ecs --questions 2 --timer 30s', ann);
    const first = await openQuestion(a.store);
    const arrivedAt = clock.now();
    clock.nudge(1);
    // Another replica reveals question 1 and shows question 2 before this replica reads the session.
    expect(await b.run('/quiz next', ann)).toContain('question 2 of 2');
    const second = await openQuestion(a.store);
    const answerAt = async (at: number): Promise<string> => {
      const r = await answer({ store: a.store, packs, clock }, cy, 'A', at);
      return replyToPlainText('followUp' in r ? r.reply : r);
    };
    const said = await answerAt(arrivedAt);
    expect(said).toContain('That question closed just before your answer arrived');
    expect((await a.store.sessionAnswers(second.sessionId, second.item.id)).map((x) => x.userId)).not.toContain('UCY');
    expect((await a.store.sessionAnswers(first.sessionId, first.item.id)).map((x) => x.userId)).not.toContain('UCY');
    // The same answer sent once question 2 is showing counts for question 2.
    expect(await answerAt(clock.now())).toContain('Got it, cy: A');
  });

  it('rates an interview answer once when two ratings arrive at once', async () => {
    const { a, b } = await twoReplicas();
    await a.run('/quiz interview ecs --item ecs-ex-ec2-vs-fargate', ann);
    expect(await a.run('/quiz answer EC2 means your own fleet of instances that you patch and scale. Fargate is serverless.', ann)).toContain('✅ passed');
    const replies = await Promise.all([a.run('/quiz rate good', ann), b.run('/quiz rate easy', ann)]);
    expect(replies.filter((t) => /^Rated (good|easy)\./.test(t)), replies.join(' / ')).toHaveLength(1);
    expect(replies.filter((t) => t.includes('your answer was rated a moment ago') || t.includes('there is no answer of yours waiting for a rating'))).toHaveLength(1);
    const card = await a.store.getCard({ platform: 'slack', workspaceId: 'T1', userId: 'UANN' }, 'ecs', 'ecs-ex-ec2-vs-fargate');
    expect(card?.reps).toBe(1);
  });
});
}

raceSuite('SQLite', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'quiz-race-')), 'dockhand.db');
  return [sqliteStores(openDatabase(file)), sqliteStores(openDatabase(file))];
});

describe.skipIf(postgresUnavailable)('PostgreSQL', () => {
  const server = usePostgres();
  let template = '';
  beforeAll(async () => {
    const url = await server.cluster.createDatabase();
    await (await openPostgres(url)).close();
    template = new URL(url).pathname.slice(1);
  });
  afterAll(async () => {
    while (opened.length) await opened.pop()!.close();
  });
  raceSuite('PostgreSQL', async () => {
    const url = await server.cluster.createDatabase(undefined, { template });
    return [postgresStores(await openPostgres(url, { poolSize: 3 }), url), postgresStores(await openPostgres(url, { poolSize: 3 }), url)];
  });
});
