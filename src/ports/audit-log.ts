import type { Platform } from '../core/platform.ts';

/** How a command attempt ended. */
export type AuditOutcome = 'pending' | 'ok' | 'denied' | 'invalid' | 'error' | 'cancelled' | 'expired' | 'confirming';

/** One command attempt as the audit log keeps it. */
export interface AuditEntry {
  /** Row id. */
  id: number;
  /** When it started, ms since the epoch. */
  at: number;
  /** Where it came from. */
  platform: Platform;
  /** Slack team, Discord guild or `local`. */
  workspaceId: string;
  /** Channel id. */
  channelId: string;
  /** User id. */
  userId: string;
  /** The user's display name. */
  userName: string;
  /** The command as typed. */
  command: string;
  /** How it ended (pending until it does). */
  outcome: AuditOutcome;
  /** A short note: the error id, the reason for denial. */
  detail: string | null;
  /** How long it took, ms (null while pending). */
  durationMs: number | null;
  /** The cluster a changing command acted on, when it names a service. */
  cluster?: string | null;
  /** The service a changing command acted on. */
  service?: string | null;
}

/**
 * Where every command attempt is written before it runs and completed after. Every method is one
 * write or one read (one transaction), so SQLite and PostgreSQL implement it alike.
 */
export interface AuditLog {
  /** Records an attempt before it runs; resolves to its id. */
  begin(entry: Omit<AuditEntry, 'id' | 'outcome' | 'detail' | 'durationMs'>): Promise<number>;
  /** Records how the attempt ended. */
  finish(id: number, outcome: AuditOutcome, durationMs: number, detail?: string | null): Promise<void>;
  /** The latest `n` attempts, newest first. */
  latest(n: number): Promise<AuditEntry[]>;
  /** Notes which service an attempt acts on, once its arguments are parsed (absent in logs that keep no columns for it). */
  target?(id: number, cluster: string, service: string): Promise<void>;
  /** The latest `n` attempts on one service, newest first (absent where `target` is). */
  forService?(cluster: string, service: string, n: number): Promise<AuditEntry[]>;
}
