import type { AuditLog } from './audit-log.ts';
import type { Coordination } from './coordination.ts';
import type { DeployStore } from './deploy-store.ts';
import type { IncidentStore } from './incident-store.ts';
import type { Outbox } from './outbox.ts';
import type { QuizStore } from './quiz-store.ts';

/** Which database holds the stores. */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * Every store dockhand keeps state in, opened on one database (SQLite or PostgreSQL) and migrated,
 * with what main.ts needs around them: a name for the banner, a readiness probe and closing.
 */
export interface Stores {
  /** The database kind. */
  readonly dialect: StoreDialect;
  /** The audit log. */
  readonly audit: AuditLog;
  /** Study mode's storage. */
  readonly quiz: QuizStore;
  /** The crash watcher's memory (and its write sets). */
  readonly incidents: IncidentStore;
  /** The alert outbox. */
  readonly outbox: Outbox;
  /** Deploy records and Undo tokens. */
  readonly deploys: DeployStore;
  /** What replicas coordinate through: claims, confirmations, jobs, Slack thread parents, leadership. */
  readonly coordination: Coordination;
  /** The database for people: `SQLite ./data/dockhand.db` or `PostgreSQL dockhand on db.internal:5432` (never a password). */
  describe(): string;
  /** True when the database answers a query now. */
  ping(): Promise<boolean>;
  /** Closes the database. */
  close(): Promise<void>;
}
