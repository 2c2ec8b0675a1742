import type { Platform } from '../core/platform.ts';
import type { SessionState } from '../quiz/engine.ts';
import type { ReviewCard } from '../quiz/review.ts';

/** Where a user's quiz history lives: per platform and workspace/guild. */
export interface QuizUserKey {
  /** The platform. */
  platform: Platform;
  /** Slack team, Discord guild or `local`. */
  workspaceId: string;
  /** The platform's user id. */
  userId: string;
}

/** A multiple-choice session as stored. */
export interface StoredSession {
  /** Session id. */
  id: string;
  /** The slot it occupies: one running session per scope (a channel, or a user's solo slot in it). */
  scope: string;
  /** The platform. */
  platform: Platform;
  /** Workspace or guild. */
  workspaceId: string;
  /** Channel it runs in. */
  channelId: string;
  /** The engine state. */
  state: SessionState;
  /** Bumped on every save; saves name the version they read (compare-and-set). */
  version: number;
}

/** One answer as logged. */
export interface AnswerRecord {
  /** The session (or interview attempt) it belongs to. */
  sessionId: string;
  /** The platform. */
  platform: Platform;
  /** Workspace or guild. */
  workspaceId: string;
  /** Channel. */
  channelId: string;
  /** User id. */
  userId: string;
  /** Display name at the time. */
  userName: string;
  /** Pack id. */
  pack: string;
  /** Item id. */
  itemId: string;
  /** Section key of the item. */
  section: string;
  /** Item type. */
  kind: 'mcq' | 'interview' | 'exercise';
  /** The letter chosen (multiple choice). */
  choice: string | null;
  /** The free text (interview and exercise). */
  text: string | null;
  /** Right (mcq) or covered at least half the key points (open items). */
  correct: boolean;
  /** Points earned (mcq only; open items score 0 points). */
  points: number;
  /** Key-point coverage 0..100 for open items, null for mcq. */
  coverage: number | null;
  /** Time from the question to the answer, ms. */
  responseMs: number;
  /** When it was given, ms since the epoch. */
  at: number;
}

/** The outcome of logging an answer. */
export type RecordOutcome = 'recorded' | 'duplicate' | 'closed';

/** One row of a leaderboard. */
export interface LeaderRow {
  /** User id. */
  userId: string;
  /** Latest display name. */
  userName: string;
  /** Points. */
  points: number;
  /** Right answers. */
  correct: number;
  /** Answers given. */
  answered: number;
}

/** Which answers a leaderboard counts. */
export interface LeaderboardQuery {
  /** The platform. */
  platform: Platform;
  /** Workspace or guild. */
  workspaceId: string;
  /** One pack, or all when absent. */
  pack?: string;
  /** Only answers at or after this time (ms since the epoch); all time when absent. */
  since?: number;
  /** At most this many rows. */
  limit: number;
}

/** A pending interview or exercise attempt. */
export interface InterviewAttempt {
  /** Attempt id (also the session id of its logged answer). */
  id: string;
  /** Who practises. */
  user: QuizUserKey;
  /** Channel it was asked in. */
  channelId: string;
  /** Pack id. */
  pack: string;
  /** Item id. */
  itemId: string;
  /** `answering` until the answer comes, then `rating` until the user rates, then `done`. */
  phase: 'answering' | 'rating' | 'done';
  /** When it was asked. */
  startedAt: number;
  /** Coverage of the answer, once given. */
  coverage: number | null;
}

/** A review card with the item it belongs to. */
export interface DueItem {
  /** Pack id. */
  pack: string;
  /** Item id. */
  itemId: string;
  /** The card. */
  card: ReviewCard;
}

/** Where a question was shown: a channel (team question, `userId` empty) or one user in it. */
export interface ShownAt {
  /** The platform. */
  platform: Platform;
  /** Workspace or guild. */
  workspaceId: string;
  /** Channel. */
  channelId: string;
  /** The user it was shown to, or '' for everyone in the channel. */
  userId: string;
}

/** The question last shown somewhere. */
export interface ShownItem {
  /** Pack id. */
  pack: string;
  /** Item id. */
  itemId: string;
  /** When it was shown, ms since the epoch. */
  at: number;
}

/** A problem a learner reported with an item. */
export interface QuizFlag {
  /** Flag id, as `/quiz resolve` takes it. */
  id: number;
  /** The platform. */
  platform: Platform;
  /** Workspace or guild (flags form one queue per workspace). */
  workspaceId: string;
  /** Where it was flagged. */
  channelId: string;
  /** Who flagged it. */
  userId: string;
  /** Their display name then. */
  userName: string;
  /** Pack id. */
  pack: string;
  /** Item id. */
  itemId: string;
  /** What they said is wrong. */
  reason: string;
  /** When, ms since the epoch. */
  createdAt: number;
  /** When it was resolved, or null while open. */
  resolvedAt: number | null;
  /** Who resolved it. */
  resolvedBy: string | null;
  /** The resolver's note. */
  resolutionNote: string | null;
}

/** A pure step that turns a user's review card for an item (null before the first) into its next one. */
export type ReviewStep = (old: ReviewCard | null) => ReviewCard;

