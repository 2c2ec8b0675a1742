/**
 * The Slack adapter: a Bolt app (HTTP or Socket Mode) that turns slash commands and button presses
 * into dispatcher calls and renders the Replies that come back. It acknowledges every request first,
 * so Slack's 3-second limit holds however slow AWS is, and then answers through response_url or the Web API.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Logger as BoltLogger, RespondArguments, RespondFn } from '@slack/bolt';
import type { Caller } from '../../core/command.ts';
import type { DispatchResult } from '../../core/dispatcher.ts';
import type { Logger } from '../../core/logger.ts';
import type { Adapter, QuizTimerPlace } from '../adapter.ts';
import { silentLogger } from '../../core/logger.ts';
import type { ImageBlock, PostFollowUp, Reply } from '../../core/reply.ts';
import { ASK_PREFIX, askCommandLine, ConversationClosed, textReply } from '../../core/reply.ts';
import type { Role } from '../../core/roles.ts';
import type { DeliveryOptions, DeliveryTarget } from '../../ports/outbox.ts';
import { WEB_API_BLOCK_TEXT_BUDGET } from './block-text.ts';
import { classifySlackError } from './errors.ts';
import { ChannelPacer } from './pacer.ts';
import { decodeSlackEntities, decodeSlackText } from './inbound.ts';
import { ACTION_ID_PREFIX, actionFromValue, ASK_BLOCK_ID, ASK_CALLBACK_ID, ASK_INPUT_ID, askModal, cut as cutText, escapeMrkdwn, mrkdwn, parseAskValue, readAskMetadata, renderReply, renderReplyParts, SLACK_LIMITS } from './render.ts';
import { uploadImage } from './upload.ts';
import type { Claims, ConversationHandle, Coordination, ThreadMap } from '../../ports/coordination.ts';
import { MemoryClaims, MemoryThreadMap } from '../../ports/memory-coordination.ts';

/** The Web API's base URL when SLACK_API_URL does not say otherwise. */
const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';
import type { AskButton, Continuation, SlackMessage } from './render.ts';
import { noTelemetry, type Telemetry } from '../../ports/telemetry.ts';

/** The part of the core's Dispatcher the Slack adapter needs. */
export interface SlackDispatcher {
  /** Runs a typed command line such as `/ecs scale web 5`. */
  run(text: string, caller: Caller): Promise<DispatchResult>;
  /** Handles a pressed button's action string. */
  press(action: string, caller: Caller): Promise<DispatchResult>;
}

/** How the Slack adapter is built; main.ts fills it from config. */
export interface SlackAdapterOptions {
  /** The core. */
  dispatcher: SlackDispatcher;
  /** Bot token (`xoxb-…`, SLACK_BOT_TOKEN). */
  botToken: string;
  /** Signing secret (SLACK_SIGNING_SECRET); required in HTTP mode. */
  signingSecret?: string;
  /** App-level token (`xapp-…`, SLACK_APP_TOKEN); when given, Socket Mode is used unless `socketMode` is false. */
  appToken?: string;
  /** Forces Socket Mode on or off (config `slack.socketMode`). */
  socketMode?: boolean;
  /** HTTP port (PORT, default 3000); 0 picks a free one. */
  port?: number;
  /** HTTP listen address (default all interfaces; tests use 127.0.0.1). */
  host?: string;
  /** Web API base URL (SLACK_API_URL), for tests and proxies. */
  apiUrl?: string;
  /** Core command name → Slack slash command (config `slack.commands`); default ecs → /ecs, quiz → /quiz. */
  commands?: Readonly<Record<string, string>>;
  /** A slash command that runs any dockhand command line (`/dockhand help`); null turns it off. */
  catchAllCommand?: string | null;
  /** Slack user group id (`S0123…`) → role (config `roles.slackGroups`). */
  userGroupRoles?: ReadonlyMap<string, Role>;
  /** How long user group membership is cached, ms (default 60 s). */
  userGroupCacheMs?: number;
  /** Where the adapter logs. */
  log?: Logger;
  /** Where acknowledgement latencies are counted (GET /metrics). */
  telemetry?: Telemetry;
  /** Socket Mode ping timeout, ms; also the reconnect back-off step (Slack's client default 5 s). */
  socketPingTimeoutMs?: number;
  /** Least time between two messages to one channel, ms (default 1 s, Slack's documented pace). */
  channelGapMs?: number;
  /**
   * Where retry dedupe claims and thread parents are kept; the database in main.ts, so a retry or a
   * follow-up reaching another replica is recognised there too. One process's memory when absent.
   */
  coordination?: Pick<Coordination, 'claims' | 'threads'>;
}

/** Default slash commands: core command name → Slack slash command. */
export const DEFAULT_SLACK_COMMANDS: Readonly<Record<string, string>> = { ecs: '/ecs', quiz: '/quiz' };

/** The default catch-all slash command, which reaches help, audit and every other command. */
export const DEFAULT_CATCH_ALL = '/dockhand';

