import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/client.ts';
import { SqliteQuizStore } from '../src/db/quiz-store.ts';
import type { AnswerRecord } from '../src/ports/quiz-store.ts';
import { createSession } from '../src/quiz/engine.ts';
import { record } from './report.ts';

const DAY = 86_400_000;
export const USERS = 2_000;
const SESSION_SIZE = 10;

/**
 * A deterministic answer. History (`spread`) is spread over 180 days so the boards have real
 * work to do; live answers arrive now, one after another, as they do in a channel.
 */
export function answerAt(i: number, now: number, spread = true): AnswerRecord {
  const user = (i * 7919) % USERS;
  const correct = i % 3 !== 0;
  return {
    sessionId: `s${Math.floor(i / (USERS * SESSION_SIZE))}-${user}`,
    platform: 'slack',
    workspaceId: 'T1',
    channelId: 'C1',
    userId: `U${user}`,
    userName: `user${user}`,
    pack: i % 4 === 0 ? 'eks' : 'ecs',
    itemId: `q${Math.floor(i / USERS) % SESSION_SIZE}`,
    section: 'launch-types',
    kind: 'mcq',
    choice: correct ? 'B' : 'C',
    text: null,
    correct,
    points: correct ? 100 + (i % 51) : 0,
    coverage: null,
    responseMs: 1_000 + (i % 29_000),
    at: spread ? now - (i % 180) * DAY : now + i,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/**
 * Answers recorded per second into a SQLite file (each in its own transaction, with the
 * once-only guard and the leaderboard aggregates), next to a raw better-sqlite3 insert of the
 * same rows in the same run; then leaderboards over 1,000,000 logged answers.
 */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dockhand-quiz-bench-'));
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);
  const n = 50_000;

  // Baseline: a plain prepared INSERT of the same rows into the same table, autocommit.
  const raw = openDatabase(join(dir, 'raw.db'));
  const insert = raw.sqlite.prepare(
    `INSERT INTO quiz_answers (session_id, platform, workspace_id, channel_id, user_id, user_name, pack, item_id, section, kind,
      choice, answer_text, correct, points, coverage, response_ms, answered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const rows = Array.from({ length: n }, (_, i) => answerAt(i, now, false));
  let t = performance.now();
  for (const a of rows) {
    insert.run(a.sessionId, a.platform, a.workspaceId, a.channelId, a.userId, a.userName, a.pack, a.itemId, a.section, a.kind, a.choice, a.text, a.correct ? 1 : 0, a.points, a.coverage, a.responseMs, a.at);
  }
  const rawRate = n / ((performance.now() - t) / 1000);
  raw.close();

  // dockhand: SqliteQuizStore.recordAnswer with the session guard, one IMMEDIATE transaction per answer.
  const database = openDatabase(join(dir, 'quiz.db'));
  const store = new SqliteQuizStore(database.db);
  const state = createSession({ id: 'live', pack: 'ecs', mode: 'team', starterId: 'U0', starterName: 'user0', itemIds: ['q0'], timerMs: 30_000, now });
  await store.createSession({ id: 'live', scope: 'team:slack:T1:C1', platform: 'slack', workspaceId: 'T1', channelId: 'C1', state });
  t = performance.now();
  for (const a of rows) await store.recordAnswer(a, { sessionId: 'live', version: 1 });
  const storeRate = n / ((performance.now() - t) / 1000);
  let dup = 0;
  t = performance.now();
  for (let i = 0; i < 5_000; i++) if ((await store.recordAnswer(rows[i]!, { sessionId: 'live', version: 1 })) === 'duplicate') dup++;
  const dupRate = 5_000 / ((performance.now() - t) / 1000);

  // Fill to 1,000,000 logged answers through the same code path, batched per transaction.
  const total = 1_000_000;
  t = performance.now();
  for (let start = n; start < total; start += 20_000) {
    const batch: AnswerRecord[] = [];
    for (let i = start; i < Math.min(total, start + 20_000); i++) batch.push(answerAt(i, now));
    await store.recordAnswers(batch);
  }
  const fillSec = (performance.now() - t) / 1000;
  const count = (database.sqlite.prepare('SELECT count(*) AS c FROM quiz_answers').get() as { c: number }).c;
  database.sqlite.pragma('optimize');

  const boards: Array<[string, () => unknown]> = [
    ['all time, all packs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: 10 })],
    ['all time, ecs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', pack: 'ecs', limit: 10 })],
    ['last 30 days, all packs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', since: now - 30 * DAY, limit: 10 })],
    ['last 7 days, ecs', () => store.leaderboard({ platform: 'slack', workspaceId: 'T1', pack: 'ecs', since: now - 7 * DAY, limit: 10 })],
  ];
  const results: string[] = [];
  for (const [name, q] of boards) {
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const s = performance.now();
      await q();
      times.push(performance.now() - s);
    }
    results.push(`  leaderboard ${name.padEnd(24)} median ${median(times).toFixed(2)} ms, worst ${Math.max(...times).toFixed(2)} ms`);
  }
  // The aggregates must agree with the log they summarize.
  const fromLog = (database.sqlite.prepare("SELECT sum(points) AS p FROM quiz_answers WHERE workspace_id = 'T1'").get() as { p: number }).p;
  const fromTotals = (await store.leaderboard({ platform: 'slack', workspaceId: 'T1', limit: USERS + 1 })).reduce((s, r) => s + r.points, 0);
  database.close();

  console.log(`  answers recorded (store, guard + aggregates, 1 txn each): ${Math.round(storeRate).toLocaleString('en-US')}/s  (target ≥ 20,000/s)`);
  console.log(`  raw better-sqlite3 INSERT, same rows, autocommit:         ${Math.round(rawRate).toLocaleString('en-US')}/s`);
  console.log(`  duplicate answers refused:                                ${Math.round(dupRate).toLocaleString('en-US')}/s (${dup} of 5,000)`);
  console.log(`  filled to ${count.toLocaleString('en-US')} logged answers in ${fillSec.toFixed(1)} s (${USERS} users, 180 days, 2 packs)`);
  for (const r of results) console.log(r);
  record({ bench: 'quiz', name: 'answers recorded on SQLite (guard + aggregates, 1 txn each)', value: storeRate, unit: '/s', baseline: { name: 'raw INSERT', value: rawRate }, target: '≥ 20,000/s', met: storeRate >= 20_000, better: 'higher' });
  console.log(`  all-time board total equals the answer log: ${fromLog === fromTotals ? 'yes' : `NO (${fromLog} vs ${fromTotals})`}  (target < 50 ms per board; the first all-time board folds complete days into the totals)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
