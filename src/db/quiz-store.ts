import { and, asc, desc, eq, gte, inArray, lte, ne, or, sql } from 'drizzle-orm';
import type { Platform } from '../core/command.ts';
import type {
  AnswerRecord,
  DueItem,
  InterviewAttempt,
  LeaderboardQuery,
  LeaderRow,
  QuizStore,
  QuizUserKey,
  RecordOutcome,
  StoredSession,
} from '../ports/quiz-store.ts';
import type { SessionState } from '../quiz/engine.ts';
import type { ReviewCard } from '../quiz/review.ts';
import type { Db } from './client.ts';
import { quizAnswers, quizDaily, quizInterviews, quizReviews, quizSessions, quizTotals } from './quiz-schema.ts';

const DAY_MS = 86_400_000;

type SessionRow = typeof quizSessions.$inferSelect;
type AnswerRow = typeof quizAnswers.$inferSelect;

function toSession(r: SessionRow): StoredSession {
  return {
    id: r.id,
    scope: r.scope,
    platform: r.platform as Platform,
    workspaceId: r.workspaceId,
    channelId: r.channelId,
    state: JSON.parse(r.state) as SessionState,
    version: r.version,
  };
}

function toAnswer(r: AnswerRow): AnswerRecord {
  return {
    sessionId: r.sessionId,
    platform: r.platform as Platform,
    workspaceId: r.workspaceId,
    channelId: r.channelId,
    userId: r.userId,
    userName: r.userName,
    pack: r.pack,
    itemId: r.itemId,
    section: r.section,
    kind: r.kind as AnswerRecord['kind'],
    choice: r.choice,
    text: r.answerText,
    correct: r.correct === 1,
    points: r.points,
    coverage: r.coverage,
    responseMs: r.responseMs,
    at: r.answeredAt,
  };
}

/**
 * Study mode's storage in SQLite. Every write that must not be half-done (an answer and the
 * leaderboard aggregates it feeds, a compare-and-set of session state) runs in one
 * IMMEDIATE transaction, so two processes on the same file cannot interleave them.
 */
export class SqliteQuizStore implements QuizStore {
  private readonly insertAnswer;
  private readonly bumpDaily;
  private readonly bumpTotals;
  private readonly sessionVersion;

  constructor(private readonly db: Db) {
    // Prepared once: the answer path runs for every button press.
    this.insertAnswer = db
      .insert(quizAnswers)
      .values({
        sessionId: sql.placeholder('sessionId'),
        platform: sql.placeholder('platform'),
        workspaceId: sql.placeholder('workspaceId'),
        channelId: sql.placeholder('channelId'),
        userId: sql.placeholder('userId'),
        userName: sql.placeholder('userName'),
        pack: sql.placeholder('pack'),
        itemId: sql.placeholder('itemId'),
        section: sql.placeholder('section'),
        kind: sql.placeholder('kind'),
        choice: sql.placeholder('choice'),
        answerText: sql.placeholder('answerText'),
        correct: sql.placeholder('correct'),
        points: sql.placeholder('points'),
        coverage: sql.placeholder('coverage'),
        responseMs: sql.placeholder('responseMs'),
        answeredAt: sql.placeholder('answeredAt'),
      })
      .onConflictDoNothing()
      .prepare();
    this.bumpDaily = db
      .insert(quizDaily)
      .values({
        platform: sql.placeholder('platform'),
        workspaceId: sql.placeholder('workspaceId'),
        pack: sql.placeholder('pack'),
        day: sql.placeholder('day'),
        userId: sql.placeholder('userId'),
        userName: sql.placeholder('userName'),
        points: sql.placeholder('points'),
        correct: sql.placeholder('correct'),
        answered: 1,
      })
      .onConflictDoUpdate({
        target: [quizDaily.platform, quizDaily.workspaceId, quizDaily.day, quizDaily.pack, quizDaily.userId],
        set: {
          userName: sql`excluded.user_name`,
          points: sql`${quizDaily.points} + excluded.points`,
          correct: sql`${quizDaily.correct} + excluded.correct`,
          answered: sql`${quizDaily.answered} + 1`,
        },
      })
      .prepare();
    this.bumpTotals = db
      .insert(quizTotals)
      .values({
        platform: sql.placeholder('platform'),
        workspaceId: sql.placeholder('workspaceId'),
        pack: sql.placeholder('pack'),
        userId: sql.placeholder('userId'),
        userName: sql.placeholder('userName'),
        points: sql.placeholder('points'),
        correct: sql.placeholder('correct'),
        answered: 1,
      })
      .onConflictDoUpdate({
        target: [quizTotals.platform, quizTotals.workspaceId, quizTotals.pack, quizTotals.userId],
        set: {
          userName: sql`excluded.user_name`,
          points: sql`${quizTotals.points} + excluded.points`,
          correct: sql`${quizTotals.correct} + excluded.correct`,
          answered: sql`${quizTotals.answered} + 1`,
        },
      })
      .prepare();
    this.sessionVersion = db
      .select({ version: quizSessions.version, active: quizSessions.active })
      .from(quizSessions)
      .where(eq(quizSessions.id, sql.placeholder('id')))
      .prepare();
  }

