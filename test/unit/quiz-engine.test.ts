import { describe, expect, it } from 'vitest';
import {
  canStop,
  createSession,
  currentItemId,
  everyoneAnswered,
  isExpired,
  judge,
  pickQuestions,
  reveal,
  standings,
  stop,
  type LoggedAnswer,
  type SessionState,
} from '../../src/quiz/engine.ts';
import type { McqItem } from '../../src/quiz/pack.ts';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

function item(id: string, answer = 1): McqItem {
  return {
    id,
    type: 'mcq',
    section: 'basics',
    difficulty: 'easy',
    prompt: `Question ${id}?`,
    choices: [{ text: 'a', why: 'no' }, { text: 'b' }, { text: 'c', why: 'no' }, { text: 'd', why: 'no' }].map((c, i) => (i === answer ? { text: c.text } : { text: c.text, why: 'no' })),
    answer,
    explanation: 'because',
  };
}

const items: Record<string, McqItem> = { q1: item('q1', 1), q2: item('q2', 2), q3: item('q3', 0) };

function team(timerMs: number | null = 30_000): SessionState {
  return createSession({ id: 's1', pack: 'demo', mode: 'team', starterId: 'ann', starterName: 'Ann', itemIds: ['q1', 'q2', 'q3'], timerMs, now: T0 });
}

function ans(s: SessionState, userId: string, choice: number, at: number): LoggedAnswer {
  const it = items[currentItemId(s)!]!;
  const j = judge(s, it, choice, at);
  return { userId, userName: userId.toUpperCase(), choice, ...j };
}

describe('question order', () => {
  it('picks distinct questions, reproducibly for a seed, never more than exist', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `q${i}`);
    const a = pickQuestions(ids, 10, 'seed-1');
    expect(new Set(a).size).toBe(10);
    expect(pickQuestions(ids, 10, 'seed-1')).toEqual(a);
    expect(pickQuestions(ids, 10, 'seed-2')).not.toEqual(a);
    expect(pickQuestions(['x', 'y', 'x'], 10, 's').sort()).toEqual(['x', 'y']);
  });
});

