import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Quiz sessions with their engine state, so a restart resumes them. */
export const quizSessions = sqliteTable(
  'quiz_sessions',
  {
    id: text('id').primaryKey(),
    scope: text('scope').notNull(),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    pack: text('pack').notNull(),
    state: text('state').notNull(),
    version: integer('version').notNull().default(1),
    active: integer('active').notNull().default(1),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  // One running session per scope; finished ones stay for history.
  (t) => [uniqueIndex('quiz_sessions_active_scope').on(t.scope).where(sql`active = 1`)],
);

/** Every answer ever given: the source of scores, and the guard against double answers. */
export const quizAnswers = sqliteTable(
  'quiz_answers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id').notNull(),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    section: text('section').notNull(),
    kind: text('kind').notNull(),
    choice: text('choice'),
    answerText: text('answer_text'),
    correct: integer('correct').notNull(),
    points: integer('points').notNull(),
    coverage: integer('coverage'),
    responseMs: integer('response_ms').notNull(),
    answeredAt: integer('answered_at').notNull(),
  },
  (t) => [
    uniqueIndex('quiz_answers_once').on(t.sessionId, t.itemId, t.userId),
    index('quiz_answers_user').on(t.platform, t.workspaceId, t.userId, t.answeredAt),
  ],
);

/**
 * Points per user, pack and UTC day, kept with each answer so week and month leaderboards
 * read a few rows per user instead of scanning the answer log.
 */
export const quizDaily = sqliteTable(
  'quiz_daily',
  {
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    pack: text('pack').notNull(),
    day: integer('day').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    points: integer('points').notNull(),
    correct: integer('correct').notNull(),
    answered: integer('answered').notNull(),
  },
  // Day before pack: windowed boards range-scan the days of one workspace, with or without a pack.
  (t) => [primaryKey({ columns: [t.platform, t.workspaceId, t.day, t.pack, t.userId] })],
);

/**
 * All-time points per user and pack for the days up to `quiz_meta.folded_through`; later days
 * are still only in `quiz_daily`. Folding happens off the answer path, so an answer writes one
 * aggregate row instead of two.
 */
export const quizTotals = sqliteTable(
  'quiz_totals',
  {
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    pack: text('pack').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    points: integer('points').notNull(),
    correct: integer('correct').notNull(),
    answered: integer('answered').notNull(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.workspaceId, t.pack, t.userId] })],
);

/** Interview and exercise attempts waiting for an answer or a self-rating. */
export const quizInterviews = sqliteTable(
  'quiz_interviews',
  {
    id: text('id').primaryKey(),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    channelId: text('channel_id').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    phase: text('phase').notNull(),
    startedAt: integer('started_at').notNull(),
    coverage: integer('coverage'),
  },
  (t) => [index('quiz_interviews_user').on(t.platform, t.workspaceId, t.userId, t.phase)],
);

/** Spaced-repetition cards: one per user and item. */
export const quizReviews = sqliteTable(
  'quiz_reviews',
  {
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    due: integer('due').notNull(),
    card: text('card').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.platform, t.workspaceId, t.userId, t.pack, t.itemId] }),
    index('quiz_reviews_due').on(t.platform, t.workspaceId, t.userId, t.due),
  ],
);

/**
 * Small named values of study mode's storage. `folded_through` is the last UTC day whose
 * `quiz_daily` rows are already added into `quiz_totals`.
 */
export const quizMeta = sqliteTable('quiz_meta', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
});

/**
 * Problems learners reported with an item (a wrong fact, a misleading choice): the team's review
 * queue. Open while `resolved_at` is null.
 */
export const quizFlags = sqliteTable(
  'quiz_flags',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    reason: text('reason').notNull(),
    createdAt: integer('created_at').notNull(),
    resolvedAt: integer('resolved_at'),
    resolvedBy: text('resolved_by'),
    resolutionNote: text('resolution_note'),
  },
  // Open flags are read per workspace (the queue) and per item (the note at a reveal).
  (t) => [index('quiz_flags_open').on(t.platform, t.workspaceId, t.resolvedAt, t.pack, t.itemId)],
);

/**
 * The last question shown in a channel (`user_id` empty: a team question everyone saw) or to one
 * user there (solo quiz, interview), so `/quiz flag <reason>` knows what it is about after a restart.
 */
export const quizLastShown = sqliteTable(
  'quiz_last_shown',
  {
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    shownAt: integer('shown_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.workspaceId, t.channelId, t.userId] })],
);