/** Where the answers of one slash command or button press go. */
interface Conversation {
  channelId: string;
  userId: string;
  respond: RespondFn | undefined;
  /** The response_url behind `respond`, kept with a follow-up's job so another replica can answer there too. */
  responseUrl?: string;
  fromButton: boolean;
  /** The command line, for the "ran by" note on messages posted through the Web API. */
  text: string | undefined;
  /**
   * Answer through the Web API first and use `respond` only where the bot may not post (a modal's
   * submission: it has no response_url of its own, only the one of the press that opened it).
   */
  apiFirst?: boolean;
  /** Set once the Web API refused the channel, so a reply with a chart goes through response_url without it. */
  noUpload?: boolean;
  /** The response_url's uses so far, shared by every message of this command. */
  link: ResponseLink;
}

/**
 * A response_url works at most 5 times within 30 minutes (Slack, "Handling user interaction":
 * response_url). Where the bot may post, later messages go through the Web API and the link is
 * spared; once Slack answered not_in_channel, the link is all there is, so its uses are counted.
 */
interface ResponseLink {
  uses: number;
  since: number;
  notInChannel: boolean;
}

/** Uses a response_url allows. */
const RESPONSE_URL_USES = 5;
/** How long a response_url works. */
const RESPONSE_URL_TTL_MS = 30 * 60_000;

function newLink(): ResponseLink {
  return { uses: 0, since: Date.now(), notInChannel: false };
}

/** A respond function over a saved response_url, for answers that arrive without one. */
function respondVia(url: string): RespondFn {
  return async (message) => {
    const body = typeof message === 'string' ? { text: message } : message;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
    return res;
  };
}

/** Delivery options of an alert message. */
export interface DeliverOptions {
  /** Post as a reply in this thread. */
  threadTs?: string;
  /** Edit this message instead of posting a new one. */
  updateTs?: string;
  /** Who to ping: a user group (`S…`), a user (`U…`/`W…`), or `here` / `channel`. */
  mention?: string;
}

/** Slack's markup for a mention token, or undefined when the token is not one Slack knows. */
export function mentionMarkup(token: string): string | undefined {
  if (token === 'here' || token === 'channel' || token === 'everyone') return `<!${token}>`;
  if (/^S[A-Z0-9]{2,}$/.test(token)) return `<!subteam^${token}>`;
  if (/^[UW][A-Z0-9]{2,}$/.test(token)) return `<@${token}>`;
  return undefined;
}

const SEEN_TTL_MS = 10 * 60_000;

/** Alerts keep the channel's pace, but the outbox (not the pacer) waits out their 429s and retries them. */
const OUTBOX_PACE = { retries: 0, wait429: false } as const;

/** Characters the "ran by" note may take: the user mention and up to 200 characters of the command. */
const RAN_BY_MAX = 260;

/**
 * Renders the reply with the mention first, in the text (which drives the notification) and in
 * the blocks. The renderer keeps a block free for it, so a full-size alert keeps its buttons.
 */
function renderWithMention(reply: Reply, mention: string | undefined): SlackMessage {
  const m = mention ? mentionMarkup(mention) : undefined;
  if (!m) return renderReply(reply, { budget: WEB_API_BLOCK_TEXT_BUDGET });
  const msg = renderReply(reply, { reserveBlocks: 1, reserveChars: m.length, budget: WEB_API_BLOCK_TEXT_BUDGET });
  return { text: `${m} ${msg.text}`, blocks: [{ type: 'section', text: mrkdwn(m) }, ...msg.blocks] };
}
const SLACK_STALE_SEC = 5 * 60;

