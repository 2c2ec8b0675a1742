import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

// PostgreSQL mirror of the SQLite schema (src/db/schema.ts and the *-schema.ts files it re-exports):
// the same tables, columns and indexes, so one set of store semantics serves both databases and
// test/unit/pg-schema.test.ts can check that nothing is missing on either side. Types follow what the
// values are: epoch milliseconds are bigint (they pass 2^31 in 1970), counts and ids integer, flags that
// SQLite keeps in boolean mode are boolean. Columns SQLite stores as JSON text (session state, replies,
// review cards, undo snapshots) stay text here: the stores read and write them whole and never query
// inside them, so jsonb would only reorder keys and add a second serialization path.

/** Epoch milliseconds, read back as a JS number (safe up to the year 285,616). */
const epochMs = (name: string) => bigint(name, { mode: 'number' });

/** Every command attempt: written before it runs, completed after. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    at: epochMs('at').notNull(),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    command: text('command').notNull(),
    outcome: text('outcome').notNull().default('pending'),
    detail: text('detail'),
    durationMs: integer('duration_ms'),
    cluster: text('cluster'),
    service: text('service'),
  },
  (t) => [index('audit_log_at').on(t.at), index('audit_log_service').on(t.cluster, t.service, t.id)],
);

/** Quiz sessions with their engine state, so a restart resumes them. */
export const quizSessions = pgTable(
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
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  // One running session per scope; finished ones stay for history.
  (t) => [uniqueIndex('quiz_sessions_active_scope').on(t.scope).where(sql`active = 1`)],
);

/** Every answer ever given: the source of scores, and the guard against double answers. */
export const quizAnswers = pgTable(
  'quiz_answers',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
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
    answeredAt: epochMs('answered_at').notNull(),
  },
  (t) => [
    uniqueIndex('quiz_answers_once').on(t.sessionId, t.itemId, t.userId),
    index('quiz_answers_user').on(t.platform, t.workspaceId, t.userId, t.answeredAt),
  ],
);

/** Points per user, pack and UTC day (`day` counts days since 1970-01-01). */
export const quizDaily = pgTable(
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
  (t) => [primaryKey({ columns: [t.platform, t.workspaceId, t.day, t.pack, t.userId] })],
);

/** All-time points per user and pack for the days up to `quiz_meta.folded_through`. */
export const quizTotals = pgTable(
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
export const quizInterviews = pgTable(
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
    startedAt: epochMs('started_at').notNull(),
    coverage: integer('coverage'),
  },
  (t) => [index('quiz_interviews_user').on(t.platform, t.workspaceId, t.userId, t.phase)],
);

/** Spaced-repetition cards: one per user and item. */
export const quizReviews = pgTable(
  'quiz_reviews',
  {
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    due: epochMs('due').notNull(),
    card: text('card').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.platform, t.workspaceId, t.userId, t.pack, t.itemId] }),
    index('quiz_reviews_due').on(t.platform, t.workspaceId, t.userId, t.due),
  ],
);

/** Small named values of study mode's storage (`folded_through`: the last UTC day folded into totals). */
export const quizMeta = pgTable('quiz_meta', {
  key: text('key').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
});

/** Problems learners reported with an item: the team's review queue, open while `resolved_at` is null. */
export const quizFlags = pgTable(
  'quiz_flags',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    reason: text('reason').notNull(),
    createdAt: epochMs('created_at').notNull(),
    resolvedAt: epochMs('resolved_at'),
    resolvedBy: text('resolved_by'),
    resolutionNote: text('resolution_note'),
  },
  (t) => [index('quiz_flags_open').on(t.platform, t.workspaceId, t.resolvedAt, t.pack, t.itemId)],
);

