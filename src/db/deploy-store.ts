import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Platform } from '../core/platform.ts';
import type { DeployPatch, DeployRecord, DeployStatus, DeployStore, NewDeployRecord, UndoToken } from '../ports/deploy-store.ts';
import type { Db } from './client.ts';
import { deployRecords, undoTokens } from './schema.ts';

type Row = typeof deployRecords.$inferSelect;

/** A stored deploy row as the port's DeployRecord (PostgreSQL's rows have the same shape). */
export function toRecord(r: Row): DeployRecord {
  return { ...r, kind: r.kind as DeployRecord['kind'], status: r.status as DeployStatus, platform: r.platform as Platform };
}

/** Deploy records and Undo tokens in SQLite. */
export class SqliteDeployStore implements DeployStore {
  constructor(private readonly db: Db) {}

  /** Records a deploy before anything is registered. */
  async create(record: NewDeployRecord): Promise<number> {
    return this.db.insert(deployRecords).values({ ...record, updatedAt: record.createdAt }).returning({ id: deployRecords.id }).get().id;
  }

  /** Moves a record along. */
  async update(id: number, patch: DeployPatch, at: number): Promise<void> {
    this.db.update(deployRecords).set({ ...patch, updatedAt: at }).where(eq(deployRecords.id, id)).run();
  }

  /** Deploys a crash or kill interrupted. */
  async unfinished(): Promise<DeployRecord[]> {
    return this.db.select().from(deployRecords).where(inArray(deployRecords.status, ['registering', 'registered'])).all().map(toRecord);
  }

  /** The newest records of a service. */
  async forService(cluster: string, service: string, n: number): Promise<DeployRecord[]> {
    return this.db
      .select()
      .from(deployRecords)
      .where(and(eq(deployRecords.cluster, cluster), eq(deployRecords.service, service)))
      .orderBy(desc(deployRecords.id))
      .limit(n)
      .all()
      .map(toRecord);
  }

  /** Saves an Undo token. */
  async saveUndo(token: UndoToken): Promise<void> {
    this.db.insert(undoTokens).values(token).run();
  }

  /** An Undo token by its value. */
  async getUndo(token: string): Promise<UndoToken | undefined> {
    const r = this.db.select().from(undoTokens).where(eq(undoTokens.token, token)).get();
    return r ? { ...r, kind: r.kind as UndoToken['kind'] } : undefined;
  }

  /** Marks a token used, once. */
  async useUndo(token: string, at: number): Promise<boolean> {
    const r = this.db.update(undoTokens).set({ usedAt: at }).where(and(eq(undoTokens.token, token), isNull(undoTokens.usedAt))).run();
    return r.changes === 1;
  }
}
