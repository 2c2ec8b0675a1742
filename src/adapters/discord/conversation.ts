/**
 * Where the answer and the follow-ups of one interaction go, within Discord's limits: the first
 * answer within 3 seconds (deferred when the core is slower), the token's 15 minutes for
 * follow-ups, and `--follow` lines in a thread started from the command's reply when the bot may
 * start one (else as follow-ups until the token ends, with a note saying why).
 */
import { createHash } from 'node:crypto';
import { DiscordAPIError, MessageFlags, Routes, type REST } from 'discord.js';
import type { DispatchResult } from '../../core/dispatcher.ts';
import type { Logger } from '../../core/logger.ts';
import { ConversationClosed, type PostFollowUp, type Reply } from '../../core/reply.ts';
import type { ConversationHandle } from '../../ports/coordination.ts';
import { cut, renderReply, type DiscordMessage } from './render.ts';

/** The calls of a discord.js interaction the conversation uses (Chat input, button and modal interactions have them). */
export interface RepliableInteraction {
  readonly id: string;
  readonly channelId: string | null;
  readonly createdTimestamp: number;
  /** The interaction token (15 minutes of follow-ups), kept with a follow-up's job for another replica. */
  readonly token?: string;
  /** The application the token belongs to. */
  readonly applicationId?: string;
  reply(options: Record<string, unknown>): Promise<unknown>;
  deferReply(options?: Record<string, unknown>): Promise<unknown>;
  editReply(options: Record<string, unknown>): Promise<{ id: string }>;
  deleteReply(): Promise<void>;
  followUp(options: Record<string, unknown>): Promise<{ id: string }>;
  fetchReply(): Promise<{ id: string }>;
  /** Buttons only: answer by replacing the message the button sat on (type 7). */
  update?(options: Record<string, unknown>): Promise<unknown>;
  /** Buttons only: acknowledge without a message yet (type 6). */
  deferUpdate?(): Promise<unknown>;
}

/** How long the core may take before the interaction is deferred: Discord wants an answer within 3 s. */
export const DEFER_AFTER_MS = 1_500;
/** Discord's interaction token lasts 15 minutes; follow-ups stop a little before. */
export const TOKEN_LIFE_MS = 15 * 60_000 - 30_000;

/** discord.js wants camelCase `allowedMentions`; the renderer speaks Discord's JSON. */
function toOptions(m: DiscordMessage, ephemeral = false): Record<string, unknown> {
  return {
    ...(m.content ? { content: m.content } : {}),
    embeds: m.embeds,
    components: m.components,
    allowedMentions: { parse: m.allowed_mentions.parse, ...(m.allowed_mentions.roles ? { roles: m.allowed_mentions.roles } : {}) },
    ...(ephemeral || m.flags ? { flags: MessageFlags.Ephemeral } : {}),
    // Pictures go up with the message as multipart (https://discord.com/developers/docs/reference#uploading-files).
    ...(m.files?.length ? { files: m.files.map((f) => ({ attachment: Buffer.from(f.data), name: f.name, description: f.description })) } : {}),
  };
}

/** Options of a conversation. */
export interface ConversationOptions {
  /** The interaction it answers. */
  interaction: RepliableInteraction;
  /** True for a button press: a reply with replaceOriginal replaces the message the button sat on. */
  fromButton: boolean;
  /** REST client for thread calls (the client's own, sharing its rate-limit state). */
  rest: REST;
  /** Buttons with actions too long for a custom_id are remembered here (resolves once stored). */
  remember: (longActions: Map<string, string>) => Promise<void>;
  /** Where failures are logged. */
  log: Logger;
  /** Clock for the token's life (tests shorten it). */
  now?: () => number;
  /** The token's usable life, ms. */
  tokenLifeMs?: number;
  /** Told how long after the interaction was created its first callback (answer or deferral) went out. */
  onAck?: (ms: number) => void;
}

/** One interaction's answers; see the module comment. */
export class Conversation {
  private readonly i: RepliableInteraction;
  private readonly opts: ConversationOptions;
  private readonly startedAt: number;
  private threadId: string | undefined;
  private threadBroken = false;
  private expiredNoted = false;
  private continuedNoted = false;
  private tokenGone = false;

