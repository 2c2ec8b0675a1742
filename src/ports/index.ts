import type { AuditLog } from './audit-log.ts';
import type { Clock } from './clock.ts';
import type { ContainerService } from './container-service.ts';
import type { ImageRegistry } from './image-registry.ts';
import type { LogSource } from './log-source.ts';
import type { Metrics } from './metrics.ts';
import type { QuizStore } from './quiz-store.ts';
import type { IncidentStore } from './incident-store.ts';
import type { Outbox } from './outbox.ts';
import type { DeployStore } from './deploy-store.ts';
import type { Jobs } from './coordination.ts';
import type { PackCatalog } from '../quiz/pack.ts';

export type { AuditLog, AuditEntry, AuditOutcome } from './audit-log.ts';
export type { Clock } from './clock.ts';
export type * from './container-service.ts';
export { CloudError, isCloudError, shortName } from './container-service.ts';
export type * from './image-registry.ts';
export type * from './log-source.ts';
export type * from './metrics.ts';
export type * from './quiz-store.ts';
export type * from './incident-store.ts';
export type * from './outbox.ts';
export type * from './write-set.ts';
export type * from './deploy-store.ts';
export type * from './coordination.ts';

/**
 * Everything commands may touch outside themselves. Optional ports are absent when
 * the feature is not wired (a command that needs one says so instead of crashing).
 */
export interface Ports {
  /** Time. */
  clock: Clock;
  /**
   * Time as AWS stamps it, when that differs from `clock`: the sandbox's clock, which runs
   * DOCKHAND_SANDBOX_SPEED times faster. Ages and log windows are measured on it.
   */
  awsClock?: Clock;
  /** The audit trail of command attempts. */
  audit: AuditLog;
  /** ECS: clusters, services, tasks (absent when AWS is not wired). */
  containers?: ContainerService;
  /** ECR: repositories and images. */
  images?: ImageRegistry;
  /** CloudWatch Logs: container log lines. */
  logs?: LogSource;
  /** CloudWatch metrics: service CPU and memory (absent when not wired). */
  metrics?: Metrics;
  /** Study mode: sessions, answers, scores, review cards. */
  quiz?: QuizStore;
  /** The question packs that loaded (and the errors of those left out). */
  packs?: PackCatalog;
  /** The crash watcher's incidents and mutes (absent when the watcher is not wired). */
  incidents?: IncidentStore;
  /** The alert outbox, for delivery counts in `/ecs alerts`. */
  alertOutbox?: Outbox;
  /** Deploy records and Undo tokens (absent when no database is wired). */
  deploys?: DeployStore;
  /** Follow-up jobs of every replica, so `/ecs unfollow` reaches a follow running on another one (absent: this process's only). */
  jobs?: Jobs;
}
