/**
 * The quiz store's contract, the same for every database: sessions compare-and-set, answers logged
 * once with their leaderboard aggregates, folding, review cards, interviews, last-shown and flags.
 * test/integration/store-contract.test.ts runs it on SQLite and on a real PostgreSQL server.
 */
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/quiz/engine.ts';
import { scheduleReview } from '../../src/quiz/review.ts';
import type { AnswerRecord, QuizStore, QuizUserKey } from '../../src/ports/quiz-store.ts';

/** A quiz store with the bulk path imports and benches use. */
export type BulkQuizStore = QuizStore & { recordAnswers(answers: readonly AnswerRecord[]): Promise<number> };

/** A fresh, migrated, empty database under test. */
export interface QuizDatabase {
  /** The store. */
  store: BulkQuizStore;
  /** Another store on the same database over its own connection (another process or replica). */
  another(): Promise<BulkQuizStore>;
}

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const DAY = 86_400_000;

function answer(over: Partial<AnswerRecord> = {}): AnswerRecord {
  return {
    sessionId: 's1',
    platform: 'slack',
    workspaceId: 'T1',
    channelId: 'C1',
    userId: 'U1',
    userName: 'ann',
    pack: 'ecs',
    itemId: 'q1',
    section: 'basics',
    kind: 'mcq',
    choice: 'B',
    text: null,
    correct: true,
    points: 140,
    coverage: null,
    responseMs: 4_000,
    at: T0,
    ...over,
  };
}

function session(id: string, scope = 'team:slack:T1:C1') {
  const state = createSession({ id, pack: 'ecs', mode: 'team', starterId: 'U1', starterName: 'ann', itemIds: ['q1', 'q2'], timerMs: 30_000, now: T0 });
  return { id, scope, platform: 'slack' as const, workspaceId: 'T1', channelId: 'C1', state };
}

/**
 * Defines the quiz store's contract tests for one implementation; `open` gives a fresh, migrated,
 * empty database (closed by the caller's own hooks).
 */