function toBoltLogger(log: Logger): BoltLogger {
  const fmt = (m: unknown[]): string =>
    m
      .map((x) => {
        if (typeof x === 'string') return x;
        if (x instanceof Error) return x.message;
        try {
          return JSON.stringify(x);
        } catch {
          return String(x);
        }
      })
      .join(' ');
  let level = LogLevel.INFO;
  return {
    // Bolt's debug lines include whole payloads; formatting them on every request costs latency for nothing.
    debug: () => undefined,
    info: (...m: unknown[]) => log.info({ src: 'bolt' }, fmt(m)),
    warn: (...m: unknown[]) => log.warn({ src: 'bolt' }, fmt(m)),
    error: (...m: unknown[]) => log.error({ src: 'bolt' }, fmt(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** The Slack adapter; see the module comment. */
export class SlackAdapter implements Adapter {
  /** The platform it serves. */
  readonly platform = 'slack' as const;
  /** Its name in start-up errors. */
  readonly name = 'Slack';
  /** The Bolt app (exposed for tests and for registering extra listeners). */
  readonly app: App;
  private readonly dispatcher: SlackDispatcher;
  private readonly log: Logger;
  private readonly telemetry: Telemetry;
  /** Where the Web API is called (SLACK_API_URL or Slack's own), named when it cannot be reached. */
  private readonly apiUrl: string;
  private readonly socketMode: boolean;
  private readonly httpReceiver: HTTPReceiver | undefined;
  private readonly delivery: webApi.WebClient;
  private readonly interactive: webApi.WebClient;
  private readonly channelClient: webApi.WebClient;
  private readonly pacer: ChannelPacer;
  private readonly slashToCore = new Map<string, string>();
  private readonly catchAll: string | null;
  private readonly groupRoles: ReadonlyMap<string, Role>;
  private readonly groupCacheMs: number;
  private readonly groupCache = new Map<string, { at: number; members: Promise<Set<string>> }>();
  private readonly claims: Claims;
  private readonly threads: ThreadMap;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly startQueue: Array<() => void> = [];
  private readonly portWanted: number;
  private readonly host: string | undefined;
  private server: Server | undefined;
  /** The bot's own name as auth.test reports it, for "invite @…" hints. */
  private botName = 'dockhand';

  constructor(opts: SlackAdapterOptions) {
    this.dispatcher = opts.dispatcher;
    this.claims = opts.coordination?.claims ?? new MemoryClaims();
    this.threads = opts.coordination?.threads ?? new MemoryThreadMap();
    this.log = (opts.log ?? silentLogger).child({ adapter: 'slack' });
    this.telemetry = opts.telemetry ?? noTelemetry;
    this.socketMode = opts.socketMode ?? Boolean(opts.appToken);
    this.catchAll = opts.catchAllCommand === undefined ? DEFAULT_CATCH_ALL : opts.catchAllCommand;
    this.groupRoles = opts.userGroupRoles ?? new Map();
    this.groupCacheMs = opts.userGroupCacheMs ?? 60_000;
    this.portWanted = opts.port ?? 3000;
    this.host = opts.host;
    for (const [core, slash] of Object.entries(opts.commands ?? DEFAULT_SLACK_COMMANDS)) this.slashToCore.set(slash.toLowerCase(), core);

    const logger = toBoltLogger(this.log);
    const apiUrl = opts.apiUrl;
    this.apiUrl = apiUrl ?? DEFAULT_SLACK_API_URL;
    const clientOptions: webApi.WebClientOptions = {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      // Interactive answers are worthless after a few seconds of retrying; give up early and log.
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    };
    let receiver: HTTPReceiver | SocketModeReceiver;
    if (this.socketMode) {
      if (!opts.appToken) throw new Error('Slack Socket Mode needs an app-level token (SLACK_APP_TOKEN, xapp-…)');
      receiver = new SocketModeReceiver({
        appToken: opts.appToken,
        logger,
        ...(opts.socketPingTimeoutMs ? { clientPingTimeout: opts.socketPingTimeoutMs } : {}),
        installerOptions: { clientOptions: { ...(apiUrl ? { slackApiUrl: apiUrl } : {}) } },
      });
    } else {
      if (!opts.signingSecret) throw new Error('Slack over HTTP needs the signing secret (SLACK_SIGNING_SECRET)');
      this.httpReceiver = new HTTPReceiver({ signingSecret: opts.signingSecret, endpoints: '/slack/events', logger });
      receiver = this.httpReceiver;
    }
    // Initialization (auth.test) waits for start(), so a bad token fails start() with a clear error
    // instead of surfacing as an unhandled rejection from the constructor.
    this.app = new App({ token: opts.botToken, receiver, logger, clientOptions, deferInitialization: true, convoStore: false });
    // Channel messages (alerts and follow-ups) go through this client and the per-channel pacer. It
    // never waits on a 429 itself: the pacer makes only that channel wait, and the outbox owns alert retries.
    this.delivery = new webApi.WebClient(opts.botToken, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      logger,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    // Interactive calls (views.open within its 3-second trigger, chat.postEphemeral, the user group
    // lookup before every command) get a client of their own. A WebClient that meets a 429 pauses its
    // whole queue, so sharing one with a busy follow would hold a modal back past its trigger.
    this.interactive = new webApi.WebClient(opts.botToken, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      logger,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    });
    // Follow-ups and thread parents: like the alert client, but worth a quick retry on a 5xx, since
    // a follow's lines have no outbox behind them.
    this.channelClient = new webApi.WebClient(opts.botToken, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      logger,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    });
    this.pacer = new ChannelPacer((e) => (e instanceof webApi.WebAPIRateLimitedError ? Math.max(0, e.retryAfter) * 1000 : undefined), opts.channelGapMs ?? 1_000);
    this.registerListeners();
  }

  /** The HTTP port in use (after start; undefined in Socket Mode). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  /** How the banner shows it: Socket Mode, or the HTTP port it listens on. */
  get label(): string {
    return `slack (${this.socketMode ? 'Socket Mode' : `HTTP on :${this.port ?? this.portWanted}`})`;
  }

  /** Team quiz reveals go to the channel like alerts; solo sessions were private to their player and are not resumed here. */
  quizTimerPost(place: QuizTimerPlace): PostFollowUp | undefined {
    if (place.mode !== 'team') return undefined;
    const target = this.alertTarget;
    let n = 0;
    return async (r) => {
      await target.deliver(place.channelId, r, { idempotencyKey: `quiz-resume:${place.channelId}:${++n}` });
    };
  }

  /** True when running in Socket Mode. */
  get usesSocketMode(): boolean {
    return this.socketMode;
  }

  /** Starts listening: the HTTP server on PORT, or the Socket Mode connection. */
  async start(): Promise<void> {
    try {
      await this.app.init();
    } catch (e) {
      const err = classifySlackError(e, 'auth.test');
      // Unreachable is not refused: say which URL did not answer, and promise no retry (start gives up here).
      if (err.code === 'network') {
        const cause = e instanceof webApi.WebAPIRequestError ? e.original.message : err.message;
        throw new Error(`could not reach Slack at ${this.apiUrl} (${cause}); check the network${this.apiUrl === DEFAULT_SLACK_API_URL ? '' : ' or SLACK_API_URL'}`, { cause: e });
      }
      throw new Error(`Slack would not accept the bot token: ${err.message}`, { cause: e });
    }
    try {
      const me = await this.interactive.auth.test();
      if (typeof me.user === 'string' && me.user) this.botName = me.user;
    } catch (e) {
      this.log.warn({ err: classifySlackError(e, 'auth.test').message }, 'slack: could not read the bot\'s own name; hints say @dockhand');
    }
    if (this.socketMode) {
      await this.app.start();
      this.log.info({}, 'slack: connected in Socket Mode');
      return;
    }
    const receiver = this.httpReceiver;
    if (!receiver) throw new Error('slack: no HTTP receiver');
    const server = createServer((req, res) => this.onHttp(receiver, req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portWanted, this.host, () => resolve());
    });
    this.server = server;
    this.log.info({ port: this.port }, 'slack: listening for events on POST /slack/events');
  }

  /** Stops listening and waits for answers still being sent. */
  async stop(): Promise<void> {
    if (this.socketMode) await this.app.stop();
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeIdleConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await this.idle();
  }

  /** Resolves when every slash command and button press taken so far has been answered. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Posts (or, with `updateTs`, edits) an alert message. Throws a SlackDeliveryError carrying
   * `permanent` and `retryAfterMs` so the outbox can retry or give up; never retries by itself.
   */
  async deliver(channelId: string, reply: Reply, opts: DeliverOptions = {}): Promise<{ ts: string }> {
    const msg = renderWithMention(reply, opts.mention);
    const what = opts.updateTs ? `slack chat.update in ${channelId} (${opts.updateTs})` : `slack chat.postMessage to ${channelId}`;
    try {
      if (opts.updateTs) {
        const updateTs = opts.updateTs;
        const r = await this.pacer.run(channelId, () => this.delivery.chat.update({ channel: channelId, ts: updateTs, text: msg.text, blocks: msg.blocks }), OUTBOX_PACE);
        return { ts: r.ts ?? updateTs };
      }
      const r = await this.pacer.run(channelId, () =>
        this.delivery.chat.postMessage({
          channel: channelId,
          text: msg.text,
          blocks: msg.blocks,
          unfurl_links: false,
          ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
        }),
        OUTBOX_PACE,
      );
      if (!r.ts) throw new Error('Slack accepted the message but returned no ts');
      return { ts: r.ts };
    } catch (e) {
      const err = classifySlackError(e, what);
      this.log.warn({ code: err.code, permanent: err.permanent, retryAfterMs: err.retryAfterMs, channel: channelId }, `slack delivery failed: ${err.message}`);
      throw err;
    }
  }

  /** This adapter as the alert outbox's delivery target (platform `slack`, message ref = ts). */
  get alertTarget(): DeliveryTarget {
    return {
      platform: 'slack',
      deliver: async (channelId: string, reply: Reply, o: DeliveryOptions) => {
        const r = await this.deliver(channelId, reply, {
          ...(o.threadOf ? { threadTs: o.threadOf } : {}),
          ...(o.updateOf ? { updateTs: o.updateOf } : {}),
          ...(o.mention ? { mention: o.mention } : {}),
        });
        return { messageRef: r.ts };
      },
    };
  }

  // ---- transport ----

  private onHttp(receiver: HTTPReceiver, req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    // Bolt refuses timestamps over 5 minutes old but not ones far in the future; a future
    // timestamp would let a captured request be replayed later, so it is refused here.
    const ts = Number(req.headers['x-slack-request-timestamp']);
    if (path === '/slack/events' && Number.isFinite(ts) && ts > Date.now() / 1000 + SLACK_STALE_SEC) {
      this.log.warn({ ts }, 'slack: request timestamp is in the future; refused');
      res.writeHead(401);
      res.end();
      return;
    }
    try {
      receiver.requestListener(req, res);
    } catch {
      res.writeHead(404);
      res.end();
    }
  }

  /** Counts how long after its arrival a request was acknowledged (Slack allows 3 s). */
  private acked(context: Record<string, unknown>): void {
    if (typeof context.arrivedAt === 'number') this.telemetry.acked('slack', Date.now() - context.arrivedAt);
  }

  private registerListeners(): void {
    this.app.use(async (args) => {
      // When the request reached dockhand, for the acknowledgement latency in GET /metrics.
      args.context.arrivedAt = Date.now();
      const body = args.body as { trigger_id?: unknown; event_id?: unknown; type?: unknown; actions?: Array<{ action_ts?: unknown }> };
      const key = typeof body.trigger_id === 'string' ? `t:${body.trigger_id}` : typeof body.event_id === 'string' ? `e:${body.event_id}` : undefined;
      // Claimed in the database: a retry, or the same envelope on another replica's connection, runs nowhere else.
      if (key && !(await this.claims.claim(`slack:${key}`, Date.now(), SEEN_TTL_MS))) {
        this.log.info({ key, retryNum: args.context.retryNum, retryReason: args.context.retryReason }, 'slack: repeated delivery of a request already taken; not run again');
        const ack = (args as { ack?: () => Promise<void> }).ack;
        if (ack) await ack();
        return;
      }
      await args.next();
    });

    this.app.command(/^\/.+/, async ({ command, ack, respond, context }) => {
      await ack();
      this.acked(context);
      // Slack escapes &, < and > and sends mentions as control sequences; commands parse what was typed.
      const text = this.commandLine(command.command, decodeSlackText(command.text));
      const conv: Conversation = { channelId: command.channel_id, userId: command.user_id, respond, responseUrl: command.response_url, fromButton: false, text: text ?? undefined, link: newLink() };
      await this.track(async () => {
        if (text === null) {
          await this.send(conv, textReply(`dockhand has no command ${command.command}. Try ${this.catchAll ?? '/ecs'} help.`, { visibility: 'ephemeral' }));
          return;
        }
        const caller = await this.caller(command.team_id, command.channel_id, command.user_id, command.user_name);
        const result = await this.dispatcher.run(text, caller);
        await this.answer(result, conv);
      }, conv);
    });

    this.app.action({ type: 'block_actions', action_id: new RegExp(`^${ACTION_ID_PREFIX}:`) }, async ({ action, body, ack, respond, context }) => {
      await ack();
      this.acked(context);
      const value = action.type === 'button' ? actionFromValue(action.action_id, action.value) : null;
      if (value === null) return;
      const container = body.container as { channel_id?: string; message_ts?: string } | undefined;
      const channelId = body.channel?.id ?? container?.channel_id ?? '';
      const conv: Conversation = {
        channelId,
        userId: body.user.id,
        respond,
        responseUrl: body.response_url,
        fromButton: true,
        text: undefined,
        link: newLink(),
      };
      await this.track(async () => {
        // The trigger_id lasts about 3 seconds, so the modal opens before anything slower happens.
        const ask = parseAskValue(value);
        if (ask && (await this.openAsk(body.trigger_id, ask, action.type === 'button' ? decodeSlackEntities(action.text.text) : '', channelId, body.response_url))) return;
        const teamId = body.team?.id ?? body.user.team_id ?? '';
        const name = body.user.username ?? body.user.name ?? body.user.id;
        const caller = await this.caller(teamId, channelId, body.user.id, name);
        const result = await this.dispatcher.press(ask ? `${ASK_PREFIX}${ask.command}` : value, caller);
        await this.answer(result, conv);
      }, conv);
    });

    this.app.view({ type: 'view_submission', callback_id: ASK_CALLBACK_ID }, async ({ ack, body, view, context }) => {
      const ctx = readAskMetadata(view.private_metadata);
      const text = (view.state.values[ASK_BLOCK_ID]?.[ASK_INPUT_ID]?.value ?? '').trim();
      if (ctx && !text) {
        // The modal stays open with the message under the field, and what was typed is kept.
        await ack({ response_action: 'errors', errors: { [ASK_BLOCK_ID]: 'Write something first: an empty answer cannot be sent.' } });
        return;
      }
      await ack();
      this.acked(context);
      if (!ctx) {
        this.log.warn({ user: body.user.id }, 'slack: a dockhand modal came back without its context; nothing was run');
        return;
      }
      const conv: Conversation = {
        channelId: ctx.channelId,
        userId: body.user.id,
        respond: ctx.responseUrl ? respondVia(ctx.responseUrl) : undefined,
        ...(ctx.responseUrl ? { responseUrl: ctx.responseUrl } : {}),
        fromButton: false,
        // The typed text may be private (an interview answer), so a channel note names only the command.
        text: `${ctx.command} …`,
        apiFirst: true,
        // The press already used the saved link once.
        link: { ...newLink(), uses: 1 },
      };
      await this.track(async () => {
        const teamId = body.team?.id ?? body.user.team_id ?? '';
        const caller = await this.caller(teamId, ctx.channelId, body.user.id, body.user.name ?? body.user.id);
        const result = await this.dispatcher.run(askCommandLine(ctx.command, text), caller);
        await this.answer(result, conv);
      }, conv);
    });

    this.app.error(async (e) => {
      this.log.error({ err: e }, 'slack: unhandled error in Bolt');
    });
  }

  /** Turns a slash command into the core's command line, or null when it is not one of ours. */
  private commandLine(slash: string, text: string): string | null {
    const s = slash.toLowerCase();
    const core = this.slashToCore.get(s);
    if (core) return `/${core} ${text}`.trim();
    if (this.catchAll && s === this.catchAll.toLowerCase()) {
      const t = text.trim().replace(/^\//, '');
      return t ? `/${t}` : '/help';
    }
    return null;
  }

  private afterAcks(start: () => void): void {
    this.startQueue.push(start);
    if (this.startQueue.length === 1) setImmediate(this.drainStarts);
  }

  private readonly drainStarts = (): void => {
    const next = this.startQueue.shift();
    next?.();
    if (this.startQueue.length > 0) setImmediate(this.drainStarts);
  };

  private async track(work: () => Promise<void>, conv: Conversation): Promise<void> {
    const p = (async () => {
      try {
        // Acks come first: work starts one item per event-loop turn, so requests already waiting
        // are read and acked between the starts instead of queueing behind a burst's work.
        await new Promise<void>((r) => this.afterAcks(r));
        await work();
      } catch (e) {
        this.log.error({ err: e, channel: conv.channelId, user: conv.userId }, 'slack: could not answer');
        await this.send(conv, textReply('⚠️ dockhand could not answer this one; the details are in its log.', { visibility: 'ephemeral' })).catch(() => undefined);
      }
    })();
    this.inFlight.add(p);
    try {
      await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /**
   * Opens the modal of an `ask:` button. False when it cannot (the trigger expired, the context is
   * too long for Slack), so the press falls back to the dispatcher's "type this" hint.
   */
  private async openAsk(triggerId: string, ask: AskButton, label: string, channelId: string, responseUrl: string | undefined): Promise<boolean> {
    const view = askModal(ask, label, { command: ask.command, channelId, ...(responseUrl ? { responseUrl } : {}) });
    if (!view) return false;
    try {
      await this.interactive.views.open({ trigger_id: triggerId, view });
      return true;
    } catch (e) {
      this.log.warn({ err: classifySlackError(e, 'views.open').message, channel: channelId }, 'slack: could not open the answer form; telling the user what to type instead');
      return false;
    }
  }

  // ---- identity ----

  private async caller(teamId: string, channelId: string, userId: string, displayName: string): Promise<Caller> {
    const caller: Caller = { platform: 'slack', workspaceId: teamId, channelId, userId, displayName: displayName || userId };
    const roles = await this.groupRolesOf(userId);
    if (roles.length > 0) caller.platformRoles = roles;
    return caller;
  }

  private async groupRolesOf(userId: string): Promise<Role[]> {
    const roles: Role[] = [];
    for (const [group, role] of this.groupRoles) {
      const members = await this.groupMembers(group);
      if (members.has(userId)) roles.push(role);
    }
    return roles;
  }

  private groupMembers(group: string): Promise<Set<string>> {
    const cached = this.groupCache.get(group);
    if (cached && Date.now() - cached.at < this.groupCacheMs) return cached.members;
    // The promise is cached, not the result, so a burst of commands makes one lookup, not one each.
    const members = this.interactive.usergroups.users.list({ usergroup: group }).then(
      (r) => new Set(r.users ?? []),
      async (e: unknown) => {
        // Without the membership list nobody gets the group's role: failing closed is the safe side.
        this.log.warn({ group, err: classifySlackError(e, 'usergroups.users.list').message }, 'slack: could not read user group; its role is not granted');
        this.groupCache.delete(group);
        return cached ? cached.members : new Set<string>();
      },
    );
    this.groupCache.set(group, { at: Date.now(), members });
    return members;
  }

  // ---- answering ----

  private async answer(result: DispatchResult, conv: Conversation): Promise<void> {
    const { reply } = result;
    if (reply.thread?.parent && reply.visibility === 'channel' && !(conv.fromButton && reply.replaceOriginal)) {
      // A reply that starts a thread is posted through the Web API, the one way to learn its ts.
      await this.postOrRespond(conv, reply);
    } else {
      await this.send(conv, reply);
    }
    if (result.followUp) await result.followUp((r) => this.postFollowUp(conv, r), this.handleOf(conv));
  }

  /** Where a follow-up's messages go, as data a replica that takes the job over can use. */
  private handleOf(conv: Conversation): ConversationHandle {
    return { platform: 'slack', channelId: conv.channelId, userId: conv.userId, ...(conv.responseUrl ? { responseUrl: conv.responseUrl } : {}) };
  }

  /** Posts the messages of a follow-up another replica started: into its channel (and thread), as the first replica would. */
  resumePost(handle: ConversationHandle): PostFollowUp | undefined {
    if (handle.platform !== 'slack') return undefined;
    const conv: Conversation = {
      channelId: handle.channelId,
      userId: handle.userId ?? '',
      respond: handle.responseUrl ? respondVia(handle.responseUrl) : undefined,
      fromButton: false,
      text: undefined,
      link: newLink(),
    };
    return (r) => this.postFollowUp(conv, r);
  }

  /** The first answer: through response_url, which shows the command to the channel and works in any channel. */
  private async send(conv: Conversation, reply: Reply): Promise<void> {
    // A response_url answer cannot carry a file, so a reply with a chart goes through the Web API when it can.
    const attach = imagesOf(reply).length > 0 && reply.visibility === 'channel' && !conv.noUpload;
    if ((conv.apiFirst || attach) && conv.respond) {
      try {
        await this.postViaApi(conv, reply, attach && !conv.apiFirst);
        return;
      } catch (e) {
        const err = classifySlackError(e, `chat.${reply.visibility === 'ephemeral' ? 'postEphemeral' : 'postMessage'} to ${conv.channelId}`);
        if (!err.permanent) throw err;
        if (err.code === 'not_in_channel') conv.link.notInChannel = true;
        this.log.info({ code: err.code, channel: conv.channelId }, 'slack: cannot post in this channel; answering through the saved response_url');
        return this.send({ ...conv, apiFirst: false, noUpload: true }, reply);
      }
    }
    const link = conv.link;
    if (conv.respond && link.notInChannel && (link.uses >= RESPONSE_URL_USES || Date.now() - link.since > RESPONSE_URL_TTL_MS)) {
      // The Web API refused the channel and the link is spent: nothing can reach it any more.
      throw new ConversationClosed(`the response_url of this command in ${conv.channelId} is used up and the bot is not in the channel`);
    }
    if (conv.respond && link.uses < RESPONSE_URL_USES) {
      link.uses++;
      if (link.notInChannel && link.uses === RESPONSE_URL_USES) reply = { ...reply, blocks: [...reply.blocks, { kind: 'context', text: this.lastUseNote(conv) }] };
      const msg = renderReply(reply);
      const args: RespondArguments = {
        text: msg.text,
        blocks: msg.blocks,
        response_type: reply.visibility === 'ephemeral' ? 'ephemeral' : 'in_channel',
        replace_original: Boolean(conv.fromButton && reply.replaceOriginal),
      };
      try {
        await conv.respond(args);
        return;
      } catch (e) {
        if (link.notInChannel) throw new ConversationClosed(`the response_url of this command in ${conv.channelId} failed (${e instanceof Error ? e.message : String(e)}) and the bot is not in the channel`);
        this.log.warn({ err: e instanceof Error ? e.message : String(e), channel: conv.channelId }, 'slack: response_url failed; answering through the Web API');
      }
    }
    await this.postViaApi(conv, reply, false);
  }

  /** Posts through the Web API; where the bot may not post, falls back to response_url (and the thread is lost). */
  private async postOrRespond(conv: Conversation, reply: Reply, first = true): Promise<void> {
    // Slack already said the bot is not in this channel: asking again would only cost a call.
    if (conv.link.notInChannel && conv.respond) return this.send({ ...conv, fromButton: false, apiFirst: false }, reply);
    try {
      await this.postViaApi(conv, reply, first);
    } catch (e) {
      const err = classifySlackError(e, `chat.postMessage to ${conv.channelId}`);
      if (!err.permanent || !conv.respond) throw err;
      if (err.code === 'not_in_channel') conv.link.notInChannel = true;
      this.log.info({ code: err.code, channel: conv.channelId }, 'slack: cannot post in this channel; answering through response_url instead');
      await this.send({ ...conv, fromButton: false, apiFirst: false }, reply);
    }
  }

  /**
   * Later messages of a command. They go through the Web API, which has no use limit (response_url
   * allows five), into the thread their hint names or else into the channel.
   */
  private async postFollowUp(conv: Conversation, reply: Reply): Promise<void> {
    await this.postOrRespond(conv, reply, false);
  }

  /**
   * Posts through the Web API. A reply too long for one message continues in thread replies under
   * it (or, for an ephemeral reply or one already in a thread, in the next messages there).
   */
  private async postViaApi(conv: Conversation, reply: Reply, ranBy: boolean, threadGone = false): Promise<void> {
    const threadTs = threadGone ? undefined : await this.threadTsFor(conv.channelId, reply);
    const thread = threadTs ? { thread_ts: threadTs } : {};
    const [first, ...rest] = this.apiMessages(conv, reply, ranBy, reply.visibility === 'channel' && !threadTs ? 'thread' : 'below');
    if (!first) return;
    if (reply.visibility === 'ephemeral') {
      await this.interactive.chat.postEphemeral({ channel: conv.channelId, user: conv.userId, text: first.text, blocks: first.blocks, ...thread });
      await this.postRest(conv, rest, 'chat.postEphemeral', (m) => this.interactive.chat.postEphemeral({ channel: conv.channelId, user: conv.userId, text: m.text, blocks: m.blocks, ...thread }));
      return;
    }
    // Channel messages wait their turn in the channel (and out its 429s, a few times) so a follow keeps its lines.
    const post = (m: SlackMessage, under: string | undefined): Promise<{ ts?: string }> =>
      this.pacer.run(conv.channelId, () => this.channelClient.chat.postMessage({ channel: conv.channelId, text: m.text, blocks: m.blocks, unfurl_links: false, ...(under ? { thread_ts: under } : {}) }), { retries: 3 });
    let r: { ts?: string };
    try {
      r = await post(first, threadTs);
    } catch (e) {
      if (!threadTs || classifySlackError(e, 'chat.postMessage').code !== 'thread_not_found') throw e;
      // Someone deleted the thread's first message: the rest goes to the channel and opens a thread of its own there.
      this.log.info({ channel: conv.channelId }, 'slack: the thread of this message is gone (its first message was deleted); posting in the channel instead');
      const note: Reply['blocks'][number] = { kind: 'context', text: 'The thread this was posted to is gone (its first message was deleted), so it continues here.' };
      return this.postViaApi(conv, { ...reply, blocks: [...reply.blocks, note] }, ranBy, true);
    }
    if (r.ts && reply.thread && (reply.thread.parent || threadGone)) await this.threads.remember(conv.channelId, reply.thread.key, r.ts, Date.now());
    for (const image of imagesOf(reply)) await this.attach(conv.channelId, image, threadTs);
    const under = threadTs ?? r.ts;
    await this.postRest(conv, rest, 'chat.postMessage', (m) => post(m, under));
  }

  /**
   * Posts the later parts of a long reply. The first part is out already, so a failure here is logged
   * and ends the parts rather than thrown: a caller falling back to response_url would repeat the first.
   */
  private async postRest(conv: Conversation, rest: readonly SlackMessage[], method: string, post: (m: SlackMessage) => Promise<unknown>): Promise<void> {
    for (const [i, m] of rest.entries()) {
      try {
        await post(m);
      } catch (e) {
        const err = classifySlackError(e, `${method} to ${conv.channelId}`);
        this.log.warn({ code: err.code, channel: conv.channelId, left: rest.length - i }, `slack: the rest of a long answer could not be posted: ${err.message}`);
        return;
      }
    }
  }

  /** Uploads a chart next to the message it belongs to; when Slack refuses, says why in the channel instead. */
  private async attach(channelId: string, image: ImageBlock, threadTs: string | undefined): Promise<void> {
    try {
      await uploadImage(this.app.client, image, { channel: channelId, ...(threadTs ? { threadTs } : {}) });
    } catch (e) {
      const err = classifySlackError(e, `files upload to ${channelId}`);
      this.log.warn({ code: err.code, channel: channelId }, `slack: chart upload failed: ${err.message}`);
      const why = err.code === 'missing_scope' ? 'the app lacks the files:write scope (add it in the manifest and reinstall)' : `Slack answered ${err.code ?? 'an error'}`;
      // The title and alt carry names from the command line, so they are escaped like every other text.
      await this.app.client.chat.postMessage({ channel: channelId, text: escapeMrkdwn(`📈 ${image.title}: the chart could not be attached: ${why}. ${image.alt}`), ...(threadTs ? { thread_ts: threadTs } : {}) });
    }
  }

  /** The thread a reply's hint names, when its parent went out through the Web API (on any replica). */
  private async threadTsFor(channelId: string, reply: Reply): Promise<string | undefined> {
    if (!reply.thread || reply.thread.parent) return undefined;
    return this.threads.find(channelId, reply.thread.key);
  }

  /** What the fifth and last use of a response_url says, in a channel the bot is not in. */
  private lastUseNote(conv: Conversation): string {
    const invite = `/invite @${this.botName}`;
    if (conv.text && /\s--follow\b/.test(conv.text)) {
      return `Slack lets dockhand answer a command 5 times in a channel it is not in, so this follow stops here: invite @${this.botName} (${invite}) to follow logs here.`;
    }
    return `Slack lets dockhand answer a command 5 times in a channel it is not in, and this was the last: invite @${this.botName} (${invite}) for more.`;
  }

  /**
   * A reply rendered for the Web API: parts within its block-text budget (block-text.ts), the first
   * with room for the "ran by" note; `continuation` says where the later parts will be posted.
   */
  private apiMessages(conv: Conversation, reply: Reply, ranBy: boolean, continuation: Continuation): SlackMessage[] {
    // Web API posts to the channel get their charts uploaded next to them; ephemeral ones cannot.
    const images = reply.visibility === 'channel' ? 'attached' : 'left-out';
    if (!ranBy) return renderReplyParts(reply, { budget: WEB_API_BLOCK_TEXT_BUDGET, images, continuation });
    const [first, ...rest] = renderReplyParts(reply, { budget: WEB_API_BLOCK_TEXT_BUDGET, reserveBlocks: 1, reserveChars: RAN_BY_MAX, images, continuation });
    return first ? [this.withRanBy(first, conv), ...rest] : rest;
  }

  /** Messages posted through the Web API do not show the command that caused them, so we add it. */
  private withRanBy(msg: SlackMessage, conv: Conversation): SlackMessage {
    if (!conv.text || msg.blocks.length >= SLACK_LIMITS.blocks) return msg;
    // The caller's own mention may ping them; the command they typed is escaped, so nothing in it pings anyone.
    // Cut after escaping (never inside an entity), so 200 typed `&` cannot grow to 1,000 characters past RAN_BY_MAX.
    const cmd = cutText(escapeMrkdwn(conv.text.replace(/`/g, "'")), 200);
    return { ...msg, blocks: [...msg.blocks, { type: 'context', elements: [mrkdwn(`<@${conv.userId}> ran \`${cmd}\``)] }] };
  }
}

/** The pictures of a reply, in order. */
function imagesOf(reply: Reply): ImageBlock[] {
  return reply.blocks.filter((b): b is ImageBlock & { kind: 'image' } => b.kind === 'image');
}
