import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Every deploy, rollback and undo of a task definition, written before anything is registered so a
 * deploy interrupted between RegisterTaskDefinition and UpdateService is found at the next start.
 */
export const deployRecords = sqliteTable(
  'deploy_records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    cluster: text('cluster').notNull(),
    region: text('region').notNull(),
    service: text('service').notNull(),
    container: text('container'),
    fromTaskDefinition: text('from_task_definition').notNull(),
    toTaskDefinition: text('to_task_definition'),
    registered: integer('registered', { mode: 'boolean' }).notNull().default(false),
    fromImage: text('from_image'),
    toImage: text('to_image'),
    digest: text('digest'),
    forced: integer('forced', { mode: 'boolean' }).notNull().default(false),
    status: text('status').notNull(),
    detail: text('detail'),
    platform: text('platform').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('deploy_records_service').on(t.cluster, t.service, t.id), index('deploy_records_status').on(t.status)],
);

/** What an Undo button restores, valid for an hour; used once. */
export const undoTokens = sqliteTable('undo_tokens', {
  token: text('token').primaryKey(),
  kind: text('kind').notNull(),
  cluster: text('cluster').notNull(),
  region: text('region').notNull(),
  service: text('service').notNull(),
  before: text('before').notNull(),
  after: text('after').notNull(),
  summary: text('summary').notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});
