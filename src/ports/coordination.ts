/**
 * What several replicas share so that any of them can serve any request exactly once: claims on
 * inbound ids, pending confirmations, jobs with leases, the Slack thread map, and leadership.
 * Promises throughout, so SQLite (one process) and PostgreSQL (several replicas) implement the same interface.
 */
import type { Platform } from '../core/platform.ts';

/**
 * First-come claims on ids the platforms may deliver to more than one replica (every Discord
 * gateway session gets every interaction; Socket Mode spreads envelopes and Slack retries them).
 */
export interface Claims {
  /** Claims `key` until `at + ttlMs`; true only for the first claimer while the claim lasts. */
  claim(key: string, at: number, ttlMs: number): Promise<boolean>;
  /** Forgets claims that ended before `at`; resolves with how many went. */
  prune(at: number): Promise<number>;
}

/** Who asked for a confirmation, as stored (the dispatcher's Caller, without importing core). */
export interface StoredCaller {
  /** The platform the command came from. */
  platform: Platform;
  /** Slack team, Discord guild, or `local`. */
  workspaceId: string;
  /** The channel it was run in. */
  channelId: string;
  /** The platform's user id. */
  userId: string;
  /** The name shown for the user. */
  displayName: string;
  /** Roles the platform granted (user groups, guild roles), already mapped by config. */
  platformRoles?: string[];
}

/** Where a confirmation stands: waiting, answered by one press (confirm or cancel), or expired. */
export type ConfirmationState = 'pending' | 'answered' | 'expired';

/** A changing command waiting for Confirm, kept where every replica can find it. */
export interface StoredConfirmation {
  /** The token the Confirm and Cancel buttons carry. */
  token: string;
  /** Who ran the command. */
  caller: StoredCaller;
  /** The command line, parsed again by the replica that runs it. */
  text: string;
  /** What was asked. */
  question: string;
  /** When asking stops, ms. */
  expiresAt: number;
  /** The audit row the answer completes. */
  auditId: number;
  /** When the command arrived, ms. */
  startedAt: number;
  /** The cluster that needs a second person's Confirm, or null. */
  approvalCluster: string | null;
  /** Where it stands. */
  state: ConfirmationState;
}

/** Pending and recently expired confirmations (two-person approval requests among them). */
export interface Confirmations {
  /** Stores a new pending confirmation. */
  save(c: Omit<StoredConfirmation, 'state'>): Promise<void>;
  /** A confirmation by token, in whatever state. */
  get(token: string): Promise<StoredConfirmation | undefined>;
  /**
   * Moves a pending, unexpired confirmation to answered: true for exactly one press across every
   * replica, false when it was already answered, expired, or is unknown.
   */
  take(token: string, at: number): Promise<boolean>;
  /** Marks pending confirmations whose time ended by `at` as expired and resolves with them (each once, across replicas). */
  expireDue(at: number): Promise<StoredConfirmation[]>;
  /** Marks every pending confirmation expired (the one process serving them is stopping) and resolves with them. */
  expireAll(at: number): Promise<StoredConfirmation[]>;
  /** Forgets answered and expired confirmations that ended before `before`. */
  prune(before: number): Promise<number>;
}

/** Where a job posts its messages: the conversation of the command that started it. */
export type ConversationHandle =
  | { platform: 'slack'; channelId: string; responseUrl?: string; threadTs?: string; userId?: string }
  | { platform: 'discord'; channelId: string; applicationId?: string; interactionToken?: string; tokenExpiresAt?: number; threadId?: string; userId?: string }
  | { platform: 'console'; channelId: string };

/** Where a job stands. */
export type JobState = 'running' | 'done' | 'stopped';

