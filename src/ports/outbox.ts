/**
 * The alert outbox: every alert message is written here (in the same transaction that records
 * what it is about) before anything is sent, and a delivery worker drains it channel by channel.
 * Calls are asynchronous so SQLite and PostgreSQL serve the same interface; the watcher writes its
 * alerts together with what they are about through `IncidentStore.apply()` (write-set.ts).
 */
import type { Platform } from '../core/platform.ts';
import type { Reply } from '../core/reply.ts';

/** One message to deliver to one channel. */
export interface OutboxMessage {
  /** What the message is about, such as `crash:<task arn>`; with platform and channel it is the idempotency key. */
  alertKey: string;
  /** The platform of the channel. */
  platform: Platform;
  /** The channel id. */
  channelId: string;
  /** The message. Its `thread` hint says which thread it starts or belongs to. */
  reply: Reply;
  /** Set to edit the message of that alert key (same channel) instead of posting. */
  updateOf?: string;
  /** The service it is about, for fold summaries. */
  service?: string;
  /** A platform mention token (user group, role) to ping with the message. */
  mention?: string;
}

/** Where a stored message stands. */
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'folded';

/** A stored message. */
export interface OutboxRow extends OutboxMessage {
  /** Row id; rows of a channel are delivered in id order. */
  id: number;
  /** When it was written. */
  createdAt: number;
  /** Where it stands. */
  status: OutboxStatus;
  /** Attempts so far. */
  attempts: number;
  /** Not to be tried before this time. */
  nextAt: number;
  /** The platform's reference of the posted message (Slack ts, Discord message id). */
  messageRef?: string;
  /** The last delivery error. */
  lastError?: string;
  /** When it was delivered. */
  sentAt?: number;
  /** When its first failed attempt was (delivery's real-time clock); the give-up deadline counts from here. */
  firstFailedAt?: number;
  /** When it was given up on. */
  failedAt?: number;
}

/** A channel on a platform: the unit in which order is kept. */
export interface Lane {
  /** The platform. */
  platform: Platform;
  /** The channel id. */
  channelId: string;
}

/** Counts by status, for `/ecs alerts` and tests. */
export interface OutboxStats {
  /** Waiting for delivery. */
  pending: number;
  /** Delivered. */
  sent: number;
  /** Given up (permanent error). */
  failed: number;
  /** Folded into a summary. */
  folded: number;
  /** When the oldest message still waiting was written (absent when none waits). */
  oldestPendingAt?: number;
}

/** The outbox store. */
export interface Outbox {
  /** Writes a message unless one with the same alert key, platform and channel exists; true when written. */
  enqueue(message: OutboxMessage, now: number): Promise<boolean>;
  /** Channels that have pending messages. */
  lanes(): Promise<Lane[]>;
  /** The pending messages of a channel, oldest first. */
  pending(lane: Lane): Promise<OutboxRow[]>;
  /** Records a delivery. */
  markSent(id: number, messageRef: string, now: number): Promise<void>;
  /** Records a failed attempt to be retried at `nextAt`; the first one also records `now` as firstFailedAt. */
  markRetry(id: number, nextAt: number, error: string, now?: number): Promise<void>;
  /** Records a failure that retrying cannot fix (or that was retried for too long), given up at `now`. */
  markFailed(id: number, error: string, now?: number): Promise<void>;
  /** The messages given up on, newest first, at most `limit` (for `/ecs alerts`). */
  failures(limit: number): Promise<OutboxRow[]>;
  /** Folds the given pending messages into one new summary message, atomically; returns its id. */
  fold(ids: readonly number[], summary: OutboxMessage, now: number): Promise<number>;
  /** A stored message by alert key in a channel, whatever its status. */
  find(lane: Lane, alertKey: string): Promise<OutboxRow | undefined>;
  /** The message reference of a delivered alert in a channel, if it was delivered. */
  messageRef(lane: Lane, alertKey: string): Promise<string | undefined>;
  /** The message reference of a thread's parent in a channel, if it was delivered. */
  threadRef(lane: Lane, threadKey: string): Promise<string | undefined>;
  /** Delivery times of top-level messages delivered to a channel after `since` (for the rate limit). */
  sentSince(lane: Lane, since: number): Promise<number[]>;
  /**
   * Deletes messages that are done with (sent, failed or folded) and were written before
   * `before`, except the message each of `keepThreads` threads under (its parent, or the
   * first reply that went out when the parent did not); returns how many.
   */
  prune(before: number, keepThreads: readonly string[]): Promise<number>;
  /** Counts by status. */
  stats(): Promise<OutboxStats>;
  /** Every row of a channel in order (for tests and diagnostics). */
  history(lane: Lane): Promise<OutboxRow[]>;
}

