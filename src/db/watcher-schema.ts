import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Stopped tasks the watcher has decided about, so a restart neither repeats nor misses one. */
export const watcherHandledTasks = sqliteTable(
  'watcher_handled_tasks',
  {
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    cluster: text('cluster').notNull(),
    taskArn: text('task_arn').notNull(),
    handledAt: integer('handled_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.world, t.cluster, t.taskArn] }), index('watcher_handled_at').on(t.handledAt)],
);

/** Every crash, muted or not: the evidence behind incidents and `/ecs alerts`. */
export const watcherCrashes = sqliteTable(
  'watcher_crashes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    cluster: text('cluster').notNull(),
    service: text('service').notNull(),
    taskArn: text('task_arn').notNull(),
    taskId: text('task_id').notNull(),
    kind: text('kind').notNull(),
    at: integer('at').notNull(),
    exitCode: integer('exit_code'),
    reason: text('reason').notNull(),
    incidentId: text('incident_id'),
  },
  (t) => [index('watcher_crashes_service').on(t.cluster, t.service, t.at), uniqueIndex('watcher_crashes_task').on(t.world, t.taskArn)],
);

/** Crash loops: one row per incident, open until the service recovers. */
export const watcherIncidents = sqliteTable(
  'watcher_incidents',
  {
    id: text('id').primaryKey(),
    // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
    world: text('world').notNull().default(''),
    cluster: text('cluster').notNull(),
    service: text('service').notNull(),
    openedAt: integer('opened_at').notNull(),
    firstCrashAt: integer('first_crash_at').notNull(),
    lastCrashAt: integer('last_crash_at').notNull(),
    crashes: integer('crashes').notNull(),
    lastReason: text('last_reason').notNull(),
    lastExitCode: integer('last_exit_code'),
    status: text('status').notNull(),
    recoveredAt: integer('recovered_at'),
  },
  (t) => [index('watcher_incidents_service').on(t.cluster, t.service, t.status)],
);

/** Services whose alerts are held back until a time. */
export const watcherMutes = sqliteTable(
  'watcher_mutes',
  {
    cluster: text('cluster').notNull(),
    service: text('service').notNull(),
    until: integer('until').notNull(),
    by: text('by').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.service] })],
);

/** Conditions tracked across polls: below desired count since, failed deployments alerted. */
export const watcherConditions = sqliteTable('watcher_conditions', {
  key: text('key').primaryKey(),
  // The sandbox world the row came from ('' for AWS itself): rows of another world are ignored and pruned.
  world: text('world').notNull().default(''),
  cluster: text('cluster').notNull(),
  service: text('service').notNull(),
  since: integer('since').notNull(),
  alertedAt: integer('alerted_at'),
  detail: text('detail').notNull(),
});

/** Alert messages per channel: written before sending, delivered in id order per channel. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
    nextAt: integer('next_at').notNull(),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
    messageRef: text('message_ref'),
    lastError: text('last_error'),
    foldedInto: integer('folded_into'),
    firstFailedAt: integer('first_failed_at'),
    failedAt: integer('failed_at'),
  },
  (t) => [
    uniqueIndex('outbox_once').on(t.world, t.alertKey, t.platform, t.channelId),
    index('outbox_lane').on(t.platform, t.channelId, t.status, t.id),
    // threadRef() looks messages up by thread key on every threaded send.
    index('outbox_thread').on(t.threadKey),
  ],
);
