/**
 * What dockhand remembers about the changes it makes to services: deploy records (written before
 * anything is registered, so an interrupted deploy is found at the next start) and Undo tokens.
 * Promises throughout, so SQLite and PostgreSQL can implement the same interface.
 */
import type { Platform } from '../core/platform.ts';

/** Where a deploy stands: registering → registered → updated, or failed / abandoned. */
export type DeployStatus = 'registering' | 'registered' | 'updated' | 'failed' | 'abandoned';

/** One deploy, rollback or undo of a service's task definition. */
export interface DeployRecord {
  /** Row id. */
  id: number;
  /** What made it. */
  kind: 'deploy' | 'rollback' | 'undo';
  /** The cluster name. */
  cluster: string;
  /** The cluster's region. */
  region: string;
  /** The service name. */
  service: string;
  /** The container whose image changed (deploys). */
  container: string | null;
  /** The task definition the service ran before. */
  fromTaskDefinition: string;
  /** The task definition it moves to (known once registered, or at once for rollbacks). */
  toTaskDefinition: string | null;
  /** True when dockhand registered `toTaskDefinition` itself (so it is dockhand's to deregister). */
  registered: boolean;
  /** The image before. */
  fromImage: string | null;
  /** The image after, as the user gave it. */
  toImage: string | null;
  /** The digest the new image resolved to. */
  digest: string | null;
  /** True when an admin deployed past the scan gate with --force. */
  forced: boolean;
  /** Where it stands. */
  status: DeployStatus;
  /** Why it failed or was abandoned. */
  detail: string | null;
  /** Who asked, where. */
  platform: Platform;
  /** The user id. */
  userId: string;
  /** The user's display name. */
  userName: string;
  /** When it was recorded, ms. */
  createdAt: number;
  /** When it last changed, ms. */
  updatedAt: number;
}

/** A new record: everything but the id; `status` starts as `registering`. */
export type NewDeployRecord = Omit<DeployRecord, 'id' | 'updatedAt'>;

/** The fields a record may change as the deploy proceeds. */
export type DeployPatch = Partial<Pick<DeployRecord, 'toTaskDefinition' | 'registered' | 'status' | 'detail'>>;

/** What an Undo button restores, and what the service must still be for it to apply. */
export interface UndoToken {
  /** The token the button carries. */
  token: string;
  /** A desired count (`scale`) or a task definition (`task-definition`). */
  kind: 'scale' | 'task-definition';
  /** The cluster name. */
  cluster: string;
  /** The cluster's region. */
  region: string;
  /** The service name. */
  service: string;
  /** The value to restore (a count or a task definition ARN). */
  before: string;
  /** The value the change set; Undo applies only while the service still has it. */
  after: string;
  /** What the change was, for the confirmation ("deploy web 1.4.0 → 1.4.1"). */
  summary: string;
  /** When it was made, ms. */
  createdAt: number;
  /** When it stops working, ms. */
  expiresAt: number;
  /** When it was used, ms; null until then. */
  usedAt: number | null;
}

/** Deploy records and Undo tokens, kept in the database so they survive a restart. */
export interface DeployStore {
  /** Records a deploy before anything is registered; returns its id. */
  create(record: NewDeployRecord): Promise<number>;
  /** Moves a record along. */
  update(id: number, patch: DeployPatch, at: number): Promise<void>;
  /** Records still `registering` or `registered`: deploys a crash or kill interrupted. */
  unfinished(): Promise<DeployRecord[]>;
  /** The newest records of a service, newest first. */
  forService(cluster: string, service: string, n: number): Promise<DeployRecord[]>;
  /** Saves an Undo token. */
  saveUndo(token: UndoToken): Promise<void>;
  /** An Undo token by its value. */
  getUndo(token: string): Promise<UndoToken | undefined>;
  /** Marks a token used; false when it was already used (two presses race). */
  useUndo(token: string, at: number): Promise<boolean>;
}
