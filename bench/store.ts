/**
 * Study mode's store on PostgreSQL next to SQLite, in the same run and through the same port: quiz
 * answers recorded per second (each its own transaction, with the once-only guard and the leaderboard
 * aggregates; one after another, then 16 at once as in a busy channel), then leaderboards over
 * 1,000,000 logged answers. Every PostgreSQL commit waits for its WAL flush (synchronous_commit on),
 * which bounds answers one after another by the disk; answers in flight together share flushes. PostgreSQL is a throwaway cluster
 * from Debian's package (test/fakes/postgres.ts) with its default, durable settings, on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/client.ts';
import { openPostgres } from '../src/db/pg/client.ts';
import { PgQuizStore } from '../src/db/pg/quiz-store.ts';
import { SqliteQuizStore } from '../src/db/quiz-store.ts';
import type { AnswerRecord } from '../src/ports/quiz-store.ts';
import { createSession } from '../src/quiz/engine.ts';
import { postgresUnavailable, startPostgresCluster } from '../test/fakes/postgres.ts';
import { answerAt, USERS } from './quiz.ts';
import { record } from './report.ts';

const DAY = 86_400_000;
const SEQUENTIAL = 2_000;
const CONCURRENT = 6_000;
const IN_FLIGHT = 16;
const LIVE = SEQUENTIAL + CONCURRENT;
const TOTAL = 1_000_000;

type Store = SqliteQuizStore | PgQuizStore;

interface Figures {
  answersPerSecond: number;
  concurrentPerSecond: number;
  fillSeconds: number;
  boards: Array<{ name: string; median: number; worst: number }>;
  agrees: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function measure(store: Store, sumOfLog: () => Promise<number>, now: number): Promise<Figures> {
  const state = createSession({ id: 'live', pack: 'ecs', mode: 'team', starterId: 'U0', starterName: 'user0', itemIds: ['q0'], timerMs: 30_000, now });
  await store.createSession({ id: 'live', scope: 'team:slack:T1:C1', platform: 'slack', workspaceId: 'T1', channelId: 'C1', state });
  const live = Array.from({ length: LIVE }, (_, i) => answerAt(i, now, false));
  let t = performance.now();
  for (const a of live.slice(0, SEQUENTIAL)) await store.recordAnswer(a, { sessionId: 'live', version: 1 });
  const answersPerSecond = SEQUENTIAL / ((performance.now() - t) / 1000);
  // A busy channel: many members answer at once, so several transactions are in flight together.
  const queue = live.slice(SEQUENTIAL);
  t = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let a = queue.shift(); a; a = queue.shift()) await store.recordAnswer(a, { sessionId: 'live', version: 1 });
    }),
  );
  const concurrentPerSecond = CONCURRENT / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let start = LIVE; start < TOTAL; start += 20_000) {
    const batch: AnswerRecord[] = [];
    for (let i = start; i < Math.min(TOTAL, start + 20_000); i++) batch.push(answerAt(i, now));
    await store.recordAnswers(batch);
  }
  const fillSeconds = (performance.now() - t) / 1000;
  const queries: Array<[string, () => Promise<unknown>]> = [
    ['all time, all packs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: 10 })],
    ['all time, ecs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', pack: 'ecs', limit: 10 })],
    ['last 30 days, all packs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', since: now - 30 * DAY, limit: 10 })],
    ['last 7 days, ecs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', pack: 'ecs', since: now - 7 * DAY, limit: 10 })],
  ];
  const boards: Figures['boards'] = [];
  for (const [name, q] of queries) {
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const s = performance.now();
      await q();
      times.push(performance.now() - s);
    }
    boards.push({ name, median: median(times), worst: Math.max(...times) });
  }
  const fromTotals = (await store.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: USERS + 1 })).reduce((s, r) => s + r.points, 0);
  return { answersPerSecond, concurrentPerSecond, fillSeconds, boards, agrees: fromTotals === (await sumOfLog()) };
}

/** Runs the quiz store bench on SQLite and PostgreSQL and records PostgreSQL's figures against SQLite's. */
export async function run(): Promise<void> {
  if (postgresUnavailable) {
    console.log(`  skipped: ${postgresUnavailable}`);
    return;
  }
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);
  const dir = mkdtempSync(join(tmpdir(), 'dockhand-store-bench-'));
  const sqlite = openDatabase(join(dir, 'quiz.db'));
  let lite: Figures;
  try {
    lite = await measure(new SqliteQuizStore(sqlite.db), async () => (sqlite.sqlite.prepare("SELECT sum(points) AS p FROM quiz_answers WHERE workspace_id = 'T1'").get() as { p: number }).p, now);
  } finally {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const cluster = await startPostgresCluster({ durable: true });
  let pg: Figures;
  try {
    const database = await openPostgres(await cluster.createDatabase('bench'));
    try {
      pg = await measure(new PgQuizStore(database.db), async () => Number((await database.pool.query("SELECT sum(points) AS p FROM quiz_answers WHERE workspace_id = 'T1'")).rows[0].p), now);
    } finally {
      await database.close();
    }
  } finally {
    await cluster.stop();
  }

  const rate = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`  answers recorded, 1 transaction each (guard + aggregates): PostgreSQL ${rate(pg.answersPerSecond)}/s, SQLite ${rate(lite.answersPerSecond)}/s`);
  console.log(`  answers recorded, ${IN_FLIGHT} in flight at once:                 PostgreSQL ${rate(pg.concurrentPerSecond)}/s, SQLite ${rate(lite.concurrentPerSecond)}/s`);
  console.log(`  filled to ${TOTAL.toLocaleString('en-US')} answers in batches of 20,000: PostgreSQL ${pg.fillSeconds.toFixed(1)} s, SQLite ${lite.fillSeconds.toFixed(1)} s`);
  for (const [i, b] of pg.boards.entries()) {
    const l = lite.boards[i]!;
    console.log(`  leaderboard ${b.name.padEnd(24)} PostgreSQL median ${b.median.toFixed(2)} ms (worst ${b.worst.toFixed(2)}), SQLite median ${l.median.toFixed(2)} ms (worst ${l.worst.toFixed(2)})  (target < 50 ms)`);
  }
  console.log(`  all-time board total equals the answer log: PostgreSQL ${pg.agrees ? 'yes' : 'NO'}, SQLite ${lite.agrees ? 'yes' : 'NO'}`);
  record({ bench: 'store', name: 'quiz answers/s on PostgreSQL (1 txn each)', value: pg.answersPerSecond, unit: '/s', baseline: { name: 'SQLite', value: lite.answersPerSecond }, better: 'higher' });
  record({ bench: 'store', name: `quiz answers/s on PostgreSQL, ${IN_FLIGHT} in flight`, value: pg.concurrentPerSecond, unit: '/s', baseline: { name: 'SQLite', value: lite.concurrentPerSecond }, better: 'higher' });
  for (const [i, b] of pg.boards.entries()) {
    const l = lite.boards[i]!;
    record({ bench: 'store', name: `leaderboard ${b.name}, 1M answers, PostgreSQL median`, value: b.median, unit: 'ms', baseline: { name: 'SQLite', value: l.median }, target: '< 50 ms on both', met: b.median < 50 && l.median < 50, better: 'lower' });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
