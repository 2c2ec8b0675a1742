/**
 * The alert outbox's Discord delivery target: posts to a channel (with a nonce and enforce_nonce,
 * so a repeat within Discord's window returns the first message instead of a duplicate), edits an
 * incident message, and replies in the thread started from it. It never retries by itself: errors
 * are classified as the outbox's DeliveryError (retryable with retry_after, or final) and the outbox decides.
 */
import { DiscordAPIError, HTTPError, RateLimitError, REST, Routes } from 'discord.js';
import type { Logger } from '../../core/logger.ts';
import { withoutDroppable, type Reply } from '../../core/reply.ts';
import { DeliveryError, retryableHttpStatus, type DeliveryOptions, type DeliveryTarget } from '../../ports/outbox.ts';
import { discordTarget } from '../../watcher/targets.ts';
import { cut, renderReply, type DiscordMessage } from './render.ts';

/** JSON error codes that retrying cannot fix (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json). */
export const FINAL_CODES: Readonly<Record<number, string>> = {
  10003: 'Unknown Channel: the channel id in routes is wrong or the channel was deleted; fix routes in dockhand.yaml',
  10008: 'Unknown Message: the message to edit was deleted',
  50001: 'Missing Access: the bot cannot see that channel; add it to the channel (or its category) with View Channel',
  50013: 'Missing Permissions: give the bot Send Messages, Embed Links, Create Public Threads and Send Messages in Threads in that channel',
  50035: 'Invalid Form Body: Discord refused the message itself; the details are in the log',
  50006: 'Cannot send an empty message',
  160004: 'A thread already exists for that message',
};

/** Phrases Discord uses in a 50035 when a field is too long; the message may go through without its droppable blocks. */
const TOO_LONG = /BASE_TYPE_MAX_LENGTH|or fewer in length|exceeds maximum size/i;

/**
 * Classifies what the REST client threw as the outbox's DeliveryError: 429 (with Discord's
 * retry_after), 5xx and network failures are retryable; every Discord JSON error code is final, the
 * known ones with what to do.
 */