/** A follow-up that outlives its command's answer: followed to steady, a `--follow` log tail. */
export interface JobRecord {
  /** The job's id. */
  id: string;
  /** What it does (`follow`, `logs-follow`, …), so another replica knows how to continue it. */
  kind: string;
  /** Its arguments, as the kind reads them. */
  args: Record<string, unknown>;
  /** Where its messages go. */
  handle: ConversationHandle;
  /** `platform:workspace:channel`, for `/ecs unfollow` in a channel. */
  channelKey: string;
  /** The service it is about, when there is one. */
  service: string | null;
  /** The replica running it. */
  owner: string;
  /** Until when the owner holds it, ms; after that another replica may take it over. */
  leaseUntil: number;
  /** When it started, ms. */
  createdAt: number;
  /** Where it stands. */
  state: JobState;
  /** True once someone asked it to stop (`/ecs unfollow` on any replica). */
  stopRequested: boolean;
}

/** Which kinds of job a take-over considers: only some, or all but some. */
export type JobKinds = { only: readonly string[] } | { except: readonly string[] };

/** Whether a job of `kind` is one `kinds` lets a take-over consider. */
export function kindAllowed(kind: string, kinds: JobKinds | undefined): boolean {
  if (!kinds) return true;
  return 'only' in kinds ? kinds.only.includes(kind) : !kinds.except.includes(kind);
}

/** Follow-up jobs with owners and leases. */
export interface Jobs {
  /** Records a running job. */
  create(job: Omit<JobRecord, 'state' | 'stopRequested'>): Promise<void>;
  /** A job by id. */
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Extends the lease of the owner's running jobs among `ids` to `until`; resolves with the ids the
   * owner still holds and whether each was asked to stop.
   */
  renew(owner: string, ids: readonly string[], until: number): Promise<Array<{ id: string; stopRequested: boolean }>>;
  /** Ends a job (done or stopped) if `owner` still holds it. */
  finish(id: string, owner: string, state: Exclude<JobState, 'running'>): Promise<void>;
  /**
   * Takes over running jobs whose lease ended by `at` (their replica stopped, or it handed them to the
   * leader): each goes to exactly one taker, with the new lease; resolves with the jobs taken. `kinds`
   * narrows it to some kinds (`only`) or leaves some out (`except`): only the leader takes a quiz timer.
   */
  takeOver(owner: string, at: number, until: number, limit: number, kinds?: JobKinds): Promise<JobRecord[]>;
  /** Asks the running jobs of a channel (one service's, or all) to stop; resolves with how many. */
  requestStop(channelKey: string, service: string | null, kinds: readonly string[]): Promise<number>;
  /** The running jobs of a channel of the given kinds. */
  running(channelKey: string, kinds: readonly string[]): Promise<JobRecord[]>;
  /** Forgets finished jobs that started before `before`. */
  prune(before: number): Promise<number>;
}

/**
 * Slack's thread map: the `ts` of the message that opened a thread, by channel and key. Discord files
 * the actions of its too-long buttons here too, under a channel id no real channel has.
 */
export interface ThreadMap {
  /** Remembers a thread's parent. */
  remember(channelId: string, key: string, ts: string, at: number): Promise<void>;
  /** The parent's ts, when known. */
  find(channelId: string, key: string): Promise<string | undefined>;
  /** Forgets threads opened before `before`. */
  prune(before: number): Promise<number>;
}

/**
 * One leader at a time among the replicas (the one that runs the watcher, delivers the outbox and
 * reveals quiz timers). Holding it must end with the process, SIGKILL included.
 */
export interface Leadership {
  /** Tries to become leader, or checks it still is; true while this process leads. */
  acquire(): Promise<boolean>;
  /** Gives leadership up (on a clean stop), so another replica takes over at once. */
  release(): Promise<void>;
}

/** Everything replicas coordinate through. */
export interface Coordination {
  /** Inbound id claims. */
  claims: Claims;
  /** Pending confirmations. */
  confirmations: Confirmations;
  /** Follow-up jobs. */
  jobs: Jobs;
  /** Slack thread parents. */
  threads: ThreadMap;
  /** Who leads. */
  leadership: Leadership;
}
