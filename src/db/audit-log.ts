import { and, desc, eq } from 'drizzle-orm';
import type { AuditEntry, AuditLog, AuditOutcome } from '../ports/audit-log.ts';
import type { Platform } from '../core/platform.ts';
import type { Db } from './client.ts';
import { auditLog } from './schema.ts';

/** The audit log in SQLite. */
export class SqliteAuditLog implements AuditLog {
  constructor(private readonly db: Db) {}

  /** Records an attempt before it runs; returns its id. */
  begin(entry: Omit<AuditEntry, 'id' | 'outcome' | 'detail' | 'durationMs'>): number {
    const row = this.db.insert(auditLog).values({ ...entry, outcome: 'pending' }).returning({ id: auditLog.id }).get();
    return row.id;
  }

  /** Records how the attempt ended. */
  finish(id: number, outcome: AuditOutcome, durationMs: number, detail: string | null = null): void {
    this.db.update(auditLog).set({ outcome, durationMs: Math.max(0, Math.round(durationMs)), detail }).where(eq(auditLog.id, id)).run();
  }

  /** The latest `n` attempts, newest first. */
  latest(n: number): AuditEntry[] {
    return this.db
      .select()
      .from(auditLog)
      .orderBy(desc(auditLog.id))
      .limit(n)
      .all()
      .map((r) => ({ ...r, platform: r.platform as Platform, outcome: r.outcome as AuditOutcome }));
  }

  /** Notes which service an attempt acts on. */
  target(id: number, cluster: string, service: string): void {
    this.db.update(auditLog).set({ cluster, service }).where(eq(auditLog.id, id)).run();
  }

  /** The latest `n` attempts on one service, newest first. */
  forService(cluster: string, service: string, n: number): AuditEntry[] {
    return this.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.cluster, cluster), eq(auditLog.service, service)))
      .orderBy(desc(auditLog.id))
      .limit(n)
      .all()
      .map((r) => ({ ...r, platform: r.platform as Platform, outcome: r.outcome as AuditOutcome }));
  }
}
