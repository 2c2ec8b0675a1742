/**
 * The Discord adapter: wires the gateway connection (transport), identity, the renderer, one
 * Conversation per interaction and the alert delivery target, and implements the Adapter
 * interface main.ts sees. Slash commands go to the dispatcher's runStructured, buttons to press,
 * modal submissions to run, and autocomplete to suggest; business rules stay in the core.
 */
import { randomBytes } from 'node:crypto';
import type { AutocompleteInteraction, ButtonInteraction, ChatInputCommandInteraction, Interaction, ModalSubmitInteraction } from 'discord.js';
import { MessageFlags } from 'discord.js';
import type { Claims, ConversationHandle, Coordination } from '../../ports/coordination.ts';
import { MemoryClaims } from '../../ports/memory-coordination.ts';
import type { Caller, CommandDef, SubcommandDef } from '../../core/command.ts';
import { isDirect } from '../../core/command.ts';
import type { DispatchResult } from '../../core/dispatcher.ts';
import type { Logger } from '../../core/logger.ts';
import { silentLogger } from '../../core/logger.ts';
import { parseCommandLine, type StructuredInput } from '../../core/parser.ts';
import type { PostFollowUp } from '../../core/reply.ts';
import { ASK_PREFIX, askCommandLine, textReply } from '../../core/reply.ts';
import type { Role } from '../../core/roles.ts';
import type { SuggestRequest } from '../../core/suggest.ts';
import { DeliveryError, type DeliveryTarget } from '../../ports/outbox.ts';
import type { Adapter, QuizTimerPlace } from '../adapter.ts';
import { Conversation, resumedPost } from './conversation.ts';
import { DiscordDelivery } from './delivery.ts';
import { callerOf, isDm } from './identity.ts';
import { actionOfCustomId, askModal, BUTTON_PREFIX, cut, HASHED_PREFIX, isAskAction, MODAL_INPUT_ID, MODAL_PREFIX, renderReply } from './render.ts';
import { LongActions } from './long-actions.ts';
import { DiscordTransport } from './transport.ts';
import { noTelemetry, type Telemetry } from '../../ports/telemetry.ts';

/** The part of the core's Dispatcher the Discord adapter needs. */
export interface DiscordDispatcher {
  /** Runs a typed command line (help, `run:` buttons, modal answers). */
  run(text: string, caller: Caller): Promise<DispatchResult>;
  /** Runs a slash command's options through the same validation as typed text. */
  runStructured(input: StructuredInput, caller: Caller): Promise<DispatchResult>;
  /** Handles a pressed button's action string. */
  press(action: string, caller: Caller): Promise<DispatchResult>;
  /** Values to suggest for an option being typed. */
  suggest(req: SuggestRequest, caller: Caller): Promise<string[]>;
  /** Every command definition (to know which role a subcommand needs, for the DM rule). */
  allCommands(): readonly CommandDef[];
}

/** How the Discord adapter is built; main.ts fills it from config. */
export interface DiscordAdapterOptions {
  /** The core. */
  dispatcher: DiscordDispatcher;
  /** The bot token (DISCORD_TOKEN). */
  token: string;
  /** REST base without /v10 (DISCORD_API_URL). */
  apiUrl?: string;
  /** Guild role id → dockhand role (config `roles.discordRoles`). */
  guildRoles?: ReadonlyMap<string, Role>;
  /** Where the adapter logs. */
  log?: Logger;
  /** Where acknowledgement latencies are counted (GET /metrics). */
  telemetry?: Telemetry;
  /**
   * Where interaction ids are claimed before anything answers them, and where the actions of buttons
   * too long for a custom_id are kept: the database in main.ts, since every replica's gateway session
   * receives every interaction and a button may be pressed after a restart. One process's memory when absent.
   */
  coordination?: Pick<Coordination, 'claims'> & Partial<Pick<Coordination, 'threads'>>;
  /** The clock an interaction token's 15 minutes are counted on (the system's when absent; tests move it). */
  now?: () => number;
}

/** How long an interaction id stays claimed: past its token's 15 minutes, after which nobody can answer it anyway. */
const CLAIM_TTL_MS = 60 * 60_000;

/** Autocomplete must be answered within 3 s; a slow list is answered empty rather than late. */
const SUGGEST_WITHIN_MS = 2_000;

/** Tries of one resumed quiz reveal while Discord answers 429, 5xx or not at all. */
const REVEAL_ATTEMPTS = 5;
/** The longest wait between them: a reveal much later than its timer is worth little. */
const REVEAL_RETRY_MAX_MS = 15_000;

/** The Discord adapter; see the module comment. */
export class DiscordAdapter implements Adapter {
  /** The platform it serves. */
  readonly platform = 'discord' as const;
  /** Its name in start-up errors. */
  readonly name = 'Discord';
  /** How the banner shows it. */
  readonly label = 'discord (gateway)';
  /** The gateway connection (exposed for tests). */
  readonly transport: DiscordTransport;
  /** Alert delivery (exposed for tests). */
  readonly delivery: DiscordDelivery;
  private readonly dispatcher: DiscordDispatcher;
  private readonly roles: ReadonlyMap<string, Role>;
  private readonly log: Logger;
  private readonly telemetry: Telemetry;
  private readonly longActions: LongActions;
  private readonly claims: Claims;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: (() => number) | undefined;