  /** Stores a new running session; false when its scope already has one running. */
  createSession(s: Omit<StoredSession, 'version'>): boolean {
    const now = s.state.startedAt;
    const r = this.db
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
      .onConflictDoNothing()
      .run();
    return r.changes === 1;
  }

  /** The running session of a scope, if any. */
  activeSession(scope: string): StoredSession | null {
    const r = this.db
      .select()
      .from(quizSessions)
      .where(and(eq(quizSessions.scope, scope), eq(quizSessions.active, 1)))
      .get();
    return r ? toSession(r) : null;
  }

  /** Every running session. */
  activeSessions(): StoredSession[] {
    return this.db.select().from(quizSessions).where(eq(quizSessions.active, 1)).all().map(toSession);
  }

  /** Saves a new state if nobody saved since `expectedVersion`. */
  saveSession(id: string, expectedVersion: number, state: SessionState): StoredSession | null {
    const r = this.db
      .update(quizSessions)
      .set({
        state: JSON.stringify(state),
        version: expectedVersion + 1,
        active: state.finishedAt === null ? 1 : 0,
        updatedAt: state.finishedAt ?? state.questionStartedAt,
      })
      .where(and(eq(quizSessions.id, id), eq(quizSessions.version, expectedVersion)))
      .returning()
      .get();
    return r ? toSession(r) : null;
  }

  private recordOne(a: AnswerRecord): boolean {
    const res = this.insertAnswer.run({
      sessionId: a.sessionId,
      platform: a.platform,
      workspaceId: a.workspaceId,
      channelId: a.channelId,
      userId: a.userId,
      userName: a.userName,
      pack: a.pack,
      itemId: a.itemId,
      section: a.section,
      kind: a.kind,
      choice: a.choice,
      answerText: a.text,
      correct: a.correct ? 1 : 0,
      points: a.points,
      coverage: a.coverage,
      responseMs: Math.max(0, Math.round(a.responseMs)),
      answeredAt: a.at,
    });
    if (res.changes !== 1) return false;
    const agg = {
      platform: a.platform,
      workspaceId: a.workspaceId,
      pack: a.pack,
      userId: a.userId,
      userName: a.userName,
      points: a.points,
      correct: a.correct ? 1 : 0,
    };
    this.bumpDaily.run({ ...agg, day: Math.floor(a.at / DAY_MS) });
    this.bumpTotals.run(agg);
    return true;
  }

  /** Logs an answer exactly once, with its leaderboard aggregates, in one transaction. */
  recordAnswer(a: AnswerRecord, guard?: { sessionId: string; version: number }): RecordOutcome {
    return this.db.transaction(
      (): RecordOutcome => {
        if (guard) {
          const s = this.sessionVersion.get({ id: guard.sessionId });
          if (!s || s.active !== 1 || s.version !== guard.version) return 'closed';
        }
        return this.recordOne(a) ? 'recorded' : 'duplicate';
      },
      { behavior: 'immediate' },
    );
  }

  /** Logs many answers in one transaction (imports, benchmarks); returns how many were new. */
  recordAnswers(answers: readonly AnswerRecord[]): number {
    return this.db.transaction(
      () => {
        let n = 0;
        for (const a of answers) if (this.recordOne(a)) n++;
        return n;
      },
      { behavior: 'immediate' },
    );
  }

  /** The answers a session got for one item. */
  sessionAnswers(sessionId: string, itemId: string): AnswerRecord[] {
    return this.db
      .select()
      .from(quizAnswers)
      .where(and(eq(quizAnswers.sessionId, sessionId), eq(quizAnswers.itemId, itemId)))
      .orderBy(asc(quizAnswers.id))
      .all()
      .map(toAnswer);
  }

  /** A user's answers, oldest first. */
  userAnswers(user: QuizUserKey, pack?: string): AnswerRecord[] {
    return this.db
      .select()
      .from(quizAnswers)
      .where(
        and(
          eq(quizAnswers.platform, user.platform),
          eq(quizAnswers.workspaceId, user.workspaceId),
          eq(quizAnswers.userId, user.userId),
          pack ? eq(quizAnswers.pack, pack) : undefined,
        ),
      )
      .orderBy(asc(quizAnswers.answeredAt), asc(quizAnswers.id))
      .all()
      .map(toAnswer);
  }

  /** Finds a user who has answered here, by id or (case-insensitive) display name. */
  findUser(platform: Platform, workspaceId: string, query: string): { userId: string; userName: string } | null {
    const r = this.db
      .select({ userId: quizTotals.userId, userName: quizTotals.userName })
      .from(quizTotals)
      .where(
        and(
          eq(quizTotals.platform, platform),
          eq(quizTotals.workspaceId, workspaceId),
          or(eq(quizTotals.userId, query), sql`lower(${quizTotals.userName}) = lower(${query})`),
        ),
      )
      .get();
    return r ?? null;
  }

