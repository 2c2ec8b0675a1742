import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Platform } from '../../core/platform.ts';
import type {
  AnswerRecord,
  DueItem,
  InterviewAttempt,
  LeaderboardQuery,
  LeaderRow,
  QuizFlag,
  QuizStore,
  QuizUserKey,
  RecordOutcome,
  ReviewStep,
  ShownAt,
  ShownItem,
  StoredSession,
} from '../../ports/quiz-store.ts';
import type { SessionState } from '../../quiz/engine.ts';
import type { ReviewCard } from '../../quiz/review.ts';
import { toAnswer, toFlag, toSession } from '../quiz-store.ts';
import type { PgDb } from './client.ts';
import { quizAnswers, quizDaily, quizFlags, quizInterviews, quizLastShown, quizMeta, quizReviews, quizSessions, quizTotals } from './schema.ts';
import { retryingTx, transaction, type PgExec } from './tx.ts';

const DAY_MS = 86_400_000;

const foldKey = (platform: string, workspaceId: string) => `folded_through:${platform}:${workspaceId}`;

/** The advisory lock of a workspace's folding: answers take it shared, a fold exclusively. */
const foldLock = (platform: string, workspaceId: string) => sql`hashtext(${`dockhand.quiz-fold:${platform}:${workspaceId}`})`;

/**
 * Study mode's storage in PostgreSQL, with the semantics of the SQLite store under concurrent replicas:
 * a guarded answer and a reveal take the session row's lock (FOR SHARE / FOR UPDATE), so an answer is
 * either in the reveal or told the question closed; answers and folds of a workspace exclude each
 * other through an advisory lock, so a back-dated answer is never lost between the days and the totals.
 */
export class PgQuizStore implements QuizStore {
  constructor(private readonly db: PgDb) {}

