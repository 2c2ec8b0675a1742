import { and, desc, eq } from 'drizzle-orm';
import type { Platform } from '../../core/platform.ts';
import type { AuditEntry, AuditLog, AuditOutcome } from '../../ports/audit-log.ts';
import type { PgDb } from './client.ts';
import { auditLog } from './schema.ts';

type Row = typeof auditLog.$inferSelect;
const toEntry = (r: Row): AuditEntry => ({ ...r, platform: r.platform as Platform, outcome: r.outcome as AuditOutcome });

/** The audit log in PostgreSQL. */
export class PgAuditLog implements AuditLog {
  constructor(private readonly db: PgDb) {}

  /** Records an attempt before it runs; returns its id. */
  async begin(entry: Omit<AuditEntry, 'id' | 'outcome' | 'detail' | 'durationMs'>): Promise<number> {
    const [row] = await this.db.insert(auditLog).values({ ...entry, outcome: 'pending' }).returning({ id: auditLog.id });
    return row!.id;
  }

  /** Records how the attempt ended. */
  async finish(id: number, outcome: AuditOutcome, durationMs: number, detail: string | null = null): Promise<void> {
    await this.db.update(auditLog).set({ outcome, durationMs: Math.max(0, Math.round(durationMs)), detail }).where(eq(auditLog.id, id));
  }

  /** The latest `n` attempts, newest first. */
  async latest(n: number): Promise<AuditEntry[]> {
    return (await this.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(n)).map(toEntry);
  }

  /** Notes which service an attempt acts on. */
  async target(id: number, cluster: string, service: string): Promise<void> {
    await this.db.update(auditLog).set({ cluster, service }).where(eq(auditLog.id, id));
  }

  /** The latest `n` attempts on one service, newest first. */
  async forService(cluster: string, service: string, n: number): Promise<AuditEntry[]> {
    return (
      await this.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.cluster, cluster), eq(auditLog.service, service)))
        .orderBy(desc(auditLog.id))
        .limit(n)
    ).map(toEntry);
  }
}
