import type { AuditLog } from './audit-log.ts';
import type { Clock } from './clock.ts';

export type { AuditLog, AuditEntry, AuditOutcome } from './audit-log.ts';
export type { Clock } from './clock.ts';

/**
 * Everything commands may touch outside themselves. Optional ports are absent when
 * the feature is not wired (a command that needs one says so instead of crashing).
 */
export interface Ports {
  /** Time. */
  clock: Clock;
  /** The audit trail of command attempts. */
  audit: AuditLog;
}