/**
 * Storage for study mode: sessions, the answer log, leaderboards, interviews, review cards and flags.
 * Every method is one transaction. Where two requests may race (two answers of one member, an answer
 * and the reveal of its question, two ratings of one attempt), the write itself decides who wins (a
 * unique key, a compare-and-set on a version or phase), never a read made before it, so the rules hold
 * across replicas. Callbacks handed to a method (`next`, `review`) are pure: they run inside its
 * transaction, do no I/O and may run more than once if a database retries the transaction.
 */
export interface QuizStore {
  /** Stores a new running session; false when its scope already has one running. */
  createSession(s: Omit<StoredSession, 'version'>): Promise<boolean>;
  /** The running session of a scope, if any. */
  activeSession(scope: string): Promise<StoredSession | null>;
  /** Every running session (for resuming timers after a restart). */
  activeSessions(): Promise<StoredSession[]>;
  /** Saves a new state if the stored version is still `expectedVersion`; null when someone else saved first. */
  saveSession(id: string, expectedVersion: number, state: SessionState): Promise<StoredSession | null>;
  /**
   * Closes a question: reads the answers the session got for `itemId` and saves the state `next`
   * computes from them, if the stored version is still `expectedVersion` (null when someone else saved
   * first). A guarded `recordAnswer` and this never interleave (SQLite: both run as IMMEDIATE
   * transactions; PostgreSQL: this locks the session row FOR UPDATE before reading the answers, the
   * guarded insert locks it FOR SHARE), so every answer recorded for the question is in the reveal.
   */
  revealQuestion(id: string, expectedVersion: number, itemId: string, next: (answers: AnswerRecord[]) => SessionState): Promise<StoredSession | null>;
  /**
   * Logs an answer exactly once (one per session, item and user: a second is `duplicate`). With
   * `guard`, only while that session is still at that version (so an answer cannot slip in after its
   * question was revealed: `closed`). With `review`, the user's card for the item moves on in the same
   * transaction, only when the answer was recorded.
   */
  recordAnswer(a: AnswerRecord, guard?: { sessionId: string; version: number }, review?: ReviewStep): Promise<RecordOutcome>;
  /**
   * Logs the answer to an interview attempt and moves the attempt from `answering` to `rating` with the
   * answer's coverage, in one transaction; `closed` when the attempt was no longer waiting for an answer.
   */
  answerInterview(a: AnswerRecord, attemptId: string): Promise<RecordOutcome>;
  /** The answers a session got for one item. */
  sessionAnswers(sessionId: string, itemId: string): Promise<AnswerRecord[]>;
  /** A user's answers, oldest first, optionally for one pack. */
  userAnswers(user: QuizUserKey, pack?: string): Promise<AnswerRecord[]>;
  /** Finds a user who has answered in this workspace, by id or display name. */
  findUser(platform: Platform, workspaceId: string, query: string): Promise<{ userId: string; userName: string } | null>;
  /** Points per user, most first. */
  leaderboard(q: LeaderboardQuery): Promise<LeaderRow[]>;
  /** Starts an interview attempt, ending any earlier open one of the same user. */
  startInterview(a: InterviewAttempt): Promise<void>;
  /** The user's open interview attempt (answering or rating), if any. */
  openInterview(user: QuizUserKey): Promise<InterviewAttempt | null>;
  /** Moves an attempt to another phase. */
  updateInterview(id: string, phase: InterviewAttempt['phase'], coverage?: number | null): Promise<void>;
  /**
   * Ends an attempt that waits for its rating and moves the user's card for its item on with
   * `review`, in one transaction; null (and nothing written) when it no longer waited (rated already).
   */
  rateInterview(id: string, review: ReviewStep): Promise<ReviewCard | null>;
  /** A user's review card for an item. */
  getCard(user: QuizUserKey, pack: string, itemId: string): Promise<ReviewCard | null>;
  /** Saves a user's review card for an item. */
  putCard(user: QuizUserKey, pack: string, itemId: string, card: ReviewCard): Promise<void>;
  /** Cards due at `now`, most overdue first. */
  dueCards(user: QuizUserKey, now: number, limit: number): Promise<DueItem[]>;
  /** Cards not yet due at `now`, soonest first. */
  upcomingCards(user: QuizUserKey, now: number, limit: number): Promise<DueItem[]>;
  /** Remembers the question just shown in a channel or to one user there (an older showing never replaces a newer one). */
  noteShown(where: ShownAt, item: ShownItem): Promise<void>;
  /** The newest of the question shown to this user here and the channel's team question. */
  lastShown(where: ShownAt): Promise<ShownItem | null>;
  /** Stores a flag and returns it with its id. */
  addFlag(f: Omit<QuizFlag, 'id' | 'resolvedAt' | 'resolvedBy' | 'resolutionNote'>): Promise<QuizFlag>;
  /** A flag by id within a workspace. */
  getFlag(platform: Platform, workspaceId: string, id: number): Promise<QuizFlag | null>;
  /** The open flags of a workspace, oldest first, optionally of one pack. */
  openFlags(platform: Platform, workspaceId: string, pack?: string): Promise<QuizFlag[]>;
  /** How many open flags an item has in a workspace. */
  openFlagCount(platform: Platform, workspaceId: string, pack: string, itemId: string): Promise<number>;
  /** Closes an open flag; false when it was already resolved (or does not exist). */
  resolveFlag(platform: Platform, workspaceId: string, id: number, by: string, note: string | null, at: number): Promise<boolean>;
}