export function quizStoreContract(label: string, open: () => Promise<QuizDatabase>): void {
  describe(`${label}: quiz store`, () => {
    it('keeps one running session per scope and compare-and-sets its state', async () => {
      const { store } = await open();
      expect(await store.createSession(session('a'))).toBe(true);
      expect(await store.createSession(session('b'))).toBe(false);
      expect(await store.createSession(session('c', 'solo:slack:T1:C1:U1'))).toBe(true);
      const st = (await store.activeSession('team:slack:T1:C1'))!;
      expect(st).toMatchObject({ id: 'a', version: 1 });
      const saved = await store.saveSession('a', 1, { ...st.state, index: 1 });
      expect(saved).toMatchObject({ version: 2, state: { index: 1 } });
      expect(await store.saveSession('a', 1, { ...st.state, index: 0 })).toBeNull();
      expect(await store.saveSession('a', 2, { ...saved!.state, finishedAt: T0 + 1 })).not.toBeNull();
      expect(await store.activeSession('team:slack:T1:C1')).toBeNull();
      expect(await store.createSession(session('d'))).toBe(true);
      expect((await store.activeSessions()).map((s) => s.id).sort()).toEqual(['c', 'd']);
    });

    it('logs an answer exactly once, and not after its question closed', async () => {
      const { store } = await open();
      await store.createSession(session('s1'));
      expect(await store.recordAnswer(answer(), { sessionId: 's1', version: 1 })).toBe('recorded');
      expect(await store.recordAnswer(answer({ choice: 'C' }), { sessionId: 's1', version: 1 })).toBe('duplicate');
      await store.saveSession('s1', 1, (await store.activeSession('team:slack:T1:C1'))!.state);
      expect(await store.recordAnswer(answer({ userId: 'U2' }), { sessionId: 's1', version: 1 })).toBe('closed');
      expect((await store.sessionAnswers('s1', 'q1')).map((a) => [a.userId, a.choice])).toEqual([['U1', 'B']]);
      expect(await store.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: 10 })).toEqual([{ userId: 'U1', userName: 'ann', points: 140, correct: 1, answered: 1 }]);
    });

    it('builds leaderboards per workspace, pack and window from the aggregates', async () => {
      const { store } = await open();
      const rows: AnswerRecord[] = [
        answer({ sessionId: 'old', at: T0 - 40 * DAY, points: 150 }),
        answer({ sessionId: 'wk', at: T0 - 2 * DAY, points: 120 }),
        answer({ sessionId: 'wk', userId: 'U2', userName: 'bob', at: T0 - 1 * DAY, points: 145 }),
        answer({ sessionId: 'wk', itemId: 'q2', userId: 'U2', userName: 'bob', at: T0 - 1 * DAY, correct: false, points: 0 }),
        answer({ sessionId: 'm', pack: 'eks', userId: 'U3', userName: 'cy', at: T0 - 10 * DAY, points: 500 }),
        answer({ sessionId: 'x', workspaceId: 'T2', userId: 'U9', userName: 'zed', at: T0, points: 999 }),
      ];
      expect(await store.recordAnswers(rows)).toBe(6);
      const q = { platform: 'slack' as const, workspaceId: 'T1', limit: 10 };
      expect((await store.leaderboard(q)).map((r) => [r.userName, r.points, r.correct, r.answered])).toEqual([
        ['cy', 500, 1, 1],
        ['ann', 270, 2, 2],
        ['bob', 145, 1, 2],
      ]);
      expect((await store.leaderboard({ ...q, pack: 'ecs' })).map((r) => r.userName)).toEqual(['ann', 'bob']);
      expect((await store.leaderboard({ ...q, since: T0 - 7 * DAY })).map((r) => [r.userName, r.points])).toEqual([
        ['bob', 145],
        ['ann', 120],
      ]);
      expect((await store.leaderboard({ ...q, since: T0 - 30 * DAY })).map((r) => r.userName)).toEqual(['cy', 'bob', 'ann']);
      expect(await store.findUser('slack', 'T1', 'BOB')).toEqual({ userId: 'U2', userName: 'bob' });
      expect(await store.findUser('slack', 'T1', 'U3')).toEqual({ userId: 'U3', userName: 'cy' });
      expect(await store.findUser('slack', 'T1', 'zed')).toBeNull();
    });

    it('folds complete days into the totals once, and still counts answers back-dated into folded days', async () => {
      const { store } = await open();
      const q = { platform: 'slack' as const, workspaceId: 'T1', limit: 10 };
      await store.recordAnswers([
        answer({ sessionId: 'a', at: T0 - 3 * DAY, points: 100 }),
        answer({ sessionId: 'b', at: T0 - 2 * DAY, points: 110 }),
        answer({ sessionId: 'c', at: T0, points: 120 }),
      ]);
      const total = async (): Promise<number | undefined> => (await store.leaderboard(q))[0]?.points;
      expect(await total()).toBe(330);
      expect(await total()).toBe(330);
      // Days up to T0-1 are folded now; an answer dated into them must still count exactly once.
      expect(await store.recordAnswer(answer({ sessionId: 'late', at: T0 - 3 * DAY, points: 5 }))).toBe('recorded');
      expect(await total()).toBe(335);
      expect(await store.recordAnswer(answer({ sessionId: 'today', at: T0 + 1_000, points: 7 }))).toBe('recorded');
      expect(await total()).toBe(342);
      expect((await store.leaderboard({ ...q, since: T0 - 3 * DAY }))[0]?.points).toBe(342);
      expect((await store.leaderboard({ ...q, since: T0 }))[0]?.points).toBe(127);
      // A new day folds only that day; asking twice adds nothing twice.
      await store.recordAnswer(answer({ sessionId: 'tomorrow', at: T0 + DAY, points: 1 }));
      expect(await total()).toBe(343);
      expect(await total()).toBe(343);
    });

    it('shares one database between two connections (processes, replicas) without double counting', async () => {
      const db = await open();
      const a = db.store;
      const b = await db.another();
      await a.createSession(session('s1'));
      expect((await b.activeSession('team:slack:T1:C1'))?.id).toBe('s1');
      expect(await a.recordAnswer(answer(), { sessionId: 's1', version: 1 })).toBe('recorded');
      expect(await b.recordAnswer(answer(), { sessionId: 's1', version: 1 })).toBe('duplicate');
      expect(await b.userAnswers({ platform: 'slack', workspaceId: 'T1', userId: 'U1' })).toHaveLength(1);
      expect((await b.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: 5 }))[0]?.answered).toBe(1);
      // Both connections fold and read the same all-time board.
      await a.recordAnswers([answer({ sessionId: 'old', at: T0 - 5 * DAY }), answer({ sessionId: 'new', at: T0 + DAY })]);
      expect((await a.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: 5 }))[0]?.answered).toBe(3);
      expect((await b.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: 5 }))[0]?.answered).toBe(3);
    });

    it('keeps review cards and lists the due ones, most overdue first', async () => {
      const { store } = await open();
      const u: QuizUserKey = { platform: 'slack', workspaceId: 'T1', userId: 'U1' };
      await store.putCard(u, 'ecs', 'q1', scheduleReview(null, 'again', T0));
      await store.putCard(u, 'ecs', 'q2', scheduleReview(null, 'easy', T0));
      await store.putCard(u, 'ecs', 'q3', scheduleReview(null, 'again', T0 - DAY));
      expect((await store.dueCards(u, T0 + 10 * 60_000, 10)).map((d) => d.itemId)).toEqual(['q3', 'q1']);
      const again = (await store.getCard(u, 'ecs', 'q1'))!;
      await store.putCard(u, 'ecs', 'q1', scheduleReview(again, 'good', T0 + 10 * 60_000));
      expect((await store.getCard(u, 'ecs', 'q1'))!.reps).toBe(2);
      expect(await store.dueCards({ ...u, userId: 'U2' }, T0 + DAY, 10)).toEqual([]);
    });

    it('tracks interview attempts through answering, rating and done', async () => {
      const { store } = await open();
      const user: QuizUserKey = { platform: 'console', workspaceId: 'local', userId: 'me' };
      await store.startInterview({ id: 'i1', user, channelId: 'terminal', pack: 'ecs', itemId: 'iq1', phase: 'answering', startedAt: T0, coverage: null });
      await store.startInterview({ id: 'i2', user, channelId: 'terminal', pack: 'ecs', itemId: 'iq2', phase: 'answering', startedAt: T0 + 1, coverage: null });
      expect((await store.openInterview(user))?.id).toBe('i2');
      await store.updateInterview('i2', 'rating', 75);
      expect(await store.openInterview(user)).toMatchObject({ id: 'i2', phase: 'rating', coverage: 75 });
      await store.updateInterview('i2', 'done');
      expect(await store.openInterview(user)).toBeNull();
    });

    it('remembers the last question shown per user and per channel, and keeps flags per workspace, seen from another connection', async () => {
      const db = await open();
      const { store } = db;
      const here = { platform: 'slack' as const, workspaceId: 'T1', channelId: 'C1' };
      expect(await store.lastShown({ ...here, userId: 'U1' })).toBeNull();
      await store.noteShown({ ...here, userId: '' }, { pack: 'ecs', itemId: 'team-q', at: T0 });
      await store.noteShown({ ...here, userId: 'U1' }, { pack: 'ecs', itemId: 'solo-q', at: T0 + 1 });
      expect((await store.lastShown({ ...here, userId: 'U1' }))?.itemId).toBe('solo-q');
      expect((await store.lastShown({ ...here, userId: 'U2' }))?.itemId).toBe('team-q');
      await store.noteShown({ ...here, userId: '' }, { pack: 'ecs', itemId: 'team-q2', at: T0 + 2 });
      expect((await store.lastShown({ ...here, userId: 'U1' }))?.itemId).toBe('team-q2');
      const f = await store.addFlag({ ...here, userId: 'U1', userName: 'ann', pack: 'ecs', itemId: 'team-q2', reason: 'unclear', createdAt: T0 + 3 });
      await store.addFlag({ ...here, workspaceId: 'T2', userId: 'U9', userName: 'zed', pack: 'ecs', itemId: 'team-q2', reason: 'other team', createdAt: T0 + 4 });

      const again = await db.another();
      expect((await again.lastShown({ ...here, userId: 'U1' }))?.itemId).toBe('team-q2');
      expect((await again.openFlags('slack', 'T1')).map((x) => [x.id, x.reason])).toEqual([[f.id, 'unclear']]);
      expect(await again.openFlagCount('slack', 'T1', 'ecs', 'team-q2')).toBe(1);
      expect(await again.resolveFlag('slack', 'T2', f.id, 'otto', null, T0 + 5)).toBe(false);
      expect(await again.resolveFlag('slack', 'T1', f.id, 'otto', 'fixed', T0 + 5)).toBe(true);
      expect(await again.resolveFlag('slack', 'T1', f.id, 'otto', 'again', T0 + 6)).toBe(false);
      expect(await again.getFlag('slack', 'T1', f.id)).toMatchObject({ resolvedBy: 'otto', resolutionNote: 'fixed', resolvedAt: T0 + 5 });
      expect(await again.openFlags('slack', 'T1')).toEqual([]);
      expect(await again.openFlags('slack', 'T2')).toHaveLength(1);
    });
  });
}
