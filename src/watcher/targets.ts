/**
 * Small wrappers that turn the adapters' own posting methods into DeliveryTargets, typed by
 * shape so the watcher imports no adapter.
 */
import { createHash } from 'node:crypto';
import type { Reply } from '../core/reply.ts';
import type { DeliveryTarget } from '../ports/outbox.ts';

/** What the terminal adapter offers: `ConsoleAdapter.print(reply, prefix)`. */
export type PrintReply = (reply: Reply, prefix?: string) => void;

/**
 * The terminal as a delivery target: alerts print as they come, thread replies indented under
 * a `↳` marker, and edits print nothing (a terminal cannot change what it printed).
 */
export function consoleTarget(print: PrintReply): DeliveryTarget {
  let n = 0;
  return {
    platform: 'console',
    deliver: async (_channelId, reply, opts) => {
      if (opts.updateOf) return { messageRef: opts.updateOf };
      const inThread = reply.thread !== undefined && !reply.thread.parent;
      print(reply, inThread ? '  ↳ ' : '🚨 ');
      n++;
      return { messageRef: `terminal-${n}` };
    },
  };
}

/** What the Slack adapter offers: `SlackAdapter.deliver(channelId, reply, { threadTs, updateTs, mention })`, throwing SlackDeliveryError. */
export interface SlackPoster {
  /** Posts or edits a message, pinging `mention` (a user group id) when given; throws an error with `permanent` and `retryAfterMs`. */
  deliver(channelId: string, reply: Reply, opts: { threadTs?: string; updateTs?: string; mention?: string }): Promise<{ ts: string }>;
}

/** Slack as a delivery target: threads and edits map to `thread_ts` and `chat.update`. */
export function slackTarget(slack: SlackPoster): DeliveryTarget {
  return {
    platform: 'slack',
    deliver: async (channelId, reply, opts) => {
      const r = await slack.deliver(channelId, reply, {
        ...(opts.threadOf ? { threadTs: opts.threadOf } : {}),
        ...(opts.updateOf ? { updateTs: opts.updateOf } : {}),
        // Dropping it would open an incident without paging anyone.
        ...(opts.mention ? { mention: opts.mention } : {}),
      });
      return { messageRef: r.ts };
    },
  };
}

/** What a Discord adapter is expected to offer: post (optionally in a thread) or edit, returning the message id. */
export interface DiscordPoster {
  /** Posts or edits a message, pinging `mention` (a role id) when given; throws an error with `permanent` and `retryAfterMs`. */
  deliver(channelId: string, reply: Reply, opts: { threadOf?: string; updateOf?: string; nonce?: string; mention?: string }): Promise<{ id: string }>;
}

/** Discord as a delivery target; the idempotency key becomes the message nonce, so Discord drops a repeat. */
export function discordTarget(discord: DiscordPoster): DeliveryTarget {
  return {
    platform: 'discord',
    deliver: async (channelId, reply, opts) => {
      const r = await discord.deliver(channelId, reply, {
        ...(opts.threadOf ? { threadOf: opts.threadOf } : {}),
        ...(opts.updateOf ? { updateOf: opts.updateOf } : {}),
        ...(opts.mention ? { mention: opts.mention } : {}),
        // Discord nonces are at most 25 characters; a hash keeps them unique per message and channel.
        nonce: createHash('sha256').update(opts.idempotencyKey).digest('base64url').slice(0, 25),
      });
      return { messageRef: r.id };
    },
  };
}

/** The note alerts carry when their data comes from the local sandbox, not real AWS. */
export const SANDBOX_NOTE = 'sandbox data (not real AWS)';

/**
 * Marks every top-level alert (and edit of one) as sandbox data; replies inside an incident's
 * thread stay one line, since their parent already says it.
 */
export function withSandboxNote(target: DeliveryTarget): DeliveryTarget {
  return {
    platform: target.platform,
    deliver: (channelId, reply, opts) => {
      const inThread = reply.thread !== undefined && !reply.thread.parent;
      if (inThread || reply.blocks.some((b) => b.kind === 'context' && b.text.includes(SANDBOX_NOTE))) return target.deliver(channelId, reply, opts);
      const at = reply.blocks.findIndex((b) => b.kind === 'actions');
      const note = { kind: 'context' as const, text: SANDBOX_NOTE };
      const blocks = at < 0 ? [...reply.blocks, note] : [...reply.blocks.slice(0, at), note, ...reply.blocks.slice(at)];
      return target.deliver(channelId, { ...reply, blocks }, opts);
    },
  };
}
