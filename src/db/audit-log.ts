import { and, desc, eq } from 'drizzle-orm';
import type { AuditEntry, AuditLog, AuditOutcome } from '../ports/audit-log.ts';
import type { Platform } from '../core/platform.ts';
import type { Db } from './client.ts';
import { auditLog } from './schema.ts';

/** The audit log in SQLite: each call is one synchronous statement behind the asynchronous port. */
export class SqliteAuditLog implements AuditLog {
  constructor(private readonly db: Db) {}

  /** Records an attempt before it runs; returns its id. */
  async begin(entry: Omit<AuditEntry, 'id' | 'outcome' | 'detail' | 'durationMs'>): Promise<number> {
    const row = this.db.insert(auditLog).values({ ...entry, outcome: 'pending' }).returning({ id: auditLog.id }).get();
    return row.id;
  }

  /** Records how the attempt ended. */
  async finish(id: number, outcome: AuditOutcome, durationMs: number, detail: string | null = null): Promise<void> {
    this.db.update(auditLog).set({ outcome, durationMs: Math.max(0, Math.round(durationMs)), detail }).where(eq(auditLog.id, id)).run();
  }

  /** The latest `n` attempts, newest first. */
  async latest(n: number): Promise<AuditEntry[]> {
    return this.db
      .select()
      .from(auditLog)
      .orderBy(desc(auditLog.id))
      .limit(n)
      .all()
      .map((r) => ({ ...r, platform: r.platform as Platform, outcome: r.outcome as AuditOutcome }));
  }

  /** Notes which service an attempt acts on. */
  async target(id: number, cluster: string, service: string): Promise<void> {
    this.db.update(auditLog).set({ cluster, service }).where(eq(auditLog.id, id)).run();
  }

  /** The latest `n` attempts on one service, newest first. */
  async forService(cluster: string, service: string, n: number): Promise<AuditEntry[]> {
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
