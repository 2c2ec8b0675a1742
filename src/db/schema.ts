import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Every command attempt: written before it runs, completed after. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    platform: text('platform').notNull(),
    workspaceId: text('workspace_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    command: text('command').notNull(),
    outcome: text('outcome').notNull().default('pending'),
    detail: text('detail'),
    durationMs: integer('duration_ms'),
    // Which service a changing command acted on, so /ecs history reads columns instead of command text.
    cluster: text('cluster'),
    service: text('service'),
  },
  (t) => [index('audit_log_at').on(t.at), index('audit_log_service').on(t.cluster, t.service, t.id)],
);
export * from './quiz-schema.ts';
export * from './watcher-schema.ts';
export * from './deploy-schema.ts';
export * from './coordination-schema.ts';