export function classifyDiscordError(e: unknown, what: string): DeliveryError {
  if (e instanceof DeliveryError) return e;
  if (e instanceof RateLimitError) {
    return new DeliveryError('429', `${what}: Discord rate limit; retry after ${Math.ceil(e.retryAfter / 1000)}s`, { verdict: 'retryable', retryAfterMs: e.retryAfter, cause: e });
  }
  if (e instanceof DiscordAPIError) {
    const code = Number(e.code);
    if (retryableHttpStatus(e.status)) return new DeliveryError(`http_${e.status}`, `${what}: Discord answered HTTP ${e.status}; will retry`, { verdict: 'retryable', cause: e });
    const known = FINAL_CODES[code];
    const tooLong = code === 50035 && TOO_LONG.test(JSON.stringify(e.rawError ?? {}) + e.message);
    return new DeliveryError(String(code), `${what}: ${known ? `${code} ${known}` : `Discord refused it (${code}: ${e.message})`}`, {
      verdict: 'final',
      tooLong,
      action: known ?? 'Discord refused the call; the details are in the log',
      cause: e,
    });
  }
  if (e instanceof HTTPError) {
    const retry = retryableHttpStatus(e.status);
    return new DeliveryError(`http_${e.status}`, `${what}: Discord answered HTTP ${e.status}${retry ? '; will retry' : ''}`, { verdict: retry ? 'retryable' : 'final', cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new DeliveryError('network', `${what}: could not reach Discord (${msg}); will retry`, { verdict: 'retryable', cause: e });
}

/** How a message is delivered. */
export interface DiscordDeliverOptions {
  /** Post in the thread started from this message (its id is the thread's id). */
  threadOf?: string;
  /** Edit this message instead of posting. */
  updateOf?: string;
  /** Up to 25 characters; with enforce_nonce Discord returns the first message for a repeat. */
  nonce?: string;
  /** A role id to ping. */
  mention?: string;
}

/** Options of the delivery target. */
export interface DiscordDeliveryOptions {
  /** The bot token. */
  token: string;
  /** REST base without /v10 (DISCORD_API_URL). */
  apiUrl?: string;
  /** Where failures are logged. */
  log: Logger;
  /** Keeps the actions of buttons too long for a custom_id (resolves once stored), so an alert's buttons work on any replica. */
  remember?: (longActions: Map<string, string>) => Promise<void>;
}

/** Posts, edits and threads alert messages; see the module comment. */
export class DiscordDelivery {
  /** A REST client that neither waits on a 429 nor retries: the outbox owns retries and keeps lanes moving. */
  readonly rest: REST;
  private readonly log: Logger;
  private readonly remember: (longActions: Map<string, string>) => Promise<void>;

  constructor(opts: DiscordDeliveryOptions) {
    this.remember = opts.remember ?? (async () => undefined);
    this.rest = new REST({ ...(opts.apiUrl ? { api: opts.apiUrl } : {}), retries: 0, rejectOnRateLimit: () => true, timeout: 10_000 }).setToken(opts.token);
    this.log = opts.log;
  }

  /** Posts or edits one message; resolves with its id; throws DeliveryError. */
  async deliver(channelId: string, reply: Reply, opts: DiscordDeliverOptions = {}): Promise<{ id: string }> {
    const how = { maxMessages: 1, ...(opts.mention ? { mentionRole: opts.mention } : {}) };
    let rendered = renderReply(reply, how);
    // An alert is one message: when it does not fit, its droppable blocks (the log excerpt) go first,
    // replaced by a note naming the command that shows them, before anything else is cut.
    const shorter = rendered.omitted > 0 ? withoutDroppable(reply) : null;
    if (shorter) rendered = renderReply(shorter, how);
    const msg = rendered.messages[0]!;
    if (rendered.longActions.size > 0) await this.remember(rendered.longActions);
    const what = opts.updateOf ? `discord edit of ${opts.updateOf} in ${channelId}` : `discord post to ${opts.threadOf ? `the thread of ${opts.threadOf} in ` : ''}${channelId}`;
    try {
      if (opts.updateOf) {
        const r = (await this.rest.patch(Routes.channelMessage(channelId, opts.updateOf), { body: editBody(msg) })) as { id: string };
        return { id: r.id };
      }
      const body = { ...msg, ...(opts.nonce ? { nonce: opts.nonce, enforce_nonce: true } : {}) };
      const post = async (to: string): Promise<{ id: string }> => {
        const r = (await this.rest.post(Routes.channelMessages(to), { body })) as { id: string };
        return { id: r.id };
      };
      if (!opts.threadOf) return await post(channelId);
      try {
        return await post(opts.threadOf);
      } catch (e) {
        // No thread yet (10003): start it from the message, then post in it.
        if (!(e instanceof DiscordAPIError && Number(e.code) === 10003)) throw e;
        await this.startThread(channelId, opts.threadOf, reply);
        return await post(opts.threadOf);
      }
    } catch (e) {
      const err = classifyDiscordError(e, what);
      this.log.warn({ code: err.code, permanent: err.permanent, retryAfterMs: err.retryAfterMs, channel: channelId }, `discord delivery failed: ${err.message}`);
      throw err;
    }
  }

  /**
   * Starts the thread of a message: Discord gives it the message's id, so a thread that exists
   * needs no lookup (160004 means another attempt already started it).
   */
  private async startThread(channelId: string, messageId: string, reply: Reply): Promise<void> {
    try {
      const name = cut((reply.summary ?? 'updates').replace(/\s+/g, ' '), 100) || 'updates';
      await this.rest.post(Routes.threads(channelId, messageId), { body: { name, auto_archive_duration: 1440 } });
    } catch (e) {
      if (!(e instanceof DiscordAPIError && Number(e.code) === 160004)) throw e;
    }
  }

  /** This adapter as the outbox's delivery target (platform `discord`, message ref = message id). */
  get target(): DeliveryTarget {
    const t = discordTarget(this);
    return { platform: 'discord', deliver: (channelId: string, reply: Reply, o: DeliveryOptions) => t.deliver(channelId, reply, o) };
  }
}

/** An edit leaves flags alone (a message's flags cannot become ephemeral later). */
function editBody(msg: DiscordMessage): Omit<DiscordMessage, 'flags'> {
  const { flags: _flags, ...rest } = msg;
  return rest;
}
