import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Platform } from '../core/platform.ts';
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
  ShownAt,
  ReviewStep,
  ShownItem,
  StoredSession,
} from '../ports/quiz-store.ts';
import type { SessionState } from '../quiz/engine.ts';
import type { ReviewCard } from '../quiz/review.ts';
import type Database from 'better-sqlite3';
import type { Db } from './client.ts';
import { quizAnswers, quizDaily, quizFlags, quizInterviews, quizLastShown, quizReviews, quizSessions, quizTotals } from './quiz-schema.ts';

const DAY_MS = 86_400_000;

type SessionRow = typeof quizSessions.$inferSelect;

function foldKey(platform: string, workspaceId: string): string {
  return `folded_through:${platform}:${workspaceId}`;
}
type AnswerRow = typeof quizAnswers.$inferSelect;

/** A stored session row as the port's StoredSession (PostgreSQL's rows have the same shape). */
export function toSession(r: SessionRow): StoredSession {
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

/** A stored answer row as the port's AnswerRecord (PostgreSQL's rows have the same shape). */
export function toAnswer(r: AnswerRow): AnswerRecord {
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

/** A stored flag row as the port's QuizFlag (PostgreSQL's rows have the same shape). */
export function toFlag(r: typeof quizFlags.$inferSelect): QuizFlag {
  return { ...r, platform: r.platform as Platform };
}

/**
 * Study mode's storage in SQLite. Every write that must not be half-done (an answer and the
 * leaderboard aggregates it feeds, a compare-and-set of session state) runs in one
 * IMMEDIATE transaction, so two processes on the same file cannot interleave them.
 */
export class SqliteQuizStore implements QuizStore {
  private readonly insertAnswer: Database.Statement;
  private readonly insertAnswerGuarded: Database.Statement;
  private readonly bumpDaily: Database.Statement;
  private readonly bumpTotals: Database.Statement;
  private readonly sessionVersion: Database.Statement<[string], { version: number; active: number }>;
  private readonly foldedThrough: Database.Statement<[string], { value: number }>;
  private readonly foldTx: (platform: string, workspaceId: string) => number;
  private readonly client: Database.Database;
  private readonly recordTx: (a: AnswerRecord, guard: { sessionId: string; version: number } | undefined, review: ReviewStep | undefined) => RecordOutcome;
  private readonly revealTx: (id: string, expectedVersion: number, itemId: string, next: (answers: AnswerRecord[]) => SessionState) => StoredSession | null;
  private readonly answerInterviewTx: (a: AnswerRecord, attemptId: string) => RecordOutcome;
  private readonly rateTx: (id: string, review: ReviewStep) => ReviewCard | null;
  private readonly recordManyTx: (answers: readonly AnswerRecord[]) => number;

  constructor(private readonly db: Db) {
    // The answer path runs for every button press, so it uses statements prepared once on the
    // raw handle and better-sqlite3's own transaction wrapper (drizzle handles everything else).
    const client = (db as Db & { $client: Database.Database }).$client;
    const cols = `session_id, platform, workspace_id, channel_id, user_id, user_name, pack, item_id, section, kind,
      choice, answer_text, correct, points, coverage, response_ms, answered_at`;
    const params = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?';
    this.insertAnswer = client.prepare(`INSERT INTO quiz_answers (${cols}) VALUES (${params}) ON CONFLICT DO NOTHING`);
    // One statement checks the session is still on that version and inserts; no separate read.
    this.insertAnswerGuarded = client.prepare(
      `INSERT INTO quiz_answers (${cols}) SELECT ${params}
       WHERE EXISTS (SELECT 1 FROM quiz_sessions WHERE id = ? AND version = ? AND active = 1) ON CONFLICT DO NOTHING`,
    );
    this.bumpDaily = client.prepare(
      `INSERT INTO quiz_daily (platform, workspace_id, pack, day, user_id, user_name, points, correct, answered)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT DO UPDATE SET user_name = excluded.user_name, points = points + excluded.points,
         correct = correct + excluded.correct, answered = answered + 1`,
    );
    this.bumpTotals = client.prepare(
      `INSERT INTO quiz_totals (platform, workspace_id, pack, user_id, user_name, points, correct, answered)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT DO UPDATE SET user_name = excluded.user_name, points = points + excluded.points,
         correct = correct + excluded.correct, answered = answered + 1`,
    );
    this.sessionVersion = client.prepare('SELECT version, active FROM quiz_sessions WHERE id = ?');
    this.foldedThrough = client.prepare('SELECT value FROM quiz_meta WHERE key = ?');
    this.client = client;
    const maxDay = client.prepare<[string, string], { d: number | null }>('SELECT max(day) AS d FROM quiz_daily WHERE platform = ? AND workspace_id = ?');
    const foldDays = client.prepare(
      `INSERT INTO quiz_totals (platform, workspace_id, pack, user_id, user_name, points, correct, answered)
       SELECT platform, workspace_id, pack, user_id, max(user_name), sum(points), sum(correct), sum(answered) FROM quiz_daily
       WHERE platform = ? AND workspace_id = ? AND day > ? AND day <= ? GROUP BY pack, user_id
       ON CONFLICT DO UPDATE SET user_name = excluded.user_name, points = points + excluded.points,
         correct = correct + excluded.correct, answered = answered + excluded.answered`,
    );
    const setFolded = client.prepare('INSERT INTO quiz_meta (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value');
    // Adds every complete day (all but the latest one with answers) into the totals, once.
    this.foldTx = client.transaction((platform: string, workspaceId: string): number => {
      const key = foldKey(platform, workspaceId);
      const from = this.foldedThrough.get(key)?.value ?? -1;
      const latest = maxDay.get(platform, workspaceId)?.d ?? null;
      if (latest === null || latest - 1 <= from) return from;
      foldDays.run(platform, workspaceId, from, latest - 1);
      setFolded.run(key, latest - 1);
      return latest - 1;
    }).immediate;
    // Each of these is one IMMEDIATE transaction: it takes SQLite's write lock before its first read, so
    // what it reads cannot change before it writes, in this process or another on the same file.
    this.recordTx = client.transaction((a: AnswerRecord, guard: { sessionId: string; version: number } | undefined, review: ReviewStep | undefined): RecordOutcome => {
      if (this.recordOne(a, guard)) {
        if (review) {
          const user = { platform: a.platform, workspaceId: a.workspaceId, userId: a.userId };
          this.putCardNow(user, a.pack, a.itemId, review(this.cardNow(user, a.pack, a.itemId)));
        }
        return 'recorded';
      }
      if (!guard) return 'duplicate';
      const s = this.sessionVersion.get(guard.sessionId);
      return s && s.active === 1 && s.version === guard.version ? 'duplicate' : 'closed';
    }).immediate;
    this.revealTx = client.transaction((id: string, expectedVersion: number, itemId: string, next: (answers: AnswerRecord[]) => SessionState): StoredSession | null => {
      if (this.sessionVersion.get(id)?.version !== expectedVersion) return null;
      return this.saveNow(id, expectedVersion, next(this.answersOf(id, itemId)));
    }).immediate;
    this.answerInterviewTx = client.transaction((a: AnswerRecord, attemptId: string): RecordOutcome => {
      // The phase moves first and decides: of two answers to one attempt only one finds it answering.
      const moved = this.db
        .update(quizInterviews)
        .set({ phase: 'rating', coverage: a.coverage })
        .where(and(eq(quizInterviews.id, attemptId), eq(quizInterviews.phase, 'answering')))
        .run();
      if (moved.changes !== 1) return 'closed';
      return this.recordOne(a) ? 'recorded' : 'duplicate';
    }).immediate;
    this.rateTx = client.transaction((id: string, review: ReviewStep): ReviewCard | null => {
      const r = this.db.select().from(quizInterviews).where(eq(quizInterviews.id, id)).get();
      if (!r) return null;
      const moved = this.db
        .update(quizInterviews)
        .set({ phase: 'done' })
        .where(and(eq(quizInterviews.id, id), eq(quizInterviews.phase, 'rating')))
        .run();
      if (moved.changes !== 1) return null;
      const user = { platform: r.platform as Platform, workspaceId: r.workspaceId, userId: r.userId };
      const card = review(this.cardNow(user, r.pack, r.itemId));
      this.putCardNow(user, r.pack, r.itemId, card);
      return card;
    }).immediate;
    this.recordManyTx = client.transaction((answers: readonly AnswerRecord[]): number => {
      let n = 0;
      for (const a of answers) if (this.recordOne(a)) n++;
      return n;
    }).immediate;
  }

  /** Stores a new running session; false when its scope already has one running. */
  async createSession(s: Omit<StoredSession, 'version'>): Promise<boolean> {
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
  async activeSession(scope: string): Promise<StoredSession | null> {
    const r = this.db
      .select()
      .from(quizSessions)
      .where(and(eq(quizSessions.scope, scope), eq(quizSessions.active, 1)))
      .get();
    return r ? toSession(r) : null;
  }

  /** Every running session. */
  async activeSessions(): Promise<StoredSession[]> {
    return this.db.select().from(quizSessions).where(eq(quizSessions.active, 1)).all().map(toSession);
  }

  /** Saves a new state if nobody saved since `expectedVersion`. */
  async saveSession(id: string, expectedVersion: number, state: SessionState): Promise<StoredSession | null> {
    return this.saveNow(id, expectedVersion, state);
  }

  /** The compare-and-set of a session's state, synchronous so transactions can include it. */
  private saveNow(id: string, expectedVersion: number, state: SessionState): StoredSession | null {
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

  /** Inserts the answer and bumps its aggregates; false when it was not inserted (duplicate or closed). */
  private recordOne(a: AnswerRecord, guard?: { sessionId: string; version: number }): boolean {
    const values = [
      a.sessionId,
      a.platform,
      a.workspaceId,
      a.channelId,
      a.userId,
      a.userName,
      a.pack,
      a.itemId,
      a.section,
      a.kind,
      a.choice,
      a.text,
      a.correct ? 1 : 0,
      a.points,
      a.coverage,
      Math.max(0, Math.round(a.responseMs)),
      a.at,
    ];
    const res = guard ? this.insertAnswerGuarded.run(...values, guard.sessionId, guard.version) : this.insertAnswer.run(...values);
    if (res.changes !== 1) return false;
    const correct = a.correct ? 1 : 0;
    const day = Math.floor(a.at / DAY_MS);
    this.bumpDaily.run(a.platform, a.workspaceId, a.pack, day, a.userId, a.userName, a.points, correct);
    // Live answers land on today, which is never folded yet; a back-dated one must reach the totals itself.
    const folded = this.foldedThrough.get(foldKey(a.platform, a.workspaceId))?.value ?? -1;
    if (day <= folded) this.bumpTotals.run(a.platform, a.workspaceId, a.pack, a.userId, a.userName, a.points, correct);
    return true;
  }

  /** Logs an answer exactly once, with its leaderboard aggregates, in one transaction. */
  async recordAnswer(a: AnswerRecord, guard?: { sessionId: string; version: number }, review?: ReviewStep): Promise<RecordOutcome> {
    return this.recordTx(a, guard, review);
  }

  /** Reads a question's answers and saves the state computed from them, in one transaction. */
  async revealQuestion(id: string, expectedVersion: number, itemId: string, next: (answers: AnswerRecord[]) => SessionState): Promise<StoredSession | null> {
    return this.revealTx(id, expectedVersion, itemId, next);
  }

  /** Logs an interview answer and moves its attempt on to rating, in one transaction. */
  async answerInterview(a: AnswerRecord, attemptId: string): Promise<RecordOutcome> {
    return this.answerInterviewTx(a, attemptId);
  }

  /** Ends an attempt waiting for its rating and moves the card on, in one transaction. */
  async rateInterview(id: string, review: ReviewStep): Promise<ReviewCard | null> {
    return this.rateTx(id, review);
  }

  /** Logs many answers in one transaction (imports, benchmarks); returns how many were new. */
  async recordAnswers(answers: readonly AnswerRecord[]): Promise<number> {
    return this.recordManyTx(answers);
  }

  /** The answers a session got for one item. */
  async sessionAnswers(sessionId: string, itemId: string): Promise<AnswerRecord[]> {
    return this.answersOf(sessionId, itemId);
  }

  private answersOf(sessionId: string, itemId: string): AnswerRecord[] {
    return this.db
      .select()
      .from(quizAnswers)
      .where(and(eq(quizAnswers.sessionId, sessionId), eq(quizAnswers.itemId, itemId)))
      .orderBy(asc(quizAnswers.id))
      .all()
      .map(toAnswer);
  }

  /** A user's answers, oldest first. */
  async userAnswers(user: QuizUserKey, pack?: string): Promise<AnswerRecord[]> {
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
  async findUser(platform: Platform, workspaceId: string, query: string): Promise<{ userId: string; userName: string } | null> {
    const folded = this.foldedThrough.get(foldKey(platform, workspaceId))?.value ?? -1;
    const match = (t: typeof quizTotals | typeof quizDaily) => or(eq(t.userId, query), sql`lower(${t.userName}) = lower(${query})`);
    const total = this.db
      .select({ userId: quizTotals.userId, userName: quizTotals.userName })
      .from(quizTotals)
      .where(and(eq(quizTotals.platform, platform), eq(quizTotals.workspaceId, workspaceId), match(quizTotals)))
      .get();
    if (total) return total;
    const recent = this.db
      .select({ userId: quizDaily.userId, userName: quizDaily.userName })
      .from(quizDaily)
      .where(and(eq(quizDaily.platform, platform), eq(quizDaily.workspaceId, workspaceId), gt(quizDaily.day, folded), match(quizDaily)))
      .orderBy(desc(quizDaily.day))
      .get();
    return recent ?? null;
  }

  /**
   * Points per user, most first. Windows read the per-day rows (so `since` counts whole UTC
   * days, starting with the day it falls on); all time reads the folded totals plus the days
   * not folded yet, folding complete days first.
   */
  async leaderboard(q: LeaderboardQuery): Promise<LeaderRow[]> {
    if (q.since === undefined) {
      const folded = this.foldTx(q.platform, q.workspaceId);
      const pack = q.pack ? 'AND pack = ?' : '';
      const args = q.pack ? [q.platform, q.workspaceId, q.pack] : [q.platform, q.workspaceId];
      return this.client
        .prepare<unknown[], LeaderRow>(
          `SELECT user_id AS userId, max(user_name) AS userName, sum(points) AS points, sum(correct) AS correct, sum(answered) AS answered
           FROM (SELECT user_id, user_name, points, correct, answered FROM quiz_totals WHERE platform = ? AND workspace_id = ? ${pack}
                 UNION ALL
                 SELECT user_id, user_name, points, correct, answered FROM quiz_daily WHERE platform = ? AND workspace_id = ? AND day > ? ${pack})
           GROUP BY user_id ORDER BY points DESC, correct DESC, user_id LIMIT ?`,
        )
        .all(...args, q.platform, q.workspaceId, folded, ...(q.pack ? [q.pack] : []), q.limit);
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
  async startInterview(a: InterviewAttempt): Promise<void> {
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
  async openInterview(user: QuizUserKey): Promise<InterviewAttempt | null> {
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
  async updateInterview(id: string, phase: InterviewAttempt['phase'], coverage?: number | null): Promise<void> {
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
  async getCard(user: QuizUserKey, pack: string, itemId: string): Promise<ReviewCard | null> {
    return this.cardNow(user, pack, itemId);
  }

  private cardNow(user: QuizUserKey, pack: string, itemId: string): ReviewCard | null {
    const r = this.db.select({ card: quizReviews.card }).from(quizReviews).where(this.cardWhere(user, pack, itemId)).get();
    return r ? (JSON.parse(r.card) as ReviewCard) : null;
  }

  /** Saves a user's card for an item. */
  async putCard(user: QuizUserKey, pack: string, itemId: string, card: ReviewCard): Promise<void> {
    this.putCardNow(user, pack, itemId, card);
  }

  private putCardNow(user: QuizUserKey, pack: string, itemId: string, card: ReviewCard): void {
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
  async dueCards(user: QuizUserKey, now: number, limit: number): Promise<DueItem[]> {
    return this.cards(user, lte(quizReviews.due, now), limit);
  }

  /** Cards not yet due at `now`, soonest first. */
  async upcomingCards(user: QuizUserKey, now: number, limit: number): Promise<DueItem[]> {
    return this.cards(user, gt(quizReviews.due, now), limit);
  }

  private cards(user: QuizUserKey, when: SQL, limit: number): DueItem[] {
    return this.db
      .select({ pack: quizReviews.pack, itemId: quizReviews.itemId, card: quizReviews.card })
      .from(quizReviews)
      .where(and(eq(quizReviews.platform, user.platform), eq(quizReviews.workspaceId, user.workspaceId), eq(quizReviews.userId, user.userId), when))
      .orderBy(asc(quizReviews.due))
      .limit(limit)
      .all()
      .map((r) => ({ pack: r.pack, itemId: r.itemId, card: JSON.parse(r.card) as ReviewCard }));
  }

  /** Remembers the question just shown in a channel or to one user there. */
  async noteShown(where: ShownAt, item: ShownItem): Promise<void> {
    const row = { ...where, pack: item.pack, itemId: item.itemId, shownAt: item.at };
    this.db
      .insert(quizLastShown)
      .values(row)
      .onConflictDoUpdate({
        target: [quizLastShown.platform, quizLastShown.workspaceId, quizLastShown.channelId, quizLastShown.userId],
        set: { pack: row.pack, itemId: row.itemId, shownAt: row.shownAt },
        // Two showings may be noted out of order by concurrent requests: the newer one stays.
        setWhere: lte(quizLastShown.shownAt, row.shownAt),
      })
      .run();
  }

  /** The newest of the question shown to this user here and the channel's team question. */
  async lastShown(where: ShownAt): Promise<ShownItem | null> {
    const r = this.db
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
      .limit(1)
      .get();
    return r ?? null;
  }

  /** Stores a flag and returns it with its id. */
  async addFlag(f: Omit<QuizFlag, 'id' | 'resolvedAt' | 'resolvedBy' | 'resolutionNote'>): Promise<QuizFlag> {
    const row = this.db.insert(quizFlags).values(f).returning().get();
    return toFlag(row);
  }

  /** A flag by id within a workspace. */
  async getFlag(platform: Platform, workspaceId: string, id: number): Promise<QuizFlag | null> {
    const r = this.db
      .select()
      .from(quizFlags)
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), eq(quizFlags.id, id)))
      .get();
    return r ? toFlag(r) : null;
  }

  /** The open flags of a workspace, oldest first, optionally of one pack. */
  async openFlags(platform: Platform, workspaceId: string, pack?: string): Promise<QuizFlag[]> {
    return this.db
      .select()
      .from(quizFlags)
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), isNull(quizFlags.resolvedAt), pack ? eq(quizFlags.pack, pack) : undefined))
      .orderBy(asc(quizFlags.id))
      .all()
      .map(toFlag);
  }

  /** How many open flags an item has in a workspace. */
  async openFlagCount(platform: Platform, workspaceId: string, pack: string, itemId: string): Promise<number> {
    const r = this.db
      .select({ n: count() })
      .from(quizFlags)
      .where(
        and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), isNull(quizFlags.resolvedAt), eq(quizFlags.pack, pack), eq(quizFlags.itemId, itemId)),
      )
      .get();
    return r?.n ?? 0;
  }

  /** Closes an open flag; false when it was already resolved (or does not exist). */
  async resolveFlag(platform: Platform, workspaceId: string, id: number, by: string, note: string | null, at: number): Promise<boolean> {
    const r = this.db
      .update(quizFlags)
      .set({ resolvedAt: at, resolvedBy: by, resolutionNote: note })
      .where(and(eq(quizFlags.platform, platform), eq(quizFlags.workspaceId, workspaceId), eq(quizFlags.id, id), isNull(quizFlags.resolvedAt)))
      .run();
    return r.changes > 0;
  }
}