  /** Stores a new running session; false when its scope already has one running. */
  async createSession(s: Omit<StoredSession, 'version'>): Promise<boolean> {
    const now = s.state.startedAt;
    const r = await this.db
      .insert(quizSessions)
      .values({
        id: s.id,
        scope: s.scope,
        platform: s.platform,
        workspaceId: s.workspaceId,
        channelId: s.channelId,
        pack: s.state.pack,
        state: JSON.stringify(s.state),
        version: 1,
        active: s.state.finishedAt === null ? 1 : 0,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing();
    return r.rowCount === 1;
  }

  /** The running session of a scope, if any. */
  async activeSession(scope: string): Promise<StoredSession | null> {
    const [r] = await this.db
      .select()
      .from(quizSessions)
      .where(and(eq(quizSessions.scope, scope), eq(quizSessions.active, 1)));
    return r ? toSession(r) : null;
  }

  /** Every running session. */
  async activeSessions(): Promise<StoredSession[]> {
    return (await this.db.select().from(quizSessions).where(eq(quizSessions.active, 1))).map(toSession);
  }

  /** Saves a new state if nobody saved since `expectedVersion`. */
  async saveSession(id: string, expectedVersion: number, state: SessionState): Promise<StoredSession | null> {
    return this.saveIn(this.db, id, expectedVersion, state);
  }

  private async saveIn(db: PgExec, id: string, expectedVersion: number, state: SessionState): Promise<StoredSession | null> {
    const [r] = await db
      .update(quizSessions)
      .set({ state: JSON.stringify(state), version: expectedVersion + 1, active: state.finishedAt === null ? 1 : 0, updatedAt: state.finishedAt ?? state.questionStartedAt })
      .where(and(eq(quizSessions.id, id), eq(quizSessions.version, expectedVersion)))
      .returning();
    return r ? toSession(r) : null;
  }

  /** Inserts the answer and bumps its aggregates inside `tx`; false when it was not inserted (duplicate). */
  /**
   * Logs one answer with its aggregates in one statement (a round trip, not four): the answer once
   * (ON CONFLICT DO NOTHING), then, only when it was new, its day's points and, for a day already
   * folded, the all-time totals. The caller holds the workspace's fold lock (`lockFold`), taken in an
   * earlier statement so that this one's snapshot sees any fold that committed before it.
   */
  private async recordIn(tx: PgExec, a: AnswerRecord): Promise<boolean> {
    const correct = a.correct ? 1 : 0;
    const day = Math.floor(a.at / DAY_MS);
    const r = await tx.execute<{ inserted: number }>(sql`
      WITH ins AS (
        INSERT INTO quiz_answers (session_id, platform, workspace_id, channel_id, user_id, user_name, pack, item_id, section, kind,
          choice, answer_text, correct, points, coverage, response_ms, answered_at)
        VALUES (${a.sessionId}, ${a.platform}, ${a.workspaceId}, ${a.channelId}, ${a.userId}, ${a.userName}, ${a.pack}, ${a.itemId},
          ${a.section}, ${a.kind}, ${a.choice ?? null}, ${a.text ?? null}, ${correct}, ${a.points}, ${a.coverage ?? null},
          ${Math.max(0, Math.round(a.responseMs))}, ${a.at})
        ON CONFLICT DO NOTHING
        RETURNING 1
      ), daily AS (
        INSERT INTO quiz_daily (platform, workspace_id, pack, day, user_id, user_name, points, correct, answered)
        SELECT ${a.platform}, ${a.workspaceId}, ${a.pack}, ${day}, ${a.userId}, ${a.userName}, ${a.points}, ${correct}, 1 FROM ins
        ON CONFLICT (platform, workspace_id, day, pack, user_id) DO UPDATE SET user_name = excluded.user_name,
          points = quiz_daily.points + excluded.points, correct = quiz_daily.correct + excluded.correct, answered = quiz_daily.answered + 1
        RETURNING 1
      ), totals AS (
        -- Live answers land on today, which is never folded yet; a back-dated one must reach the totals itself.
        INSERT INTO quiz_totals (platform, workspace_id, pack, user_id, user_name, points, correct, answered)
        SELECT ${a.platform}, ${a.workspaceId}, ${a.pack}, ${a.userId}, ${a.userName}, ${a.points}, ${correct}, 1 FROM ins
        WHERE ${day} <= coalesce((SELECT value FROM quiz_meta WHERE key = ${foldKey(a.platform, a.workspaceId)}), -1)
        ON CONFLICT (platform, workspace_id, pack, user_id) DO UPDATE SET user_name = excluded.user_name,
          points = quiz_totals.points + excluded.points, correct = quiz_totals.correct + excluded.correct, answered = quiz_totals.answered + 1
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM ins)::int AS inserted`);
    return r.rows[0]?.inserted === 1;
  }

  /** Takes the workspace's fold lock shared for the rest of the transaction (answers and folds exclude each other). */
  private async lockFold(tx: PgExec, a: AnswerRecord): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock_shared(${foldLock(a.platform, a.workspaceId)})`);
  }

  private async foldedThrough(db: PgExec, platform: string, workspaceId: string): Promise<number> {
    const [r] = await db.select({ value: quizMeta.value }).from(quizMeta).where(eq(quizMeta.key, foldKey(platform, workspaceId)));
    return r?.value ?? -1;
  }

  /**
   * The session's version and whether it runs, locked for the rest of the transaction (`share`: answers;
   * otherwise: a reveal); with `foldOf`, the answer's workspace fold lock is taken shared in the same statement.
   */
  private async lockSession(tx: PgExec, id: string, mode: 'share' | 'update', foldOf?: AnswerRecord): Promise<{ version: number; active: number } | undefined> {
    const r = await tx.execute<{ version: number; active: number }>(
      mode === 'share'
        ? foldOf
          ? sql`SELECT version, active, pg_advisory_xact_lock_shared(${foldLock(foldOf.platform, foldOf.workspaceId)}) FROM quiz_sessions WHERE id = ${id} FOR SHARE`
          : sql`SELECT version, active FROM quiz_sessions WHERE id = ${id} FOR SHARE`
        : sql`SELECT version, active FROM quiz_sessions WHERE id = ${id} FOR UPDATE`,
    );
    return r.rows[0];
  }

  /** Logs an answer exactly once, with its leaderboard aggregates, in one transaction. */
  async recordAnswer(a: AnswerRecord, guard?: { sessionId: string; version: number }, review?: ReviewStep): Promise<RecordOutcome> {
    return retryingTx(() =>
      transaction(this.db, async (tx): Promise<RecordOutcome> => {
        if (guard) {
          // A reveal holds this row FOR UPDATE while it reads the answers: an answer waits for it and then sees the new version.
          // The same statement takes the fold lock (one round trip for both).
          const s = await this.lockSession(tx, guard.sessionId, 'share', a);
          if (!s || s.active !== 1 || s.version !== guard.version) return 'closed';
        } else {
          await this.lockFold(tx, a);
        }
        if (!(await this.recordIn(tx, a))) return 'duplicate';
        if (review) {
          const user = { platform: a.platform, workspaceId: a.workspaceId, userId: a.userId };
          await this.putCardIn(tx, user, a.pack, a.itemId, review(await this.cardIn(tx, user, a.pack, a.itemId)));
        }
        return 'recorded';
      }),
    );
  }

  /** Reads a question's answers and saves the state computed from them, in one transaction. */
  async revealQuestion(id: string, expectedVersion: number, itemId: string, next: (answers: AnswerRecord[]) => SessionState): Promise<StoredSession | null> {
    return retryingTx(() =>
      transaction(this.db, async (tx) => {
        if ((await this.lockSession(tx, id, 'update'))?.version !== expectedVersion) return null;
        return this.saveIn(tx, id, expectedVersion, next(await this.answersOf(tx, id, itemId)));
      }),
    );
  }

  /** Logs an interview answer and moves its attempt on to rating, in one transaction. */
  async answerInterview(a: AnswerRecord, attemptId: string): Promise<RecordOutcome> {
    return retryingTx(() =>
      transaction(this.db, async (tx): Promise<RecordOutcome> => {
        // The phase moves first and decides: of two answers to one attempt only one finds it answering.
        const moved = await tx
          .update(quizInterviews)
          .set({ phase: 'rating', coverage: a.coverage })
          .where(and(eq(quizInterviews.id, attemptId), eq(quizInterviews.phase, 'answering')));
        if (moved.rowCount !== 1) return 'closed';
        await this.lockFold(tx, a);
        return (await this.recordIn(tx, a)) ? 'recorded' : 'duplicate';
      }),
    );
  }

  /** Ends an attempt waiting for its rating and moves the card on, in one transaction. */
  async rateInterview(id: string, review: ReviewStep): Promise<ReviewCard | null> {
    return retryingTx(() =>
      transaction(this.db, async (tx) => {
        const [r] = await tx
          .update(quizInterviews)
          .set({ phase: 'done' })
          .where(and(eq(quizInterviews.id, id), eq(quizInterviews.phase, 'rating')))
          .returning();
        if (!r) return null;
        const user = { platform: r.platform as Platform, workspaceId: r.workspaceId, userId: r.userId };
        const card = review(await this.cardIn(tx, user, r.pack, r.itemId));
        await this.putCardIn(tx, user, r.pack, r.itemId, card);
        return card;
      }),
    );
  }

  /**
   * Logs many answers in one transaction (imports, benchmarks); returns how many were new. One
   * statement inserts the batch and adds what was new into the day rows, as many single answers would.
   */
  async recordAnswers(answers: readonly AnswerRecord[]): Promise<number> {
    if (answers.length === 0) return 0;
    return retryingTx(() =>
      transaction(this.db, async (tx) => {
        const workspaces = new Map(answers.map((a) => [`${a.platform}\u0000${a.workspaceId}`, a]));
        for (const a of workspaces.values()) await tx.execute(sql`select pg_advisory_xact_lock_shared(${foldLock(a.platform, a.workspaceId)})`);
        const col = <T>(f: (a: AnswerRecord) => T) => JSON.stringify(answers.map(f));
        const r = await tx.execute<{ n: number }>(sql`
          WITH input AS (
            SELECT * FROM ROWS FROM (
              jsonb_array_elements_text(${col((a) => a.sessionId)}::jsonb), jsonb_array_elements_text(${col((a) => a.platform)}::jsonb),
              jsonb_array_elements_text(${col((a) => a.workspaceId)}::jsonb), jsonb_array_elements_text(${col((a) => a.channelId)}::jsonb),
              jsonb_array_elements_text(${col((a) => a.userId)}::jsonb), jsonb_array_elements_text(${col((a) => a.userName)}::jsonb),
              jsonb_array_elements_text(${col((a) => a.pack)}::jsonb), jsonb_array_elements_text(${col((a) => a.itemId)}::jsonb),
              jsonb_array_elements_text(${col((a) => a.section)}::jsonb), jsonb_array_elements_text(${col((a) => a.kind)}::jsonb),
              jsonb_array_elements_text(${col((a) => a.choice)}::jsonb), jsonb_array_elements_text(${col((a) => a.text)}::jsonb),
              jsonb_array_elements_text(${col((a) => (a.correct ? 1 : 0))}::jsonb), jsonb_array_elements_text(${col((a) => a.points)}::jsonb),
              jsonb_array_elements_text(${col((a) => a.coverage)}::jsonb), jsonb_array_elements_text(${col((a) => Math.max(0, Math.round(a.responseMs)))}::jsonb),
              jsonb_array_elements_text(${col((a) => a.at)}::jsonb)
            ) AS t(session_id, platform, workspace_id, channel_id, user_id, user_name, pack, item_id, section, kind, choice, answer_text, correct, points, coverage, response_ms, answered_at)
          ), ins AS (
            INSERT INTO quiz_answers (session_id, platform, workspace_id, channel_id, user_id, user_name, pack, item_id, section, kind,
              choice, answer_text, correct, points, coverage, response_ms, answered_at)
            SELECT session_id, platform, workspace_id, channel_id, user_id, user_name, pack, item_id, section, kind, choice, answer_text,
              correct::int, points::int, coverage::int, response_ms::int, answered_at::bigint FROM input
            ON CONFLICT DO NOTHING
            RETURNING platform, workspace_id, pack, (answered_at / ${DAY_MS})::int AS day, user_id, user_name, points, correct
          ), daily AS (
            INSERT INTO quiz_daily (platform, workspace_id, pack, day, user_id, user_name, points, correct, answered)
            SELECT platform, workspace_id, pack, day, user_id, max(user_name), sum(points), sum(correct), count(*) FROM ins
            GROUP BY platform, workspace_id, pack, day, user_id
            ON CONFLICT (platform, workspace_id, day, pack, user_id) DO UPDATE SET user_name = excluded.user_name,
              points = quiz_daily.points + excluded.points, correct = quiz_daily.correct + excluded.correct, answered = quiz_daily.answered + excluded.answered
          ), totals AS (
            INSERT INTO quiz_totals (platform, workspace_id, pack, user_id, user_name, points, correct, answered)
            SELECT ins.platform, ins.workspace_id, ins.pack, ins.user_id, max(ins.user_name), sum(ins.points), sum(ins.correct), count(*) FROM ins
            JOIN quiz_meta m ON m.key = 'folded_through:' || ins.platform || ':' || ins.workspace_id AND ins.day <= m.value
            GROUP BY ins.platform, ins.workspace_id, ins.pack, ins.user_id
            ON CONFLICT (platform, workspace_id, pack, user_id) DO UPDATE SET user_name = excluded.user_name,
              points = quiz_totals.points + excluded.points, correct = quiz_totals.correct + excluded.correct, answered = quiz_totals.answered + excluded.answered
          )
          SELECT count(*)::int AS n FROM ins`);
        return Number(r.rows[0]?.n ?? 0);
      }),
    );
  }

  /** The answers a session got for one item. */
  async sessionAnswers(sessionId: string, itemId: string): Promise<AnswerRecord[]> {
    return this.answersOf(this.db, sessionId, itemId);
  }

  private async answersOf(db: PgExec, sessionId: string, itemId: string): Promise<AnswerRecord[]> {
    const rows = await db
      .select()
      .from(quizAnswers)
      .where(and(eq(quizAnswers.sessionId, sessionId), eq(quizAnswers.itemId, itemId)))
      .orderBy(asc(quizAnswers.id));
    return rows.map(toAnswer);
  }

  /** A user's answers, oldest first. */
  async userAnswers(user: QuizUserKey, pack?: string): Promise<AnswerRecord[]> {
    const rows = await this.db
      .select()
      .from(quizAnswers)
      .where(and(eq(quizAnswers.platform, user.platform), eq(quizAnswers.workspaceId, user.workspaceId), eq(quizAnswers.userId, user.userId), pack ? eq(quizAnswers.pack, pack) : undefined))
      .orderBy(asc(quizAnswers.answeredAt), asc(quizAnswers.id));
    return rows.map(toAnswer);
  }

  /** Finds a user who has answered here, by id or (case-insensitive) display name. */
  async findUser(platform: Platform, workspaceId: string, query: string): Promise<{ userId: string; userName: string } | null> {
    const folded = await this.foldedThrough(this.db, platform, workspaceId);
    const match = (t: typeof quizTotals | typeof quizDaily) => or(eq(t.userId, query), sql`lower(${t.userName}) = lower(${query})`);
    const [total] = await this.db
      .select({ userId: quizTotals.userId, userName: quizTotals.userName })
      .from(quizTotals)
      .where(and(eq(quizTotals.platform, platform), eq(quizTotals.workspaceId, workspaceId), match(quizTotals)))
      .limit(1);
    if (total) return total;
    const [recent] = await this.db
      .select({ userId: quizDaily.userId, userName: quizDaily.userName })
      .from(quizDaily)
      .where(and(eq(quizDaily.platform, platform), eq(quizDaily.workspaceId, workspaceId), gt(quizDaily.day, folded), match(quizDaily)))
      .orderBy(desc(quizDaily.day))
      .limit(1);
    return recent ?? null;
  }

  /** Adds every complete day (all but the latest one with answers) into the totals, once; returns the last day folded. */
  private async fold(platform: string, workspaceId: string): Promise<number> {
    return retryingTx(() =>
      transaction(this.db, async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${foldLock(platform, workspaceId)})`);
        const from = await this.foldedThrough(tx, platform, workspaceId);
        const [m] = await tx
          .select({ d: sql<number | null>`max(${quizDaily.day})` })
          .from(quizDaily)
          .where(and(eq(quizDaily.platform, platform), eq(quizDaily.workspaceId, workspaceId)));
        const latest = m?.d ?? null;
        if (latest === null || latest - 1 <= from) return from;
        await tx.execute(sql`
          INSERT INTO quiz_totals (platform, workspace_id, pack, user_id, user_name, points, correct, answered)
          SELECT platform, workspace_id, pack, user_id, max(user_name), sum(points), sum(correct), sum(answered) FROM quiz_daily
          WHERE platform = ${platform} AND workspace_id = ${workspaceId} AND day > ${from} AND day <= ${latest - 1} GROUP BY platform, workspace_id, pack, user_id
          ON CONFLICT (platform, workspace_id, pack, user_id) DO UPDATE SET user_name = excluded.user_name,
            points = quiz_totals.points + excluded.points, correct = quiz_totals.correct + excluded.correct, answered = quiz_totals.answered + excluded.answered`);
        await tx
          .insert(quizMeta)
          .values({ key: foldKey(platform, workspaceId), value: latest - 1 })
          .onConflictDoUpdate({ target: quizMeta.key, set: { value: latest - 1 } });
        return latest - 1;
      }),
    );
  }

  /**
   * Points per user, most first. Windows read the per-day rows (so `since` counts whole UTC days,
   * starting with the day it falls on); all time reads the folded totals plus the days not folded
   * yet, folding complete days first.
   */
  async leaderboard(q: LeaderboardQuery): Promise<LeaderRow[]> {
    if (q.since === undefined) {
      const folded = await this.fold(q.platform, q.workspaceId);
      const pack = q.pack ? sql`AND pack = ${q.pack}` : sql``;
      const r = await this.db.execute<{ userId: string; userName: string; points: number; correct: number; answered: number }>(sql`
        SELECT user_id AS "userId", max(user_name) AS "userName", sum(points)::int AS points, sum(correct)::int AS correct, sum(answered)::int AS answered
        FROM (SELECT user_id, user_name, points, correct, answered FROM quiz_totals WHERE platform = ${q.platform} AND workspace_id = ${q.workspaceId} ${pack}
              UNION ALL
              SELECT user_id, user_name, points, correct, answered FROM quiz_daily WHERE platform = ${q.platform} AND workspace_id = ${q.workspaceId} AND day > ${folded} ${pack}) AS u
        GROUP BY user_id ORDER BY points DESC, correct DESC, user_id LIMIT ${q.limit}`);
      return r.rows.map((x) => ({ userId: x.userId, userName: x.userName, points: x.points, correct: x.correct, answered: x.answered }));
    }
    const points = sql<number>`sum(${quizDaily.points})::int`.mapWith(Number);
    const correct = sql<number>`sum(${quizDaily.correct})::int`.mapWith(Number);
    return this.db
      .select({ userId: quizDaily.userId, userName: sql<string>`max(${quizDaily.userName})`, points, correct, answered: sql<number>`sum(${quizDaily.answered})::int`.mapWith(Number) })
      .from(quizDaily)
      .where(and(eq(quizDaily.platform, q.platform), eq(quizDaily.workspaceId, q.workspaceId), q.pack ? eq(quizDaily.pack, q.pack) : undefined, gte(quizDaily.day, Math.floor(q.since / DAY_MS))))
      .groupBy(quizDaily.userId)
      .orderBy(desc(points), desc(correct), asc(quizDaily.userId))
      .limit(q.limit);
  }

  /** Starts an interview attempt, closing the user's earlier open one. */
  async startInterview(a: InterviewAttempt): Promise<void> {
    await transaction(this.db, async (tx) => {
      await tx
        .update(quizInterviews)
        .set({ phase: 'done' })
        .where(and(eq(quizInterviews.platform, a.user.platform), eq(quizInterviews.workspaceId, a.user.workspaceId), eq(quizInterviews.userId, a.user.userId), ne(quizInterviews.phase, 'done')));
      await tx.insert(quizInterviews).values({
        id: a.id,
        platform: a.user.platform,
        workspaceId: a.user.workspaceId,
        userId: a.user.userId,
        channelId: a.channelId,
        pack: a.pack,
        itemId: a.itemId,
        phase: a.phase,
        startedAt: a.startedAt,
        coverage: a.coverage,
      });
    });
  }

  /** The user's open attempt, newest first. */
  async openInterview(user: QuizUserKey): Promise<InterviewAttempt | null> {
    const [r] = await this.db
      .select()
      .from(quizInterviews)
      .where(and(eq(quizInterviews.platform, user.platform), eq(quizInterviews.workspaceId, user.workspaceId), eq(quizInterviews.userId, user.userId), inArray(quizInterviews.phase, ['answering', 'rating'])))
      .orderBy(desc(quizInterviews.startedAt))
      .limit(1);
    if (!r) return null;
    return {
      id: r.id,
      user: { platform: r.platform as Platform, workspaceId: r.workspaceId, userId: r.userId },
      channelId: r.channelId,
      pack: r.pack,
      itemId: r.itemId,
      phase: r.phase as InterviewAttempt['phase'],
      startedAt: r.startedAt,
      coverage: r.coverage,
    };
  }

  /** Moves an attempt to another phase. */
  async updateInterview(id: string, phase: InterviewAttempt['phase'], coverage?: number | null): Promise<void> {
    await this.db
      .update(quizInterviews)
      .set(coverage === undefined ? { phase } : { phase, coverage })
      .where(eq(quizInterviews.id, id));
  }

  private cardWhere(user: QuizUserKey, pack: string, itemId: string) {
    return and(eq(quizReviews.platform, user.platform), eq(quizReviews.workspaceId, user.workspaceId), eq(quizReviews.userId, user.userId), eq(quizReviews.pack, pack), eq(quizReviews.itemId, itemId));
  }

  /** A user's card for an item. */
  async getCard(user: QuizUserKey, pack: string, itemId: string): Promise<ReviewCard | null> {
    return this.cardIn(this.db, user, pack, itemId);
  }

  private async cardIn(db: PgExec, user: QuizUserKey, pack: string, itemId: string): Promise<ReviewCard | null> {
    const [r] = await db.select({ card: quizReviews.card }).from(quizReviews).where(this.cardWhere(user, pack, itemId));
    return r ? (JSON.parse(r.card) as ReviewCard) : null;
  }

  /** Saves a user's card for an item. */
  async putCard(user: QuizUserKey, pack: string, itemId: string, card: ReviewCard): Promise<void> {
    await this.putCardIn(this.db, user, pack, itemId, card);
  }

  private async putCardIn(db: PgExec, user: QuizUserKey, pack: string, itemId: string, card: ReviewCard): Promise<void> {
    const json = JSON.stringify(card);
    await db
      .insert(quizReviews)
      .values({ ...user, pack, itemId, due: card.due, card: json, updatedAt: card.lastReview ?? card.due })
      .onConflictDoUpdate({
        target: [quizReviews.platform, quizReviews.workspaceId, quizReviews.userId, quizReviews.pack, quizReviews.itemId],
        set: { due: card.due, card: json, updatedAt: card.lastReview ?? card.due },
      });
  }

  /** Cards due at `now`, most overdue first. */
  async dueCards(user: QuizUserKey, now: number, limit: number): Promise<DueItem[]> {
    return this.cards(user, lte(quizReviews.due, now), limit);
  }

  /** Cards not yet due at `now`, soonest first. */
  async upcomingCards(user: QuizUserKey, now: number, limit: number): Promise<DueItem[]> {
    return this.cards(user, gt(quizReviews.due, now), limit);
  }

  private async cards(user: QuizUserKey, when: SQL, limit: number): Promise<DueItem[]> {
    const rows = await this.db
      .select({ pack: quizReviews.pack, itemId: quizReviews.itemId, card: quizReviews.card })
      .from(quizReviews)
      .where(and(eq(quizReviews.platform, user.platform), eq(quizReviews.workspaceId, user.workspaceId), eq(quizReviews.userId, user.userId), when))
      .orderBy(asc(quizReviews.due))
      .limit(limit);
    return rows.map((r) => ({ pack: r.pack, itemId: r.itemId, card: JSON.parse(r.card) as ReviewCard }));
  }

  /** Remembers the question just shown in a channel or to one user there. */
  async noteShown(where: ShownAt, item: ShownItem): Promise<void> {
    const row = { ...where, pack: item.pack, itemId: item.itemId, shownAt: item.at };
    await this.db
      .insert(quizLastShown)
      .values(row)
      .onConflictDoUpdate({
        target: [quizLastShown.platform, quizLastShown.workspaceId, quizLastShown.channelId, quizLastShown.userId],
        set: { pack: row.pack, itemId: row.itemId, shownAt: row.shownAt },
        // Two showings may be noted out of order by concurrent requests: the newer one stays.
        setWhere: lte(quizLastShown.shownAt, row.shownAt),
      });
  }

  /** The newest of the question shown to this user here and the channel's team question. */
  async lastShown(where: ShownAt): Promise<ShownItem | null> {
    const [r] = await this.db
      .select({ pack: quizLastShown.pack, itemId: quizLastShown.itemId, at: quizLastShown.shownAt })
      .from(quizLastShown)
      .where(
        and(
          eq(quizLastShown.platform, where.platform),
          eq(quizLastShown.workspaceId, where.workspaceId),
          eq(quizLastShown.channelId, where.channelId),
          inArray(quizLastShown.userId, [where.userId, '']),
        ),
      )
      .orderBy(desc(quizLastShown.shownAt))
      .limit(1);
    return r ?? null;
  }

  /** Stores a flag and returns it with its id. */
  async addFlag(f: Omit<QuizFlag, 'id' | 'resolvedAt' | 'resolvedBy' | 'resolutionNote'>): Promise<QuizFlag> {
    const [row] = await this.db.insert(quizFlags).values(f).returning();
    return toFlag(row!);
  }

  /** A flag by id within a workspace. */
  async getFlag(platform: Platform, workspaceId: string, id: number): Promise<QuizFlag | null> {
    const [r] = await this.db
      .select()
      .from(quizFlags)
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), eq(quizFlags.id, id)));
    return r ? toFlag(r) : null;
  }

  /** The open flags of a workspace, oldest first, optionally of one pack. */
  async openFlags(platform: Platform, workspaceId: string, pack?: string): Promise<QuizFlag[]> {
    const rows = await this.db
      .select()
      .from(quizFlags)
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), isNull(quizFlags.resolvedAt), pack ? eq(quizFlags.pack, pack) : undefined))
      .orderBy(asc(quizFlags.id));
    return rows.map(toFlag);
  }

  /** How many open flags an item has in a workspace. */
  async openFlagCount(platform: Platform, workspaceId: string, pack: string, itemId: string): Promise<number> {
    const [r] = await this.db
      .select({ n: count() })
      .from(quizFlags)
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), isNull(quizFlags.resolvedAt), eq(quizFlags.pack, pack), eq(quizFlags.itemId, itemId)));
    return r?.n ?? 0;
  }

  /** Closes an open flag; false when it was already resolved (or does not exist). */
  async resolveFlag(platform: Platform, workspaceId: string, id: number, by: string, note: string | null, at: number): Promise<boolean> {
    const r = await this.db
      .update(quizFlags)
      .set({ resolvedAt: at, resolvedBy: by, resolutionNote: note })
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), eq(quizFlags.id, id), isNull(quizFlags.resolvedAt)));
    return (r.rowCount ?? 0) > 0;
  }
}