/** How a message is posted. */
export interface DeliveryOptions {
  /** Post as a reply in the thread of this message (its platform reference). */
  threadOf?: string;
  /** Edit this message (its platform reference) instead of posting. */
  updateOf?: string;
  /** Stable per message and channel, for platforms that can deduplicate (Discord nonce). */
  idempotencyKey: string;
  /** A platform mention token to ping (Slack user group id, Discord role id). */
  mention?: string;
}

/** What a failed delivery means: try again later (rate limit, outage, network) or give up now. */
export type DeliveryVerdict = 'retryable' | 'final';

/**
 * A delivery failure as a DeliveryTarget throws it, classified by the platform adapter so the lane
 * knows what to do without knowing the platform: wait and retry (honouring `retryAfterMs`), re-send
 * without the reply's droppable blocks (`tooLong`), or give up and tell an operator (`action`).
 */
export class DeliveryError extends Error {
  /** Whether retrying can help. */
  readonly verdict: DeliveryVerdict;
  /** The platform's own code (`not_in_channel`, `http_503`, `50013`…), for logs. */
  readonly code: string;
  /** How long the platform asked to wait before the next try, when it said. */
  readonly retryAfterMs: number | undefined;
  /** True when the platform refused the message as too long: a shorter one may go through. */
  readonly tooLong: boolean;
  /** What an operator should do about a final failure, in a sentence. */
  readonly action: string | undefined;

  constructor(code: string, message: string, opts: { verdict: DeliveryVerdict; retryAfterMs?: number; tooLong?: boolean; action?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DeliveryError';
    this.code = code;
    this.verdict = opts.verdict;
    this.retryAfterMs = opts.retryAfterMs;
    this.tooLong = opts.tooLong ?? false;
    this.action = opts.action;
  }

  /** True when retrying the same call cannot succeed. */
  get permanent(): boolean {
    return this.verdict === 'final';
  }
}

/**
 * The HTTP statuses worth retrying on any platform: 408 and 429 (wait, then again) and every 5xx;
 * any other 4xx is the request's own fault and final.
 */
export function retryableHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A platform's way to post a message to a channel. A failure throws a DeliveryError (or any error
 * with `permanent`, `retryAfterMs` and `tooLong` fields); anything else counts as a network failure.
 */
export interface DeliveryTarget {
  /** The platform it posts to. */
  readonly platform: Platform;
  /** Posts (or edits) a message; resolves with the platform's reference of it. */
  deliver(channelId: string, reply: Reply, options: DeliveryOptions): Promise<{ messageRef: string }>;
}

/** What a delivery error says about retrying, read from its `retryAfterMs`, `permanent`, `tooLong` and `action` fields. */
export function deliveryErrorInfo(e: unknown): { retryAfterMs?: number; permanent: boolean; tooLong: boolean; action?: string; message: string } {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { retryAfterMs?: unknown; permanent?: unknown; tooLong?: unknown; action?: unknown; message?: unknown };
  const info: { retryAfterMs?: number; permanent: boolean; tooLong: boolean; action?: string; message: string } = {
    permanent: o.permanent === true,
    tooLong: o.tooLong === true,
    message: typeof o.message === 'string' ? o.message : String(e),
  };
  if (typeof o.retryAfterMs === 'number' && Number.isFinite(o.retryAfterMs) && o.retryAfterMs >= 0) info.retryAfterMs = o.retryAfterMs;
  if (typeof o.action === 'string' && o.action) info.action = o.action;
  return info;
}
