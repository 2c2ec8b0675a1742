/**
 * The quiz session engine: a pure state machine. Every transition takes the state and the
 * time and returns a new state, so the state can live in SQLite between commands and a
 * restarted bot picks up exactly where it was. Answers themselves live in the answer log
 * (one row per session, question and user), which is what makes a double answer impossible.
 */
import type { McqItem } from './pack.ts';
import { pointsFor } from './scoring.ts';

/** Team sessions run in a channel; solo sessions belong to one person. */
export type SessionMode = 'team' | 'solo';

/** One player's running totals in a session. */
export interface PlayerTally {
  /** Display name. */
  name: string;
  /** Points so far. */
  points: number;
  /** Right answers. */
  correct: number;
  /** Questions answered. */
  answered: number;
  /** Right answers in a row, now. */
  streak: number;
  /** The longest streak in this session. */
  bestStreak: number;
}

/** A session's whole state; JSON-safe. */
export interface SessionState {
  /** Session id. */
  id: string;
  /** Pack id. */
  pack: string;
  /** Team or solo. */
  mode: SessionMode;
  /** Who started it (may stop it). */
  starterId: string;
  /** The starter's display name. */
  starterName: string;
  /** The questions, in the order they are asked; no id repeats. */
  itemIds: string[];
  /** Index of the open question (equals itemIds.length once finished). */
  index: number;
  /** When the open question was asked. */
  questionStartedAt: number;
  /** When the open question closes by timer; null without a timer. */
  deadline: number | null;
  /** The timer per question, ms; null for none. */
  timerMs: number | null;
  /** When the session started. */
  startedAt: number;
  /** When it finished or was stopped; null while running. */
  finishedAt: number | null;
  /** Who stopped it early, if anyone. */
  stoppedBy: string | null;
  /** Users who have answered at least one question; the early reveal waits for all of them. */
  joined: string[];
  /** Totals by user id. */
  players: Record<string, PlayerTally>;
}

/** An answer to the open question, as logged. */
export interface LoggedAnswer {
  /** User id. */
  userId: string;
  /** Display name. */
  userName: string;
  /** Choice index (0 = A). */
  choice: number;
  /** Right or wrong. */
  correct: boolean;
  /** Points earned. */
  points: number;
  /** Time from the question to the answer, ms. */
  responseMs: number;
}

/** What the reveal of one question shows. */
export interface RevealResult {
  /** The question's position (0-based). */
  index: number;
  /** The item revealed. */
  itemId: string;
  /** Answers per choice index. */
  counts: number[];
  /** Who got it right, fastest first, with points and streak. */
  right: Array<{ userId: string; name: string; points: number; streak: number }>;
  /** Who got it wrong. */
  wrong: Array<{ userId: string; name: string; choice: number }>;
  /** Why the question closed. */
  reason: 'timer' | 'all-answered' | 'next' | 'stop';
  /** True when this was the last question (or the session was stopped). */
  finished: boolean;
}

/** Parameters of a new session. */
export interface NewSession {
  /** Session id (also seeds the question order). */
  id: string;
  /** Pack id. */
  pack: string;
  /** Team or solo. */
  mode: SessionMode;
  /** Who starts it. */
  starterId: string;
  /** Their display name. */
  starterName: string;
  /** Questions in order. */
  itemIds: string[];
  /** Timer per question, ms, or null. */
  timerMs: number | null;
  /** Now. */
  now: number;
}

/** A small seeded PRNG (mulberry32) so a session's question order is reproducible. */
export function seededRandom(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks `n` distinct ids in a random order decided by `seed` (all of them when n is larger). */
export function pickQuestions(ids: readonly string[], n: number, seed: string): string[] {
  const rnd = seededRandom(seed);
  const pool = [...new Set(ids)];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
  }
  return pool.slice(0, Math.max(0, n));
}

/** Starts a session with its first question open. */
export function createSession(p: NewSession): SessionState {
  if (p.itemIds.length === 0) throw new Error('a session needs at least one question');
  return {
    id: p.id,
    pack: p.pack,
    mode: p.mode,
    starterId: p.starterId,
    starterName: p.starterName,
    itemIds: [...p.itemIds],
    index: 0,
    questionStartedAt: p.now,
    deadline: p.timerMs ? p.now + p.timerMs : null,
    timerMs: p.timerMs,
    startedAt: p.now,
    finishedAt: null,
    stoppedBy: null,
    joined: p.mode === 'solo' ? [p.starterId] : [],
    players: {},
  };
}

