/**
 * What the crash watcher remembers: the stopped tasks it has handled, every crash, the
 * incidents crash loops open, mutes, and open conditions (a service below its desired count,
 * a failed deployment). Asynchronous, so SQLite and PostgreSQL serve the same interface; the
 * watcher's writes (a crash, its incident and its outbox messages together) go through one
 * `apply()` call with a write set (see write-set.ts), since a transaction cannot await.
 */
import type { WriteSetStore } from './write-set.ts';

/** One crash as recorded (muted ones too). */
export interface CrashRecord {
  /** Row id. */
  id: number;
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** The task ARN. */
  taskArn: string;
  /** The short task id. */
  taskId: string;
  /** The verdict kind (crash, oom, failed-to-start, health-check). */
  kind: string;
  /** When it stopped. */
  at: number;
  /** The exit code that tells most. */
  exitCode?: number;
  /** The one-line reason. */
  reason: string;
  /** The incident it belongs to. */
  incidentId?: string;
}

/** A crash loop of one service. */
export interface Incident {
  /** A stable id; also the thread key of its messages. */
  id: string;
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** When it opened. */
  openedAt: number;
  /** The first crash it counts. */
  firstCrashAt: number;
  /** The latest crash. */
  lastCrashAt: number;
  /** Crashes it counts. */
  crashes: number;
  /** The latest crash's reason. */
  lastReason: string;
  /** The latest crash's exit code. */
  lastExitCode?: number;
  /** Open until the service recovers. */
  status: 'open' | 'recovered';
  /** When it recovered. */
  recoveredAt?: number;
}

/** A service whose alerts are not posted until `until` (they are still recorded). */
export interface Mute {
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** When it ends. */
  until: number;
  /** Who muted, `platform:user`. */
  by: string;
  /** When it was set. */
  at: number;
}

/** A condition the watcher tracks across polls, keyed like `under:<cluster>/<service>`. */
export interface WatchCondition {
  /** The key. */
  key: string;
  /** The cluster name. */
  cluster: string;
  /** The service name. */
  service: string;
  /** When it was first seen. */
  since: number;
  /** When it was alerted, once it was. */
  alertedAt?: number;
  /** What it is about (a deployment id, counts). */
  detail: string;
}

/** The watcher's memory. Its own writes (handled tasks, crashes, incidents, conditions) go through `apply()`. */
export interface IncidentStore extends WriteSetStore {
  /** Which of these task ARNs were handled already. */
  handledAmong(cluster: string, taskArns: readonly string[]): Promise<Set<string>>;
  /**
   * The sandbox world this store serves ('' for AWS itself): its reads see only that world's rows,
   * so crash history from one sandbox run never leaks into the next.
   */
  readonly world: string;
  /** Deletes the watcher's rows (handled tasks, crashes, incidents, conditions, outbox) of every other world; returns how many. */
  pruneOtherWorlds(): Promise<number>;
  /** Forgets handled tasks older than `before` (ECS stops listing them after about an hour). */
  pruneHandled(before: number): Promise<number>;
  /** Forgets crashes that stopped before `before`; returns how many. */
  pruneCrashes(before: number): Promise<number>;
  /** Crashes of a service at or after `since`, oldest first. */
  crashesSince(cluster: string, service: string, since: number): Promise<CrashRecord[]>;
  /** The open incident of a service, if any. */
  openIncident(cluster: string, service: string): Promise<Incident | null>;
  /** Every open incident, oldest first. */
  openIncidents(): Promise<Incident[]>;
  /** Incidents that recovered at or after `since`, newest first. */
  recoveredSince(since: number): Promise<Incident[]>;
  /** Mutes a service (replacing an earlier mute). */
  mute(mute: Mute): Promise<void>;
  /** Ends a mute; false when there was none. */
  unmute(cluster: string, service: string): Promise<boolean>;
  /** The mute in force for a service at `now`, if any. */
  activeMute(cluster: string, service: string, now: number): Promise<Mute | null>;
  /** Every mute in force at `now`. */
  activeMutes(now: number): Promise<Mute[]>;
  /** A tracked condition. */
  condition(key: string): Promise<WatchCondition | null>;
  /** Conditions whose key starts with `prefix`. */
  conditions(prefix: string): Promise<WatchCondition[]>;
}