describe('session engine', () => {
  it('opens the first question with a deadline and closes it when the timer ends', () => {
    const s = team();
    expect(currentItemId(s)).toBe('q1');
    expect(s.deadline).toBe(T0 + 30_000);
    expect(isExpired(s, T0 + 29_999)).toBe(false);
    expect(isExpired(s, T0 + 30_000)).toBe(true);
    const { state, result } = reveal(s, items.q1!, [ans(s, 'bob', 1, T0 + 3_000), ans(s, 'cy', 0, T0 + 5_000)], 'timer', T0 + 30_000);
    expect(result).toMatchObject({ itemId: 'q1', counts: [1, 1, 0, 0], reason: 'timer', finished: false });
    expect(result.right.map((r) => r.name)).toEqual(['BOB']);
    expect(result.wrong).toEqual([{ userId: 'cy', name: 'CY', choice: 0 }]);
    expect(currentItemId(state)).toBe('q2');
    expect(state.deadline).toBe(T0 + 60_000);
    expect(state.joined.sort()).toEqual(['bob', 'cy']);
  });

  it('gives 100 points plus up to 50 for speed', () => {
    const s = team();
    expect(judge(s, items.q1!, 1, T0).points).toBe(150);
    expect(judge(s, items.q1!, 1, T0 + 15_000).points).toBe(125);
    expect(judge(s, items.q1!, 1, T0 + 30_000).points).toBe(100);
    expect(judge(s, items.q1!, 0, T0 + 1_000)).toEqual({ correct: false, points: 0, responseMs: 1_000 });
  });

  it('reveals early once everyone who joined has answered, but not on the first question of a team', () => {
    let s = team();
    expect(everyoneAnswered(s, ['bob'])).toBe(false);
    s = reveal(s, items.q1!, [ans(s, 'bob', 1, T0 + 1_000), ans(s, 'cy', 1, T0 + 2_000)], 'timer', T0 + 30_000).state;
    expect(everyoneAnswered(s, ['bob'])).toBe(false);
    expect(everyoneAnswered(s, ['bob', 'cy'])).toBe(true);
    const solo = createSession({ id: 's2', pack: 'demo', mode: 'solo', starterId: 'ann', starterName: 'Ann', itemIds: ['q1'], timerMs: null, now: T0 });
    expect(solo.deadline).toBeNull();
    expect(everyoneAnswered(solo, ['ann'])).toBe(true);
  });

  it('counts a user once per question even if the log hands it two rows', () => {
    const s = team();
    const a = ans(s, 'bob', 1, T0 + 1_000);
    const { state, result } = reveal(s, items.q1!, [a, { ...a, responseMs: 9_000 }], 'next', T0 + 10_000);
    expect(result.counts).toEqual([0, 1, 0, 0]);
    expect(state.players.bob).toMatchObject({ answered: 1, correct: 1, points: a.points });
  });

  it('keeps streaks, breaks them on a wrong or missed answer, and finishes after the last question', () => {
    let s = team();
    s = reveal(s, items.q1!, [ans(s, 'bob', 1, T0 + 1_000), ans(s, 'cy', 1, T0 + 1_000)], 'timer', T0 + 30_000).state;
    const r2 = reveal(s, items.q2!, [ans(s, 'bob', 2, T0 + 31_000)], 'timer', T0 + 60_000);
    expect(r2.result.right).toEqual([expect.objectContaining({ userId: 'bob', streak: 2 })]);
    s = r2.state;
    expect(s.players.cy?.streak).toBe(0);
    const r3 = reveal(s, items.q3!, [ans(s, 'bob', 3, T0 + 61_000), ans(s, 'cy', 0, T0 + 62_000)], 'all-answered', T0 + 62_000);
    expect(r3.result.finished).toBe(true);
    expect(r3.state.finishedAt).toBe(T0 + 62_000);
    expect(currentItemId(r3.state)).toBeNull();
    expect(r3.state.players.bob).toMatchObject({ streak: 0, bestStreak: 2, correct: 2, answered: 3 });
    expect(standings(r3.state).map((p) => p.userId)).toEqual(['bob', 'cy']);
    expect(() => reveal(r3.state, items.q3!, [], 'next', T0 + 70_000)).toThrow(/finished/);
  });

  it('stops early for the starter or an operator only, without revealing', () => {
    const s = team();
    expect(canStop(s, 'ann', false)).toBe(true);
    expect(canStop(s, 'bob', false)).toBe(false);
    expect(canStop(s, 'bob', true)).toBe(true);
    const stopped = stop(s, 'ann', T0 + 5_000);
    expect(stopped).toMatchObject({ finishedAt: T0 + 5_000, stoppedBy: 'ann', deadline: null });
    expect(currentItemId(stopped)).toBeNull();
    expect(isExpired(stopped, T0 + 60_000)).toBe(false);
    expect(stop(stopped, 'bob', T0 + 9_000)).toBe(stopped);
  });

  it('survives a restart in the middle: the state round-trips through JSON and goes on the same way', () => {
    let s = team();
    s = reveal(s, items.q1!, [ans(s, 'bob', 1, T0 + 1_000)], 'timer', T0 + 30_000).state;
    const restored = JSON.parse(JSON.stringify(s)) as SessionState;
    expect(restored).toEqual(s);
    expect(currentItemId(restored)).toBe('q2');
    // The bot was down past the deadline: the question is expired and reveals as a timer reveal.
    expect(isExpired(restored, T0 + 90_000)).toBe(true);
    const a = reveal(restored, items.q2!, [ans(restored, 'bob', 2, T0 + 35_000)], 'timer', T0 + 90_000);
    const b = reveal(s, items.q2!, [ans(s, 'bob', 2, T0 + 35_000)], 'timer', T0 + 90_000);
    expect(a).toEqual(b);
    expect(a.state.players.bob?.streak).toBe(2);
  });
});