  constructor(opts: ConversationOptions) {
    this.i = opts.interaction;
    this.opts = opts;
    this.startedAt = opts.now?.() ?? Date.now();
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private async render(reply: Reply): Promise<DiscordMessage[]> {
    const r = renderReply(reply, { images: 'attached' });
    // Stored before the message goes out, so its buttons work the moment anyone sees them.
    if (r.longActions.size > 0) await this.opts.remember(r.longActions);
    return r.messages;
  }

  /** Answers with the core's result: at once when it is quick, else deferred and edited in; then its follow-ups. */
  async answer(work: Promise<DispatchResult>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((r) => {
      timer = setTimeout(() => r('slow'), Math.max(0, DEFER_AFTER_MS - (Date.now() - this.i.createdTimestamp)));
    });
    const first = await Promise.race([work, slow]);
    clearTimeout(timer);
    let result: DispatchResult;
    if (first === 'slow') {
      // A deferral fixes visibility before the result is known: public, and fixed up below when the result is ephemeral.
      if (this.opts.fromButton && this.i.deferUpdate) await this.i.deferUpdate();
      else await this.i.deferReply();
      this.acked();
      result = await work;
      await this.finishDeferred(result.reply);
    } else {
      result = first;
      await this.first(result.reply, () => this.acked());
    }
    if (result.followUp) await result.followUp((r) => this.post(r), this.handle());
  }

  /** Where this command's follow-ups go, as data a replica that takes its job over can use. */
  handle(): ConversationHandle {
    return {
      platform: 'discord',
      channelId: this.i.channelId ?? '',
      ...(this.i.token && this.i.applicationId ? { interactionToken: this.i.token, applicationId: this.i.applicationId, tokenExpiresAt: this.startedAt + (this.opts.tokenLifeMs ?? TOKEN_LIFE_MS) } : {}),
      ...(this.threadId && !this.threadBroken ? { threadId: this.threadId } : {}),
    };
  }

  /** Reports the first callback's latency, measured from the interaction's creation as Discord's 3 seconds are. */
  private acked(): void {
    this.opts.onAck?.(Math.max(0, Date.now() - this.i.createdTimestamp));
  }

  /** The first answer when the result came in time; `sent` runs once the first callback went out. */
  private async first(reply: Reply, sent?: () => void): Promise<void> {
    const [head, ...rest] = await this.render(reply);
    const ephemeral = reply.visibility === 'ephemeral';
    if (this.opts.fromButton && reply.replaceOriginal && !ephemeral && this.i.update) await this.i.update(toOptions(head!));
    else await this.i.reply(toOptions(head!, ephemeral));
    sent?.();
    for (const m of rest) await this.i.followUp(toOptions(m, ephemeral));
    if (reply.thread?.parent && !ephemeral && !this.opts.fromButton) await this.startThread(reply);
  }

  /** The answer after a deferral: edited into the placeholder, or sent privately and the public placeholder removed. */
  private async finishDeferred(reply: Reply): Promise<void> {
    const [head, ...rest] = await this.render(reply);
    const ephemeral = reply.visibility === 'ephemeral';
    if (this.opts.fromButton) {
      // After a deferred update, editReply edits the message the button sat on.
      if (reply.replaceOriginal && !ephemeral) await this.i.editReply(toOptions(head!));
      else await this.i.followUp(toOptions(head!, ephemeral));
    } else if (ephemeral) {
      await this.i.deleteReply().catch(() => undefined);
      await this.i.followUp(toOptions(head!, true));
    } else {
      await this.i.editReply(toOptions(head!));
    }
    for (const m of rest) await this.i.followUp(toOptions(m, ephemeral));
    if (reply.thread?.parent && !ephemeral && !this.opts.fromButton) await this.startThread(reply);
  }

  /** Starts a public thread from the command's reply, for its `--follow` lines. */
  private async startThread(reply: Reply): Promise<void> {
    const channelId = this.i.channelId;
    if (!channelId) return;
    let msgId: string | undefined;
    try {
      msgId = (await this.i.fetchReply()).id;
      const name = cut((reply.summary ?? 'dockhand').replace(/\s+/g, ' '), 100) || 'dockhand';
      await this.opts.rest.post(Routes.threads(channelId, msgId), { body: { name, auto_archive_duration: 60 } });
      // A thread started from a message has that message's id.
      this.threadId = msgId;
    } catch (e) {
      // 160004: the thread exists already, such as when a start whose answer was lost was sent again
      // (discord.js repeats a call Discord answered with a 5xx); its id is the message's.
      if (msgId && e instanceof DiscordAPIError && Number(e.code) === 160004) {
        this.threadId = msgId;
        return;
      }
      this.threadBroken = true;
      this.opts.log.info({ err: e instanceof Error ? e.message : String(e), channel: channelId }, 'discord: cannot start a thread here; follow-ups go as interaction replies');
      await this.i
        .followUp(
          toOptions(
            (await this.render({
              visibility: 'channel',
              blocks: [
                {
                  kind: 'context',
                  text: 'dockhand cannot start a thread here (it needs Create Public Threads and Send Messages in Threads), so new lines come as replies to this command until Discord’s 15-minute interaction token ends.',
                },
              ],
            }))[0]!,
          ),
        )
        .catch(() => undefined);
    }
  }

  /**
   * A later message of the command: into its thread when there is one, else as an interaction
   * follow-up while the token lasts. After Discord's 15 minutes, what the channel may see goes on as
   * the bot's own channel messages (once with a note saying why); log lines that had no thread and
   * private replies end there, as nothing can carry them any more.
   */
  async post(reply: Reply): Promise<void> {
    const inThread = reply.thread !== undefined && !reply.thread.parent;
    if (inThread && this.threadId && !this.threadBroken && reply.visibility === 'channel') {
      try {
        for (const m of await this.render(reply)) await this.opts.rest.post(Routes.channelMessages(this.threadId), restMessage(m));
        return;
      } catch (e) {
        if (!(e instanceof DiscordAPIError && (e.status === 403 || e.status === 404))) throw e;
        this.threadBroken = true;
        this.opts.log.info({ code: e.code, thread: this.threadId }, 'discord: the thread cannot take more messages; continuing as interaction replies');
      }
    }
    const life = this.opts.tokenLifeMs ?? TOKEN_LIFE_MS;
    const age = this.now() - this.startedAt;
    // A log line with no thread to go to, or a private reply: only the token can carry it.
    const endsWithToken = inThread || reply.visibility === 'ephemeral';
    if (age <= life && !this.tokenGone) {
      try {
        for (const m of await this.render(reply)) await this.i.followUp(toOptions(m, reply.visibility === 'ephemeral'));
        // In its last minute, a follow that ends with the token says so while the token can still say it.
        if (endsWithToken && age > life - 60_000) await this.noteEnd(reply.visibility === 'ephemeral');
        return;
      } catch (e) {
        // Discord's clock decides: 50027 Invalid Webhook Token means the 15 minutes are over for it.
        if (!(e instanceof DiscordAPIError && Number(e.code) === 50027)) throw e;
        this.tokenGone = true;
        this.opts.log.info({ channel: this.i.channelId }, 'discord: the interaction token ended early by Discord\'s clock');
      }
    }
    if (endsWithToken) {
      if (reply.visibility === 'channel') await this.noteEnd(false, true);
      throw new ConversationClosed(`Discord's 15-minute interaction token of this command in ${this.i.channelId ?? '?'} ended`);
    }
    const channelId = this.i.channelId;
    if (!channelId) throw new ConversationClosed('Discord\'s 15-minute interaction token ended and the interaction named no channel');
    const blocks = this.continuedNoted ? reply.blocks : [...reply.blocks, { kind: 'context' as const, text: CONTINUED_NOTE }];
    try {
      const messages = await this.render({ ...reply, blocks });
      for (const [n, m] of messages.entries()) await this.opts.rest.post(Routes.channelMessages(channelId), restMessage(m, reply.idempotencyKey && `${reply.idempotencyKey}:${n}`));
      this.continuedNoted = true;
    } catch (e) {
      // Without View Channel or Send Messages there (50001, 50013), or with the channel gone (10003), nothing more can be said.
      if (!(e instanceof DiscordAPIError && (e.status === 403 || e.status === 404))) throw e;
      this.opts.log.warn({ code: e.code, channel: channelId }, 'discord: the interaction token ended and the bot may not post in this channel; the follow-up ends here');
      throw new ConversationClosed(`Discord's interaction token ended and the bot may not post in ${channelId} (${String(e.code)})`);
    }
  }

  /** Says once that this command's messages end with the token: through the token while it lasts, else in the channel. */
  private async noteEnd(ephemeral: boolean, inChannel = false): Promise<void> {
    if (this.expiredNoted) return;
    this.expiredNoted = true;
    const note = (await this.render({ visibility: 'channel', blocks: [{ kind: 'context', text: ENDED_NOTE }] }))[0]!;
    const channelId = this.i.channelId;
    if (inChannel && channelId) await this.opts.rest.post(Routes.channelMessages(channelId), restMessage(note)).catch(() => undefined);
    else await this.i.followUp(toOptions(note, ephemeral)).catch(() => undefined);
  }
}

/** Said once when a command's messages go on as the bot's own after its interaction token ended. */
export const CONTINUED_NOTE = 'Discord’s interaction token for this command lasts 15 minutes, so dockhand goes on here as its own messages.';
/** Said when a command's messages end with its interaction token (log lines with no thread, private replies). */
export const ENDED_NOTE = 'Discord’s interaction token for this command ends after 15 minutes, and these messages have nowhere else to go, so this command posts nothing more here; run it again to continue.';

/**
 * A message body for a bot REST call (channel or thread): no ephemeral flag, pictures as multipart
 * uploads, and with `key` a nonce Discord deduplicates on, so a create repeated after a lost answer
 * (discord.js repeats one Discord answered with a 5xx) shows once.
 */
export function restMessage(m: DiscordMessage, key?: string): { body: Record<string, unknown>; files?: Array<{ name: string; data: Buffer }> } {
  const { flags: _flags, files, ...rest } = m;
  // https://discord.com/developers/docs/resources/message#create-message-jsonform-params — nonce up to 25 characters.
  const body = key ? { ...rest, nonce: createHash('sha256').update(key).digest('base64url').slice(0, 25), enforce_nonce: true } : rest;
  if (!files?.length) return { body };
  // https://discord.com/developers/docs/reference#uploading-files — attachments[].id names the files[n] it describes.
  return {
    body: { ...body, attachments: files.map((f, n) => ({ id: n, filename: f.name, description: f.description })) },
    files: files.map((f) => ({ name: f.name, data: Buffer.from(f.data) })),
  };
}

/**
 * Posts the follow-ups of a command another replica answered: into its thread when it has one, else
 * through its interaction token while that lasts, else into its channel as the bot. A keyed message
 * (a quiz reveal) goes into the channel as the bot at once: only a channel message carries a nonce
 * (a webhook follow-up has none), so a repeat after a lost answer or a takeover shows once.
 */
export function resumedPost(handle: ConversationHandle, rest: REST, render: (r: Reply) => Promise<DiscordMessage[]>, now: () => number = Date.now): PostFollowUp | undefined {
  if (handle.platform !== 'discord') return undefined;
  return async (reply) => {
    const inThread = reply.thread !== undefined && !reply.thread.parent;
    const messages = await render(reply);
    if (inThread && handle.threadId && reply.visibility === 'channel') {
      for (const m of messages) await rest.post(Routes.channelMessages(handle.threadId), restMessage(m));
      return;
    }
    const keyed = Boolean(reply.idempotencyKey) && reply.visibility === 'channel';
    if (!keyed && handle.interactionToken && handle.applicationId && (handle.tokenExpiresAt ?? 0) > now()) {
      // Webhook calls with an interaction token carry no bot authorization.
      for (const m of messages) {
        const r = restMessage(m);
        await rest.post(Routes.webhook(handle.applicationId, handle.interactionToken), { ...r, body: { ...r.body, ...(m.flags ? { flags: m.flags } : {}) }, auth: false });
      }
      return;
    }
    if (reply.visibility === 'ephemeral') return;
    for (const [n, m] of messages.entries()) await rest.post(Routes.channelMessages(handle.channelId), restMessage(m, reply.idempotencyKey && `${reply.idempotencyKey}:${n}`));
  };
}