  /**
   * Points per user, most first. All-time boards read the per-user totals; windows read the
   * per-day rows (so `since` counts whole UTC days, starting with the day it falls on).
   */
  leaderboard(q: LeaderboardQuery): LeaderRow[] {
    if (q.since === undefined) {
      const points = sql<number>`sum(${quizTotals.points})`;
      const correct = sql<number>`sum(${quizTotals.correct})`;
      return this.db
        .select({
          userId: quizTotals.userId,
          userName: sql<string>`max(${quizTotals.userName})`,
          points,
          correct,
          answered: sql<number>`sum(${quizTotals.answered})`,
        })
        .from(quizTotals)
        .where(and(eq(quizTotals.platform, q.platform), eq(quizTotals.workspaceId, q.workspaceId), q.pack ? eq(quizTotals.pack, q.pack) : undefined))
        .groupBy(quizTotals.userId)
        .orderBy(desc(points), desc(correct), asc(quizTotals.userId))
        .limit(q.limit)
        .all();
    }
    const points = sql<number>`sum(${quizDaily.points})`;
    const correct = sql<number>`sum(${quizDaily.correct})`;
    return this.db
      .select({
        userId: quizDaily.userId,
        userName: sql<string>`max(${quizDaily.userName})`,
        points,
        correct,
        answered: sql<number>`sum(${quizDaily.answered})`,
      })
      .from(quizDaily)
      .where(
        and(
          eq(quizDaily.platform, q.platform),
          eq(quizDaily.workspaceId, q.workspaceId),
          q.pack ? eq(quizDaily.pack, q.pack) : undefined,
          gte(quizDaily.day, Math.floor(q.since / DAY_MS)),
        ),
      )
      .groupBy(quizDaily.userId)
      .orderBy(desc(points), desc(correct), asc(quizDaily.userId))
      .limit(q.limit)
      .all();
  }

  /** Starts an interview attempt, closing the user's earlier open one. */
  startInterview(a: InterviewAttempt): void {
    this.db.transaction(
      (tx) => {
        tx.update(quizInterviews)
          .set({ phase: 'done' })
          .where(
            and(
              eq(quizInterviews.platform, a.user.platform),
              eq(quizInterviews.workspaceId, a.user.workspaceId),
              eq(quizInterviews.userId, a.user.userId),
              ne(quizInterviews.phase, 'done'),
            ),
          )
          .run();
        tx.insert(quizInterviews)
          .values({
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
          })
          .run();
      },
      { behavior: 'immediate' },
    );
  }

  /** The user's open attempt, newest first. */
  openInterview(user: QuizUserKey): InterviewAttempt | null {
    const r = this.db
      .select()
      .from(quizInterviews)
      .where(
        and(
          eq(quizInterviews.platform, user.platform),
          eq(quizInterviews.workspaceId, user.workspaceId),
          eq(quizInterviews.userId, user.userId),
          inArray(quizInterviews.phase, ['answering', 'rating']),
        ),
      )
      .orderBy(desc(quizInterviews.startedAt))
      .get();
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
  updateInterview(id: string, phase: InterviewAttempt['phase'], coverage?: number | null): void {
    this.db
      .update(quizInterviews)
      .set(coverage === undefined ? { phase } : { phase, coverage })
      .where(eq(quizInterviews.id, id))
      .run();
  }

  private cardWhere(user: QuizUserKey, pack: string, itemId: string) {
    return and(
      eq(quizReviews.platform, user.platform),
      eq(quizReviews.workspaceId, user.workspaceId),
      eq(quizReviews.userId, user.userId),
      eq(quizReviews.pack, pack),
      eq(quizReviews.itemId, itemId),
    );
  }

  /** A user's card for an item. */
  getCard(user: QuizUserKey, pack: string, itemId: string): ReviewCard | null {
    const r = this.db.select({ card: quizReviews.card }).from(quizReviews).where(this.cardWhere(user, pack, itemId)).get();
    return r ? (JSON.parse(r.card) as ReviewCard) : null;
  }

  /** Saves a user's card for an item. */
  putCard(user: QuizUserKey, pack: string, itemId: string, card: ReviewCard): void {
    const json = JSON.stringify(card);
    this.db
      .insert(quizReviews)
      .values({ ...user, pack, itemId, due: card.due, card: json, updatedAt: card.lastReview ?? card.due })
      .onConflictDoUpdate({
        target: [quizReviews.platform, quizReviews.workspaceId, quizReviews.userId, quizReviews.pack, quizReviews.itemId],
        set: { due: card.due, card: json, updatedAt: card.lastReview ?? card.due },
      })
      .run();
  }

  /** Cards due at `now`, most overdue first. */
  dueCards(user: QuizUserKey, now: number, limit: number): DueItem[] {
    return this.db
      .select({ pack: quizReviews.pack, itemId: quizReviews.itemId, card: quizReviews.card })
      .from(quizReviews)
      .where(
        and(
          eq(quizReviews.platform, user.platform),
          eq(quizReviews.workspaceId, user.workspaceId),
          eq(quizReviews.userId, user.userId),
          lte(quizReviews.due, now),
        ),
      )
      .orderBy(asc(quizReviews.due))
      .limit(limit)
      .all()
      .map((r) => ({ pack: r.pack, itemId: r.itemId, card: JSON.parse(r.card) as ReviewCard }));
  }
}