/** The last question shown in a channel (`user_id` empty: a team question) or to one user there. */
export const quizLastShown = pgTable(
  'quiz_last_shown',
  {
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    pack: text('pack').notNull(),
    itemId: text('item_id').notNull(),
    shownAt: epochMs('shown_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.workspaceId, t.channelId, t.userId] })],
);

/** Stopped tasks the watcher has decided about, so a restart neither repeats nor misses one. */
export const watcherHandledTasks = pgTable(
  'watcher_handled_tasks',
  {
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    cluster: text('cluster').notNull(),
    taskArn: text('task_arn').notNull(),
    handledAt: epochMs('handled_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.world, t.cluster, t.taskArn] }), index('watcher_handled_at').on(t.handledAt)],
);

/** Every crash, muted or not: the evidence behind incidents and `/ecs alerts`. */
export const watcherCrashes = pgTable(
  'watcher_crashes',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    cluster: text('cluster').notNull(),
    service: text('service').notNull(),
    taskArn: text('task_arn').notNull(),
    taskId: text('task_id').notNull(),
    kind: text('kind').notNull(),
    at: epochMs('at').notNull(),
    exitCode: integer('exit_code'),
    reason: text('reason').notNull(),
    incidentId: text('incident_id'),
  },
  (t) => [index('watcher_crashes_service').on(t.cluster, t.service, t.at), uniqueIndex('watcher_crashes_task').on(t.world, t.taskArn)],
);

/** Crash loops: one row per incident, open until the service recovers. */
export const watcherIncidents = pgTable(
  'watcher_incidents',
  {
    id: text('id').primaryKey(),
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    cluster: text('cluster').notNull(),
    service: text('service').notNull(),
    openedAt: epochMs('opened_at').notNull(),
    firstCrashAt: epochMs('first_crash_at').notNull(),
    lastCrashAt: epochMs('last_crash_at').notNull(),
    crashes: integer('crashes').notNull(),
    lastReason: text('last_reason').notNull(),
    lastExitCode: integer('last_exit_code'),
    status: text('status').notNull(),
    recoveredAt: epochMs('recovered_at'),
  },
  (t) => [index('watcher_incidents_service').on(t.cluster, t.service, t.status)],
);

/** Services whose alerts are held back until a time. */
export const watcherMutes = pgTable(
  'watcher_mutes',
  {
    cluster: text('cluster').notNull(),
    service: text('service').notNull(),
    until: epochMs('until').notNull(),
    by: text('by').notNull(),
    at: epochMs('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.service] })],
);

/** Conditions tracked across polls: below desired count since, failed deployments alerted. */
export const watcherConditions = pgTable('watcher_conditions', {
  key: text('key').primaryKey(),
  // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
  world: text('world').notNull().default(''),
  cluster: text('cluster').notNull(),
  service: text('service').notNull(),
  since: epochMs('since').notNull(),
  alertedAt: epochMs('alerted_at'),
  detail: text('detail').notNull(),
});

/** Alert messages per channel: written before sending, delivered in id order per channel. */
export const outbox = pgTable(
  'outbox',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    alertKey: text('alert_key').notNull(),
    platform: text('platform').notNull(),
    channelId: text('channel_id').notNull(),
    reply: text('reply').notNull(),
    threadKey: text('thread_key'),
    threadParent: integer('thread_parent').notNull().default(0),
    updateOf: text('update_of'),
    service: text('service'),
    mention: text('mention'),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAt: epochMs('next_at').notNull(),
    createdAt: epochMs('created_at').notNull(),
    sentAt: epochMs('sent_at'),
    messageRef: text('message_ref'),
    lastError: text('last_error'),
    foldedInto: integer('folded_into'),
    firstFailedAt: epochMs('first_failed_at'),
    failedAt: epochMs('failed_at'),
  },
  (t) => [
    uniqueIndex('outbox_once').on(t.world, t.alertKey, t.platform, t.channelId),
    index('outbox_lane').on(t.platform, t.channelId, t.status, t.id),
    index('outbox_thread').on(t.threadKey),
  ],
);

/** Every deploy, rollback and undo of a task definition, written before anything is registered. */
export const deployRecords = pgTable(
  'deploy_records',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    kind: text('kind').notNull(),
    cluster: text('cluster').notNull(),
    region: text('region').notNull(),
    service: text('service').notNull(),
    container: text('container'),
    fromTaskDefinition: text('from_task_definition').notNull(),
    toTaskDefinition: text('to_task_definition'),
    registered: boolean('registered').notNull().default(false),
    fromImage: text('from_image'),
    toImage: text('to_image'),
    digest: text('digest'),
    forced: boolean('forced').notNull().default(false),
    status: text('status').notNull(),
    detail: text('detail'),
    platform: text('platform').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [index('deploy_records_service').on(t.cluster, t.service, t.id), index('deploy_records_status').on(t.status)],
);

/** What an Undo button restores, valid for an hour; used once. */
export const undoTokens = pgTable('undo_tokens', {
  token: text('token').primaryKey(),
  kind: text('kind').notNull(),
  cluster: text('cluster').notNull(),
  region: text('region').notNull(),
  service: text('service').notNull(),
  before: text('before').notNull(),
  after: text('after').notNull(),
  summary: text('summary').notNull(),
  createdAt: epochMs('created_at').notNull(),
  expiresAt: epochMs('expires_at').notNull(),
  usedAt: epochMs('used_at'),
});

/** Inbound ids (Discord interactions, Slack envelopes, events and actions) claimed by the replica that serves them. */
export const claims = pgTable(
  'claims',
  {
    key: text('key').primaryKey(),
    claimedAt: epochMs('claimed_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [index('claims_expires').on(t.expiresAt)],
);

/** Confirmations waiting for a press (two-person approvals among them), and recently answered or expired ones. */
export const confirmations = pgTable(
  'confirmations',
  {
    token: text('token').primaryKey(),
    caller: text('caller').notNull(),
    text: text('text').notNull(),
    question: text('question').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
    auditId: integer('audit_id').notNull(),
    startedAt: epochMs('started_at').notNull(),
    approvalCluster: text('approval_cluster'),
    state: text('state').notNull().default('pending'),
  },
  (t) => [index('confirmations_state').on(t.state, t.expiresAt)],
);

/** Follow-ups that outlive their command's answer, each held by one replica under a lease. */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    args: text('args').notNull(),
    handle: text('handle').notNull(),
    channelKey: text('channel_key').notNull(),
    service: text('service'),
    owner: text('owner').notNull(),
    leaseUntil: epochMs('lease_until').notNull(),
    createdAt: epochMs('created_at').notNull(),
    state: text('state').notNull().default('running'),
    stopRequested: boolean('stop_requested').notNull().default(false),
  },
  (t) => [index('jobs_state_lease').on(t.state, t.leaseUntil), index('jobs_channel').on(t.channelKey, t.state)],
);

/** Slack thread parents by channel and key, so a reply on any replica lands in the right thread. */
export const slackThreads = pgTable(
  'slack_threads',
  {
    channelId: text('channel_id').notNull(),
    key: text('key').notNull(),
    ts: text('ts').notNull(),
    at: epochMs('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.key] }), index('slack_threads_at').on(t.at)],
);
