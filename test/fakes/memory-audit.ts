import type { AuditEntry, AuditLog, AuditOutcome } from '../../src/ports/audit-log.ts';

/** An audit log kept in memory, for tests that look at what was audited without a database. */
export class MemoryAudit implements AuditLog {
  /** Every attempt, oldest first. */
  readonly entries: AuditEntry[] = [];

  /** Records an attempt as pending. */
  async begin(e: Omit<AuditEntry, 'id' | 'outcome' | 'detail' | 'durationMs'>): Promise<number> {
    const id = this.entries.length + 1;
    this.entries.push({ ...e, id, outcome: 'pending', detail: null, durationMs: null });
    return id;
  }

  /** Records how an attempt ended. */
  async finish(id: number, outcome: AuditOutcome, durationMs: number, detail?: string | null): Promise<void> {
    const e = this.entries[id - 1];
    if (e) Object.assign(e, { outcome, durationMs, detail: detail ?? null });
  }

  /** The latest n attempts, newest first. */
  async latest(n: number): Promise<AuditEntry[]> {
    return [...this.entries].reverse().slice(0, n);
  }

  /** Notes the service an attempt acts on. */
  async target(id: number, cluster: string, service: string): Promise<void> {
    const e = this.entries[id - 1];
    if (e) Object.assign(e, { cluster, service });
  }

  /** The latest n attempts on one service, newest first. */
  async forService(cluster: string, service: string, n: number): Promise<AuditEntry[]> {
    return [...this.entries].reverse().filter((e) => e.cluster === cluster && e.service === service).slice(0, n);
  }
}