/** True once the session has finished or been stopped. */
export function isFinished(s: SessionState): boolean {
  return s.finishedAt !== null;
}

/** The id of the open question, or null when finished. */
export function currentItemId(s: SessionState): string | null {
  return isFinished(s) ? null : (s.itemIds[s.index] ?? null);
}

/** True when the open question's timer has run out at `now`. */
export function isExpired(s: SessionState, now: number): boolean {
  return !isFinished(s) && s.deadline !== null && now >= s.deadline;
}

/** Judges an answer to the open question: right or wrong, the points, and the response time. */
export function judge(s: SessionState, item: McqItem, choice: number, now: number): { correct: boolean; points: number; responseMs: number } {
  const responseMs = Math.max(0, now - s.questionStartedAt);
  const correct = choice === item.answer;
  return { correct, points: pointsFor(correct, responseMs, s.timerMs), responseMs };
}

/**
 * True when everyone who joined has answered the open question. In a team session nobody
 * has joined before the first reveal, so the first question waits for its timer or `/quiz next`.
 */
export function everyoneAnswered(s: SessionState, answeredUserIds: readonly string[]): boolean {
  if (s.joined.length === 0) return false;
  const answered = new Set(answeredUserIds);
  return s.joined.every((u) => answered.has(u));
}

function tally(s: SessionState, userId: string, name: string): PlayerTally {
  const t = s.players[userId] ?? { name, points: 0, correct: 0, answered: 0, streak: 0, bestStreak: 0 };
  return { ...t, name };
}

/**
 * Closes the open question with the answers it got: adds up points and streaks, records who
 * joined, and opens the next question (or finishes the session). Answers are passed in from
 * the log so the reveal counts exactly what was stored.
 */
export function reveal(
  s: SessionState,
  item: McqItem,
  answers: readonly LoggedAnswer[],
  reason: RevealResult['reason'],
  now: number,
): { state: SessionState; result: RevealResult } {
  const itemId = currentItemId(s);
  if (itemId === null) throw new Error('the session has already finished');
  const players: Record<string, PlayerTally> = { ...s.players };
  const counts = item.choices.map(() => 0);
  const right: RevealResult['right'] = [];
  const wrong: RevealResult['wrong'] = [];
  const answered = new Set<string>();
  for (const a of [...answers].sort((x, y) => x.responseMs - y.responseMs)) {
    if (answered.has(a.userId)) continue;
    answered.add(a.userId);
    if (a.choice >= 0 && a.choice < counts.length) counts[a.choice] = (counts[a.choice] ?? 0) + 1;
    const t = tally({ ...s, players }, a.userId, a.userName);
    t.answered++;
    if (a.correct) {
      t.correct++;
      t.points += a.points;
      t.streak++;
      t.bestStreak = Math.max(t.bestStreak, t.streak);
      right.push({ userId: a.userId, name: a.userName, points: a.points, streak: t.streak });
    } else {
      t.streak = 0;
      wrong.push({ userId: a.userId, name: a.userName, choice: a.choice });
    }
    players[a.userId] = t;
  }
  // A joined player who let a question pass loses their streak.
  for (const u of s.joined) {
    const p = players[u];
    if (!answered.has(u) && p) players[u] = { ...p, streak: 0 };
  }
  const joined = [...s.joined, ...[...answered].filter((u) => !s.joined.includes(u))];
  const nextIndex = s.index + 1;
  const finished = reason === 'stop' || nextIndex >= s.itemIds.length;
  const state: SessionState = {
    ...s,
    players,
    joined,
    index: finished ? s.itemIds.length : nextIndex,
    questionStartedAt: finished ? s.questionStartedAt : now,
    deadline: finished || !s.timerMs ? null : now + s.timerMs,
    finishedAt: finished ? now : null,
  };
  return { state, result: { index: s.index, itemId, counts, right, wrong, reason, finished } };
}

/** True when this user may end the session early: its starter or an operator. */
export function canStop(s: SessionState, userId: string, isOperator: boolean): boolean {
  return isOperator || s.starterId === userId;
}

/** Ends the session early without revealing the open question. */
export function stop(s: SessionState, by: string, now: number): SessionState {
  if (isFinished(s)) return s;
  return { ...s, finishedAt: now, stoppedBy: by, deadline: null };
}

/** Final (or current) standings: most points first, then most right answers, then name. */
export function standings(s: SessionState): Array<PlayerTally & { userId: string }> {
  return Object.entries(s.players)
    .map(([userId, t]) => ({ userId, ...t }))
    .sort((a, b) => b.points - a.points || b.correct - a.correct || a.name.localeCompare(b.name));
}
