import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Inbound ids (Discord interactions, Slack envelopes, events and actions) claimed by the replica that serves them. */
export const claims = sqliteTable(
  'claims',
  {
    key: text('key').primaryKey(),
    claimedAt: integer('claimed_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('claims_expires').on(t.expiresAt)],
);

/** Confirmations waiting for a press (two-person approvals among them), and recently answered or expired ones. */
export const confirmations = sqliteTable(
  'confirmations',
  {
    token: text('token').primaryKey(),
    caller: text('caller').notNull(),
    text: text('text').notNull(),
    question: text('question').notNull(),
    expiresAt: integer('expires_at').notNull(),
    auditId: integer('audit_id').notNull(),
    startedAt: integer('started_at').notNull(),
    approvalCluster: text('approval_cluster'),
    state: text('state').notNull().default('pending'),
  },
  (t) => [index('confirmations_state').on(t.state, t.expiresAt)],
);

/** Follow-ups that outlive their command's answer, each held by one replica under a lease. */
export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    args: text('args').notNull(),
    handle: text('handle').notNull(),
    channelKey: text('channel_key').notNull(),
    service: text('service'),
    owner: text('owner').notNull(),
    leaseUntil: integer('lease_until').notNull(),
    createdAt: integer('created_at').notNull(),
    state: text('state').notNull().default('running'),
    stopRequested: integer('stop_requested', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('jobs_state_lease').on(t.state, t.leaseUntil), index('jobs_channel').on(t.channelKey, t.state)],
);

/** Slack thread parents by channel and key, so a reply on any replica lands in the right thread. */
export const slackThreads = sqliteTable(
  'slack_threads',
  {
    channelId: text('channel_id').notNull(),
    key: text('key').notNull(),
    ts: text('ts').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.key] }), index('slack_threads_at').on(t.at)],
);
