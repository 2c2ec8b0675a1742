import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { DeployPatch, DeployRecord, DeployStore, NewDeployRecord, UndoToken } from '../../ports/deploy-store.ts';
import { toRecord } from '../deploy-store.ts';
import type { PgDb } from './client.ts';
import { deployRecords, undoTokens } from './schema.ts';

/** Deploy records and Undo tokens in PostgreSQL. */
export class PgDeployStore implements DeployStore {
  constructor(private readonly db: PgDb) {}

  /** Records a deploy before anything is registered. */
  async create(record: NewDeployRecord): Promise<number> {
    const [row] = await this.db.insert(deployRecords).values({ ...record, updatedAt: record.createdAt }).returning({ id: deployRecords.id });
    return row!.id;
  }

  /** Moves a record along. */
  async update(id: number, patch: DeployPatch, at: number): Promise<void> {
    await this.db.update(deployRecords).set({ ...patch, updatedAt: at }).where(eq(deployRecords.id, id));
  }

  /** Deploys a crash or kill interrupted. */
  async unfinished(): Promise<DeployRecord[]> {
    return (await this.db.select().from(deployRecords).where(inArray(deployRecords.status, ['registering', 'registered'])).orderBy(deployRecords.id)).map(toRecord);
  }

  /** The newest records of a service. */
  async forService(cluster: string, service: string, n: number): Promise<DeployRecord[]> {
    return (
      await this.db
        .select()
        .from(deployRecords)
        .where(and(eq(deployRecords.cluster, cluster), eq(deployRecords.service, service)))
        .orderBy(desc(deployRecords.id))
        .limit(n)
    ).map(toRecord);
  }

  /** Saves an Undo token. */
  async saveUndo(token: UndoToken): Promise<void> {
    await this.db.insert(undoTokens).values(token);
  }

  /** An Undo token by its value. */
  async getUndo(token: string): Promise<UndoToken | undefined> {
    const [r] = await this.db.select().from(undoTokens).where(eq(undoTokens.token, token));
    return r ? { ...r, kind: r.kind as UndoToken['kind'] } : undefined;
  }

  /** Marks a token used, once: of two presses on two replicas, one gets true. */
  async useUndo(token: string, at: number): Promise<boolean> {
    const r = await this.db.update(undoTokens).set({ usedAt: at }).where(and(eq(undoTokens.token, token), isNull(undoTokens.usedAt)));
    return r.rowCount === 1;
  }
}