  constructor(opts: DiscordAdapterOptions) {
    this.dispatcher = opts.dispatcher;
    this.claims = opts.coordination?.claims ?? new MemoryClaims();
    this.longActions = new LongActions(opts.coordination?.threads);
    this.now = opts.now;
    this.roles = opts.guildRoles ?? new Map();
    this.log = (opts.log ?? silentLogger).child({ adapter: 'discord' });
    this.telemetry = opts.telemetry ?? noTelemetry;
    this.transport = new DiscordTransport({ token: opts.token, ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}), log: this.log, onInteraction: (i) => this.onInteraction(i) });
    this.delivery = new DiscordDelivery({ token: opts.token, ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}), log: this.log, remember: (m) => this.longActions.remember(m) });
  }

  /** Connects to the gateway; rejects with one line when the token is refused or Discord is unreachable. */
  async start(): Promise<void> {
    await this.transport.connect();
  }

  /** Waits for answers in flight, then disconnects. */
  async stop(): Promise<void> {
    await this.idle();
    await this.transport.close();
  }

  /** Resolves when every interaction taken so far has been answered (follow-ups included). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Where the outbox delivers Discord channels. */
  get alertTarget(): DeliveryTarget {
    return this.delivery.target;
  }

  /**
   * Team quiz reveals post to the channel like alerts (solo sessions were private and are not resumed
   * here). A post Discord may have taken is tried again with the same nonce, which Discord answers with
   * the first message: the reveal's own key, or one no other process uses.
   */
  quizTimerPost(place: QuizTimerPlace): PostFollowUp | undefined {
    if (place.mode !== 'team') return undefined;
    const target = this.delivery.target;
    const run = randomBytes(6).toString('hex');
    let n = 0;
    return async (r) => {
      const idempotencyKey = r.idempotencyKey ?? `quiz-resume:${place.channelId}:${run}:${++n}`;
      for (let attempt = 1; ; attempt++) {
        try {
          await target.deliver(place.channelId, r, { idempotencyKey });
          return;
        } catch (e) {
          if (!(e instanceof DeliveryError) || e.permanent || attempt >= REVEAL_ATTEMPTS) throw e;
          await new Promise((done) => setTimeout(done, Math.min(REVEAL_RETRY_MAX_MS, e.retryAfterMs ?? 500 * 2 ** attempt)));
        }
      }
    };
  }

  /** Posts the follow-ups of a command another replica answered and could not finish. */
  resumePost(handle: ConversationHandle): PostFollowUp | undefined {
    return resumedPost(handle, this.transport.client.rest, async (r) => {
      const out = renderReply(r);
      if (out.longActions.size > 0) await this.longActions.remember(out.longActions);
      return out.messages;
    }, this.now);
  }

  // ---- transport → handlers ----

  private onInteraction(i: Interaction): void {
    const p = (async () => {
      try {
        // One replica answers: the others lose the claim and do nothing at all (a second answer would be refused by Discord anyway).
        if (!(await this.claims.claim(`discord:${i.id}`, Date.now(), CLAIM_TTL_MS))) {
          this.log.debug({ interaction: i.id }, 'discord: interaction taken by another replica');
          return;
        }
        if (i.isAutocomplete()) await this.onAutocomplete(i);
        else if (i.isChatInputCommand()) await this.onCommand(i);
        else if (i.isButton()) await this.onButton(i);
        else if (i.isModalSubmit()) await this.onModal(i);
      } catch (e) {
        this.log.error({ err: e instanceof Error ? e.message : String(e), interaction: i.id }, 'discord: could not answer');
        if (i.isRepliable()) {
          const body = { content: '⚠️ dockhand could not answer this one; the details are in its log.', flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] } };
          await (i.replied || i.deferred ? i.followUp(body) : i.reply(body)).catch(() => undefined);
        }
      }
    })();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private conversation(i: ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction, fromButton: boolean): Conversation {
    return new Conversation({
      interaction: i as never,
      fromButton,
      rest: this.transport.client.rest,
      remember: (m) => this.longActions.remember(m),
      log: this.log,
      onAck: (ms) => this.telemetry.acked('discord', ms),
      ...(this.now ? { now: this.now } : {}),
    });
  }

  /** A private one-line answer that runs nothing. */
  private async refuse(i: ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction, text: string): Promise<void> {
    const m = renderReply(textReply(text, { visibility: 'ephemeral' })).messages[0]!;
    await i.reply({ embeds: m.embeds, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  }

  /** The subcommand a structured input or a command line names, when it names one. */
  private subcommandOf(input: { command: string; subcommand?: string | undefined } | string): { cmd: CommandDef; sub: SubcommandDef } | undefined {
    const defs = this.dispatcher.allCommands();
    if (typeof input === 'string') {
      try {
        const parsed = parseCommandLine(input, defs);
        return 'help' in parsed ? undefined : { cmd: parsed.command, sub: parsed.sub };
      } catch {
        return undefined;
      }
    }
    const cmd = defs.find((c) => c.name === input.command);
    const sub = cmd && (isDirect(cmd) ? cmd.subcommands[0] : cmd.subcommands.find((s) => s.name === input.subcommand));
    return cmd && sub ? { cmd, sub } : undefined;
  }

  /** In a DM only viewer commands run: a DM carries no server roles. Returns the refusal, or null to go on. */
  private dmRefusal(i: Interaction, what: { command: string; subcommand?: string | undefined } | string): string | null {
    if (!isDm(i)) return null;
    const found = this.subcommandOf(what);
    if (!found || found.sub.role === 'viewer') return null;
    const name = `/${found.cmd.name}${isDirect(found.cmd) ? '' : ` ${found.sub.name}`}`;
    return `${name} needs the ${found.sub.role} role, and in a DM dockhand grants no server roles: run it in a channel of your server.`;
  }

  private async onCommand(i: ChatInputCommandInteraction): Promise<void> {
    const caller = callerOf(i, this.roles);
    if (i.commandName === 'help') {
      const topic = i.options.getString('command');
      await this.conversation(i, false).answer(this.dispatcher.run(`/help${topic ? ` ${topic}` : ''}`, caller));
      return;
    }
    const sub = i.options.getSubcommand(false) ?? undefined;
    const data = sub ? (i.options.data[0]?.options ?? []) : i.options.data;
    const options: StructuredInput['options'] = {};
    for (const o of data) if (o.value !== undefined && o.value !== null) options[o.name] = o.value;
    const input: StructuredInput = { command: i.commandName, ...(sub ? { subcommand: sub } : {}), options };
    const dm = this.dmRefusal(i, input);
    if (dm) return this.refuse(i, dm);
    await this.conversation(i, false).answer(this.dispatcher.runStructured(input, caller));
  }

  private async onButton(i: ButtonInteraction): Promise<void> {
    const id = i.customId;
    // Only hashed ids and de-duplicated ones (`~n`) were stored; a plain id carries its action and costs no read.
    const stored = !id.startsWith(BUTTON_PREFIX) || id.includes('~') ? await this.longActions.get(id) : undefined;
    const action = stored ?? (id.startsWith(BUTTON_PREFIX) ? actionOfCustomId(id.replace(/~\d+$/, '')) : null);
    if (!action) {
      const why = id.startsWith(HASHED_PREFIX)
        ? 'dockhand no longer knows what this button does (it keeps that for a day after the button was last shown); run the command again. Nothing was run.'
        : 'this button is not one dockhand knows; nothing was run. Run the command again if you need it.';
      this.log.warn({ customId: cut(id, 100), user: i.user.id }, 'discord: a button press with an unknown custom_id');
      return this.refuse(i, `⚠️ ${why}`);
    }
    if (isAskAction(action)) {
      const command = action.slice(ASK_PREFIX.length).trim();
      const modal = askModal(command, ('label' in i.component && i.component.label) || 'Your answer', undefined);
      // Discord allows a modal only as the first answer, within 3 s; it opens before anything slower happens.
      if (modal) return i.showModal(modal as never);
    }
    const dm = this.dmRefusal(i, action.startsWith('run:') ? action.slice(4) : '');
    if (dm) return this.refuse(i, dm);
    await this.conversation(i, true).answer(this.dispatcher.press(action, callerOf(i, this.roles)));
  }

  private async onModal(i: ModalSubmitInteraction): Promise<void> {
    if (!i.customId.startsWith(MODAL_PREFIX)) return this.refuse(i, '⚠️ this form is not one dockhand knows; nothing was run.');
    const command = i.customId.slice(MODAL_PREFIX.length);
    const text = i.fields.getTextInputValue(MODAL_INPUT_ID);
    if (!text.trim()) return this.refuse(i, '⚠️ the answer was empty, so nothing was sent. Press the button again and write something.');
    const dm = this.dmRefusal(i, command);
    if (dm) return this.refuse(i, dm);
    await this.conversation(i, false).answer(this.dispatcher.run(askCommandLine(command, text), callerOf(i, this.roles)));
  }

  private async onAutocomplete(i: AutocompleteInteraction): Promise<void> {
    const focused = i.options.getFocused(true);
    const sub = i.options.getSubcommand(false) ?? undefined;
    const data = sub ? (i.options.data[0]?.options ?? []) : i.options.data;
    const args: Record<string, string | number | boolean> = {};
    for (const o of data) if (!o.focused && o.value !== undefined && o.value !== null) args[o.name] = o.value;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string[]>((r) => {
      timer = setTimeout(() => r([]), SUGGEST_WITHIN_MS);
    });
    const values = await Promise.race([
      this.dispatcher.suggest({ command: i.commandName, ...(sub ? { subcommand: sub } : {}), option: focused.name, typed: String(focused.value), args }, callerOf(i, this.roles)),
      late,
    ]);
    clearTimeout(timer);
    // Choice names and values are at most 100 characters; a longer value could not be sent back as typed.
    await i.respond(values.filter((v) => v.length <= 100).slice(0, 25).map((v) => ({ name: v, value: v })));
  }
}
