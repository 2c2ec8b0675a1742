/**
 * A local stand-in for Discord: the REST API under /api/v10 and a WebSocket gateway, on 127.0.0.1,
 * strict where Discord is strict (limits, tokens, the 3-second answer, the 15-minute interaction
 * token, nonces, thread rules, rate limits). The real discord.js client connects to it with
 * `rest.api = <apiUrl>`; the gateway URL comes from GET /gateway/bot as from Discord.
 * Each rule names the page of https://discord.com/developers/docs that states it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkCommand, checkMessage, pingsOf, type DiscordRefusal } from './discord-limits.ts';

/** A stored message. */
export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: Array<{ title?: string; description?: string; fields?: Array<{ name: string; value: string }> }>;
  components: Array<{ type: 1; components: Array<{ type: 2; custom_id: string; label: string; style: number }> }>;
  flags: number;
  /** Files uploaded with it (multipart `files[n]`), with the description payload_json gave each. */
  attachments?: FakeAttachment[];
  nonce?: string;
  /** Mentions that notified someone when it was posted (see pingsOf). */
  pings: string[];
  /** For interaction messages: the interaction whose token wrote it. */
  interactionId?: string;
  /** Set when the message was deleted. */
  deleted?: boolean;
  /** Edits so far. */
  edits: number;
  createdAt: number;
}

/** A file uploaded with a message. */
export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  content_type?: string;
  description?: string;
  /** The bytes, for assertions (a real attachment has a CDN URL instead). */
  data: Uint8Array;
}

/** One recorded call, for assertions. */
export interface Call {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  status: number;
  at: number;
}

/** A member of the fake guild. */
export interface FakeUser {
  id: string;
  username: string;
  roles?: string[];
}

/** An interaction the stand-in sent and what became of it. */
export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  createdAt: number;
  /** performance.now() when INTERACTION_CREATE went out (for latency figures). */
  sentAt: number;
  channelId: string;
  user: FakeUser;
  /** The first callback: its type, its body, when. */
  callback?: { type: number; data: Record<string, unknown> | undefined; at: number; /** performance.now() when it arrived. */ perfAt: number };
  /** The original response message (after a type 4/5 callback). */
  original?: FakeMessage;
  /** Follow-up messages through the webhook. */
  followUps: FakeMessage[];
  /** For a button press: the message the button sat on. */
  source?: FakeMessage;
}

interface Channel {
  id: string;
  type: number;
  guildId?: string;
  parentId?: string;
  /** Permissions the bot lacks there (Discord answers 50001 / 50013). */
  missing: Set<'view' | 'send' | 'threads'>;
}

interface GatewayClient {
  ws: WebSocket;
  identified: boolean;
  sessionId?: string;
  intents: number;
}

const TOKEN_TTL_MS = 15 * 60_000;
const ANSWER_WITHIN_MS = 3_000;
const NONCE_WINDOW_MS = 5 * 60_000;

let increment = 0n;
/**
 * A new snowflake: milliseconds since Discord's epoch (2015) shifted left 22 bits, plus a counter
 * (https://discord.com/developers/docs/reference#snowflakes). discord.js reads creation times from it.
 */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - 1_420_070_400_000n) << 22n) | increment).toString();
}

/** Options of the stand-in. */
export interface FakeDiscordOptions {
  /** The bot token Discord accepts. */
  token?: string;
  /** Extra text channels of the guild. */
  channels?: string[];
  /** The guild's members. */
  users?: FakeUser[];
}

/** The stand-in; see the module comment. */
export class FakeDiscord {
  readonly token: string;
  readonly applicationId = snowflake();
  readonly botUserId = snowflake();
  readonly guildId = snowflake();
  /** The default text channel. */
  readonly channelId = snowflake();
  readonly calls: Call[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  /** Registered commands: `global` or a guild id → the array last PUT. */
  readonly commands = new Map<string, Array<Record<string, unknown>>>();
  readonly channels = new Map<string, Channel>();
  readonly users = new Map<string, FakeUser>();
  /** Gateway connections opened (a resume opens a new one). */
  connections = 0;
  /** RESUME payloads accepted. */
  resumes = 0;
  /** The intents of every IDENTIFY accepted, in order. */
  readonly identified: number[] = [];
  /** Interaction tokens the stand-in treats as older than 15 minutes. */
  readonly expiredTokens = new Set<string>();
  /** Added to the age of every interaction token, so a test ages tokens past 15 minutes without waiting. */
  tokenAgeOffsetMs = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private clients = new Set<GatewayClient>();
  private seq = 0;
  private readonly sent: Array<{ s: number; t: string; d: unknown }> = [];
  private readonly sessions = new Set<string>();
  private rateLimits: Array<{ match: RegExp; retryAfter: number; times: number }> = [];
  private failures: Array<{ match: RegExp; status: number; code: number; message: string; times: number }> = [];
  private lostAnswers: Array<{ match: RegExp; times: number }> = [];
  private readonly waiters = new Set<() => void>();
  /** How long the stand-in waits before answering a REST call, ms (for latency measurements). */
  delayMs = 0;

  constructor(opts: FakeDiscordOptions = {}) {
    this.token = opts.token ?? 'test-bot-token.discord.fake';
    this.channels.set(this.channelId, { id: this.channelId, type: 0, guildId: this.guildId, missing: new Set() });
    for (const name of opts.channels ?? []) this.channels.set(name, { id: name, type: 0, guildId: this.guildId, missing: new Set() });
    for (const u of opts.users ?? []) this.users.set(u.id, u);
  }

  /** The REST base to give discord.js (`rest.api`), without `/v10`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  /** Starts listening on 127.0.0.1 (an ephemeral port). */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.onHttp(req, res));
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/gateway')) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws, req));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.server = server;
    this.wss = wss;
  }

  /** Closes every connection and the server. */
  async stop(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Adds a text channel (optionally lacking some of the bot's permissions). */
  addChannel(id: string, missing: Array<'view' | 'send' | 'threads'> = [], type = 0): void {
    this.channels.set(id, { id, type, ...(type === 1 ? {} : { guildId: this.guildId }), missing: new Set(missing) });
  }

  /** The next `times` calls whose `METHOD path` matches answer 429 with this retry_after (seconds). */
  rateLimit(match: RegExp, retryAfterSec: number, times = 1): void {
    this.rateLimits.push({ match, retryAfter: retryAfterSec, times });
  }

  /** The next `times` calls whose `METHOD path` matches fail with this status and Discord error code. */
  fail(match: RegExp, status: number, code: number, message: string, times = 1): void {
    this.failures.push({ match, status, code, message, times });
  }

  /**
   * The next `times` calls whose `METHOD path` matches take effect, but their answer is lost: the
   * client gets a 502, as from a gateway timeout at Discord's edge after the API did the work. A
   * repeated create then makes a second message unless it carries a nonce with enforce_nonce
   * (https://discord.com/developers/docs/resources/message#create-message-jsonform-params).
   */
  loseAnswer(match: RegExp, times = 1): void {
    this.lostAnswers.push({ match, times });
  }

  /** Resolves when `check` holds (checked after every call and gateway message), or rejects after `ms`. */
  async waitFor<T>(check: () => T | undefined | false, ms = 10_000, what = 'a condition'): Promise<T> {
    const first = check();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`the Discord stand-in did not see ${what} within ${ms} ms`));
      }, ms);
      const w = (): void => {
        const v = check();
        if (v) {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(v);
        }
      };
      this.waiters.add(w);
    });
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Messages of a channel in order, deleted ones left out. */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId && !m.deleted);
  }

  /** All visible text of a message (content, titles, descriptions, fields). */
  static text(m: FakeMessage | undefined): string {
    if (!m) return '';
    return [m.content, ...m.embeds.flatMap((e) => [e.title ?? '', e.description ?? '', ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`)])].filter(Boolean).join('\n');
  }

  // ---- gateway ----

  /** Asks every connected client to reconnect and resume (opcode 7, https://discord.com/developers/docs/events/gateway#reconnect). */
  reconnect(): void {
    for (const c of this.clients) c.ws.send(JSON.stringify({ op: 7, d: null }));
  }

  /** How many gateway connections have identified or resumed. */
  get ready(): number {
    return [...this.clients].filter((c) => c.identified).length;
  }

  private dispatch(t: string, d: unknown, to?: GatewayClient): void {
    const s = ++this.seq;
    this.sent.push({ s, t, d });
    if (this.sent.length > 1000) this.sent.shift();
    for (const c of to ? [to] : this.clients) if (c.identified) c.ws.send(JSON.stringify({ op: 0, t, s, d }));
  }

  private onGateway(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    // https://discord.com/developers/docs/events/gateway#connecting — v=10 and encoding=json; this stand-in does no compression.
    if (url.searchParams.get('v') !== '10' || url.searchParams.get('encoding') !== 'json' || url.searchParams.has('compress')) {
      ws.close(4012, 'Invalid API version or encoding');
      return;
    }
    this.connections++;
    const client: GatewayClient = { ws, identified: false, intents: 0 };
    this.clients.add(client);
    ws.on('close', () => {
      this.clients.delete(client);
      this.changed();
    });
    // https://discord.com/developers/docs/events/gateway#hello-event — opcode 10 first, with the heartbeat interval.
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    ws.on('message', (raw) => {
      let p: { op: number; d: Record<string, unknown> | null };
      try {
        p = JSON.parse(String(raw)) as typeof p;
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      if (p.op === 1) {
        // https://discord.com/developers/docs/events/gateway#sending-heartbeats — answered with opcode 11.
        ws.send(JSON.stringify({ op: 11 }));
        return;
      }
      if (p.op === 2) {
        const d = p.d ?? {};
        // https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes — 4004 Authentication failed.
        if (d.token !== this.token) return ws.close(4004, 'Authentication failed.');
        if (client.identified) return ws.close(4005, 'Already authenticated.');
        client.identified = true;
        client.intents = Number(d.intents ?? 0);
        this.identified.push(client.intents);
        client.sessionId = snowflake();
        this.sessions.add(client.sessionId);
        // https://discord.com/developers/docs/events/gateway-events#ready
        this.dispatch(
          'READY',
          {
            v: 10,
            user: { id: this.botUserId, username: 'dockhand', discriminator: '0', global_name: null, avatar: null, bot: true, flags: 0 },
            guilds: [{ id: this.guildId, unavailable: true }],
            session_id: client.sessionId,
            resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
            shard: [0, 1],
            application: { id: this.applicationId, flags: 0 },
          },
          client,
        );
        // https://discord.com/developers/docs/events/gateway#list-of-intents — GUILD_CREATE needs the GUILDS intent (1 << 0).
        if (client.intents & 1) this.dispatch('GUILD_CREATE', this.guildPayload(), client);
        this.changed();
        return;
      }
      if (p.op === 6) {
        const d = p.d ?? {};
        // https://discord.com/developers/docs/events/gateway#resuming — a known session and the same token, or INVALID_SESSION (op 9).
        if (d.token !== this.token || !this.sessions.has(String(d.session_id))) {
          ws.send(JSON.stringify({ op: 9, d: false }));
          return;
        }
        client.identified = true;
        client.sessionId = String(d.session_id);
        this.resumes++;
        const since = Number(d.seq ?? 0);
        for (const e of this.sent) if (e.s > since) ws.send(JSON.stringify({ op: 0, t: e.t, s: e.s, d: e.d }));
        this.dispatch('RESUMED', null, client);
        this.changed();
        return;
      }
      // Any other opcode from a client is refused, as Discord closes with 4001 Unknown opcode.
      if (![3, 4, 8, 31].includes(p.op)) ws.close(4001, 'Unknown opcode.');
    });
  }

  private guildPayload(): Record<string, unknown> {
    return {
      id: this.guildId,
      name: 'dockhand test guild',
      icon: null,
      owner_id: snowflake(),
      unavailable: false,
      member_count: this.users.size + 1,
      large: false,
      roles: [{ id: this.guildId, name: '@everyone', permissions: '0', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      channels: [...this.channels.values()].filter((c) => c.guildId).map((c) => ({ id: c.id, type: c.type, name: `channel-${c.id.slice(-4)}`, guild_id: this.guildId, position: 0, permission_overwrites: [] })),
      threads: [],
      members: [],
      emojis: [],
      stickers: [],
      features: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      joined_at: new Date().toISOString(),
      premium_tier: 0,
      preferred_locale: 'en-US',
      system_channel_flags: 0,
      nsfw_level: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
    };
  }

  // ---- interactions sent to the bot ----

  private baseInteraction(type: number, user: FakeUser, channelId: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): FakeInteraction {
    const id = snowflake();
    const token = `itok-${id}-${Math.random().toString(36).slice(2)}`;
    const ch = this.channels.get(channelId);
    const dm = ch?.type === 1;
    const userObj = { id: user.id, username: user.username, global_name: user.username, discriminator: '0', avatar: null };
    const payload: Record<string, unknown> = {
      id,
      application_id: this.applicationId,
      type,
      data,
      channel: { id: channelId, type: ch?.type ?? 0, ...(dm ? {} : { guild_id: this.guildId }) },
      channel_id: channelId,
      token,
      version: 1,
      app_permissions: '562949953421311',
      locale: 'en-US',
      // discord.js reads both of these on every interaction (see DESIGN.md's Discord facts).
      entitlements: [],
      authorizing_integration_owners: dm ? { '1': user.id } : { '0': this.guildId },
      context: dm ? 1 : 0,
      attachment_size_limit: 10_485_760,
      ...extra,
    };
    if (dm) payload.user = userObj;
    else {
      payload.guild_id = this.guildId;
      payload.guild_locale = 'en-US';
      // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object — member carries role ids.
      payload.member = { user: userObj, roles: user.roles ?? [], permissions: '2248473465835073', joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, nick: null, avatar: null };
    }
    const it: FakeInteraction = { id, token, type, createdAt: Date.now(), sentAt: performance.now(), channelId, user, followUps: [] };
    this.interactions.set(id, it);
    this.dispatch('INTERACTION_CREATE', payload);
    return it;
  }

  /** The registered definition of a command (guild first, then global); throws when it was never registered. */
  registered(name: string): Record<string, unknown> {
    const cmd = [...(this.commands.get(this.guildId) ?? []), ...(this.commands.get('global') ?? [])].find((c) => c.name === name);
    if (!cmd) throw new Error(`/${name} is not registered with the stand-in; register the commands first`);
    return cmd;
  }

  private commandData(name: string, sub: string | undefined, options: Record<string, string | number | boolean>, focused?: string): Record<string, unknown> {
    const cmd = this.registered(name);
    const subDef = sub ? ((cmd.options as Array<Record<string, unknown>> | undefined) ?? []).find((o) => o.name === sub && o.type === 1) : cmd;
    if (!subDef) throw new Error(`/${name} has no registered subcommand ${sub}`);
    const defs = (subDef.options as Array<Record<string, unknown>> | undefined) ?? [];
    // An interaction only carries options that were registered, with their registered types.
    const opts = Object.entries(options).map(([k, v]) => {
      const def = defs.find((d) => d.name === k);
      if (!def) throw new Error(`/${name} ${sub ?? ''} has no registered option ${k}`);
      return { name: k, type: def.type, value: v, ...(focused === k ? { focused: true } : {}) };
    });
    return { id: String(cmd.id ?? snowflake()), name, type: 1, options: sub ? [{ type: 1, name: sub, options: opts }] : opts };
  }

  /** A user runs a registered slash command (INTERACTION_CREATE type 2). */
  slash(user: FakeUser, name: string, sub: string | undefined, options: Record<string, string | number | boolean> = {}, channelId = this.channelId): FakeInteraction {
    return this.baseInteraction(2, user, channelId, this.commandData(name, sub, options));
  }

  /** A user types into an option with autocomplete (INTERACTION_CREATE type 4). */
  autocomplete(user: FakeUser, name: string, sub: string | undefined, options: Record<string, string | number | boolean>, focused: string, channelId = this.channelId): FakeInteraction {
    return this.baseInteraction(4, user, channelId, this.commandData(name, sub, options, focused));
  }

  /** A user presses a button on a message (INTERACTION_CREATE type 3); the custom_id must be on that message. */
  press(user: FakeUser, message: FakeMessage, label: string, customId?: string): FakeInteraction {
    const btn = message.components.flatMap((r) => r.components).find((b) => (customId ? b.custom_id === customId : b.label === label));
    if (!btn && !customId) throw new Error(`no button '${label}' on message ${message.id}: ${message.components.flatMap((r) => r.components.map((b) => b.label)).join(', ')}`);
    const id = btn?.custom_id ?? customId!;
    const it = this.baseInteraction(3, user, message.channel_id, { custom_id: id, component_type: 2 }, { message: this.apiMessage(message) });
    this.pressedIds.set(it.id, id);
    it.source = message;
    return it;
  }

  /** A user submits a modal this bot opened (INTERACTION_CREATE type 5). */
  submitModal(user: FakeUser, opened: FakeInteraction, value: string): FakeInteraction {
    const modal = opened.callback?.type === 9 ? opened.callback.data : undefined;
    if (!modal) throw new Error('that interaction did not open a modal');
    const rows = modal.components as Array<{ components: Array<{ custom_id: string }> }>;
    return this.baseInteraction(
      5,
      user,
      opened.channelId,
      { custom_id: modal.custom_id, components: rows.map((r) => ({ type: 1, components: r.components.map((c) => ({ type: 4, custom_id: c.custom_id, value })) })) },
      opened.source ? { message: this.apiMessage(opened.source) } : {},
    );
  }

  /** Waits for the first callback of an interaction. */
  answered(it: FakeInteraction, ms = 5_000): Promise<NonNullable<FakeInteraction['callback']>> {
    return this.waitFor(() => it.callback, ms, `a callback to interaction ${it.id}`);
  }

  private apiMessage(m: FakeMessage): Record<string, unknown> {
    return {
      id: m.id,
      channel_id: m.channel_id,
      content: m.content,
      embeds: m.embeds,
      components: m.components,
      flags: m.flags,
      author: { id: this.botUserId, username: 'dockhand', discriminator: '0', global_name: null, avatar: null, bot: true },
      timestamp: new Date(m.createdAt).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: (m.attachments ?? []).map(({ data: _data, ...a }) => ({ ...a, url: `https://cdn.discordapp.com/attachments/${m.channel_id}/${a.id}/${a.filename}` })),
      pinned: false,
      type: 0,
      ...(m.nonce ? { nonce: m.nonce } : {}),
    };
  }

  private store(channelId: string, body: Record<string, unknown>, extra: Partial<FakeMessage> = {}): FakeMessage {
    const m: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: (body.embeds as FakeMessage['embeds']) ?? [],
      components: (body.components as FakeMessage['components']) ?? [],
      flags: Number(body.flags ?? 0),
      ...(Array.isArray(body.attachments) && body.attachments.length > 0 ? { attachments: body.attachments as FakeAttachment[] } : {}),
      pings: pingsOf(body),
      edits: 0,
      createdAt: Date.now(),
      ...(typeof body.nonce === 'string' ? { nonce: body.nonce } : {}),
      ...extra,
    };
    this.messages.set(m.id, m);
    return m;
  }

  private edit(m: FakeMessage, body: Record<string, unknown>): void {
    if ('content' in body) m.content = typeof body.content === 'string' ? body.content : '';
    if ('embeds' in body) m.embeds = (body.embeds as FakeMessage['embeds']) ?? [];
    if ('components' in body) m.components = (body.components as FakeMessage['components']) ?? [];
    // An edit's uploads join the message (attachments it keeps are listed by id; dockhand keeps none).
    if (Array.isArray(body.attachments)) m.attachments = (body.attachments as FakeAttachment[]).filter((a) => a.data instanceof Uint8Array);
    m.edits++;
  }

  // ---- REST ----

  /** Reads a multipart body: payload_json, with each uploaded file placed in its `attachments` entry (under `data` for interaction callbacks). */
  private async multipart(bytes: Buffer, type: string): Promise<{ body: Record<string, unknown> } | { refusal: { status: number; body: Record<string, unknown> } }> {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { 'content-type': type } }).formData();
    } catch {
      return { refusal: { status: 400, body: { code: 50035, message: 'Invalid Form Body: malformed multipart body' } } };
    }
    const json = form.get('payload_json');
    let body: Record<string, unknown>;
    try {
      body = typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : {};
    } catch {
      return { refusal: { status: 400, body: { code: 50109, message: 'The request body contains invalid JSON.' } } };
    }
    const target = (body.data && typeof body.data === 'object' ? body.data : body) as Record<string, unknown>;
    const described = (target.attachments ?? []) as Array<{ id?: unknown; description?: unknown }>;
    const files: FakeAttachment[] = [];
    for (const [key, value] of form.entries()) {
      const n = /^files\[(\d+)\]$/.exec(key)?.[1];
      if (n === undefined || typeof value === 'string') continue;
      // Same page: a bot's uploads share the default file size limit (10 MiB); larger is 40005 Request entity too large.
      if (value.size > 10 * 1024 * 1024) return { refusal: { status: 413, body: { code: 40005, message: 'Request entity too large' } } };
      const meta = described.find((a) => String(a.id) === n);
      // https://discord.com/developers/docs/resources/message#attachment-object — description (alt text) up to 1024 characters.
      if (typeof meta?.description === 'string' && meta.description.length > 1024) return { refusal: { status: 400, body: { code: 50035, message: `Invalid Form Body: attachments.${n}.description: Must be 1024 or fewer in length.` } } };
      files.push({ id: snowflake(), filename: value.name, size: value.size, content_type: value.type || undefined, ...(typeof meta?.description === 'string' ? { description: meta.description } : {}), data: new Uint8Array(await value.arrayBuffer()) });
    }
    target.attachments = files;
    return { body };
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBytes = Buffer.concat(chunks);
    const raw = rawBytes.toString('utf8');
    let body: Record<string, unknown> | undefined;
    if (raw) {
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('multipart/form-data')) {
        // https://discord.com/developers/docs/reference#uploading-files — the JSON goes in `payload_json`,
        // each file in `files[n]`, and `attachments[].id` in the JSON names the n it describes.
        const parsed = await this.multipart(rawBytes, type);
        if ('refusal' in parsed) return this.send(res, req, undefined, parsed.refusal.status, parsed.refusal.body);
        body = parsed.body;
      } else if (!type.startsWith('application/json')) {
        return this.send(res, req, undefined, 400, { code: 50035, message: 'Invalid Form Body: expected application/json or multipart/form-data' });
      } else {
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return this.send(res, req, undefined, 400, { code: 50109, message: 'The request body contains invalid JSON.' });
        }
      }
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const url = new URL(req.url ?? '/', 'http://x');
    // discord.js percent-encodes path parts such as @original (DESIGN.md's Discord facts).
    const path = decodeURIComponent(url.pathname);
    const key = `${req.method} ${path}`;
    const limited = this.rateLimits.find((r) => r.match.test(key) && r.times > 0);
    if (limited) {
      limited.times--;
      // https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit — 429 with retry_after (seconds) and Retry-After.
      res.setHeader('Retry-After', String(Math.ceil(limited.retryAfter)));
      res.setHeader('X-RateLimit-Scope', 'user');
      res.setHeader('X-RateLimit-Limit', '5');
      res.setHeader('X-RateLimit-Remaining', '0');
      res.setHeader('X-RateLimit-Reset-After', String(limited.retryAfter));
      res.setHeader('X-RateLimit-Bucket', 'fake-bucket');
      return this.send(res, req, body, 429, { message: 'You are being rate limited.', retry_after: limited.retryAfter, global: false });
    }
    const failure = this.failures.find((f) => f.match.test(key) && f.times > 0);
    if (failure) {
      failure.times--;
      return this.send(res, req, body, failure.status, { code: failure.code, message: failure.message });
    }
    if (!path.startsWith('/api/v10/')) return this.send(res, req, body, 404, { code: 0, message: '404: Not Found' });
    const p = path.slice('/api/v10'.length);
    const interactionCallback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(p);
    const webhook = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(p);
    // https://discord.com/developers/docs/reference#authentication — bot calls carry "Authorization: Bot <token>";
    // interaction callbacks and webhook calls are authorized by their token instead.
    if (!interactionCallback && !webhook && req.headers.authorization !== `Bot ${this.token}`) {
      return this.send(res, req, body, 401, { code: 0, message: '401: Unauthorized' });
    }
    try {
      if (req.method === 'GET' && p === '/gateway/bot') {
        return this.send(res, req, body, 200, { url: `ws://127.0.0.1:${this.port}/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
      }
      if (req.method === 'GET' && p === '/applications/@me') {
        return this.send(res, req, body, 200, { id: this.applicationId, name: 'dockhand', bot_public: true, bot_require_code_grant: false, flags: 0 });
      }
      if (req.method === 'GET' && p === '/users/@me') {
        return this.send(res, req, body, 200, { id: this.botUserId, username: 'dockhand', discriminator: '0', bot: true });
      }
      if (interactionCallback) return this.onCallback(req, res, body, interactionCallback[1]!, interactionCallback[2]!, url.searchParams.get('with_response') === 'true');
      if (webhook) return this.onWebhook(req, res, body, webhook[1]!, webhook[2]!, webhook[3]);
      const cmds = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(p);
      if (cmds && req.method === 'PUT') return this.onCommands(req, res, body, cmds[1]!, cmds[2]);
      const thread = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(p);
      if (thread && req.method === 'POST') return this.onThread(req, res, body, thread[1]!, thread[2]!);
      const msg = /^\/channels\/(\d+)\/messages(?:\/(\d+))?$/.exec(p);
      if (msg) return this.onChannelMessage(req, res, body, msg[1]!, msg[2]);
      return this.send(res, req, body, 404, { code: 0, message: '404: Not Found' });
    } finally {
      this.changed();
    }
  }

  private send(res: ServerResponse, req: IncomingMessage, body: Record<string, unknown> | undefined, status: number, json: unknown): void {
    const lost = status < 300 ? this.lostAnswers.find((l) => l.match.test(`${req.method} ${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`) && l.times > 0) : undefined;
    if (lost) {
      lost.times--;
      status = 502;
      json = { message: '502: Bad Gateway', code: 0 };
    }
    this.calls.push({ method: req.method ?? '', path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname), body, status, at: Date.now() });
    if (status === 204) {
      res.writeHead(204);
      res.end();
    } else {
      // DESIGN.md's Discord facts: discord.js parses only application/json answers.
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    }
    this.changed();
  }

  private refuse(res: ServerResponse, req: IncomingMessage, body: Record<string, unknown> | undefined, r: DiscordRefusal): void {
    this.send(res, req, body, r.status, { code: r.code, message: r.message });
  }

  private onCallback(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined, id: string, token: string, withResponse: boolean): void {
    const it = this.interactions.get(id);
    // https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction —
    // an unknown interaction, a wrong token or an answer after 3 seconds is 10062 Unknown interaction.
    if (!it || it.token !== token || Date.now() - it.createdAt > ANSWER_WITHIN_MS) return this.send(res, req, body, 404, { code: 10062, message: 'Unknown interaction' });
    // Same page: one initial response per interaction (40060).
    if (it.callback) return this.send(res, req, body, 400, { code: 40060, message: 'Interaction has already been acknowledged.' });
    const type = Number(body?.type);
    const data = body?.data as Record<string, unknown> | undefined;
    // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type
    const allowed: Record<number, number[]> = { 2: [4, 5, 9], 3: [4, 5, 6, 7, 9], 4: [8], 5: [4, 5, 6, 7] };
    if (!(allowed[it.type] ?? []).includes(type)) return this.send(res, req, body, 400, { code: 50035, message: `Invalid Form Body: type ${type} is not a valid response to interaction type ${it.type}` });
    if (type === 4 || type === 7) {
      const bad = checkMessage(data ?? {}, { edit: type === 7 });
      if (bad) return this.refuse(res, req, body, bad);
    }
    if (type === 8) {
      const choices = (data?.choices ?? []) as Array<{ name?: string; value?: unknown }>;
      // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-autocomplete — at most 25 choices.
      if (choices.length > 25) return this.send(res, req, body, 400, { code: 50035, message: 'Invalid Form Body: data.choices: Must be 25 or fewer in length.' });
      if (choices.some((c) => !c.name || c.name.length > 100 || String(c.value).length > 100)) return this.send(res, req, body, 400, { code: 50035, message: 'Invalid Form Body: data.choices: name and value must be 1-100 characters' });
    }
    if (type === 9) {
      // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal — title ≤ 45, custom_id ≤ 100, 1–5 rows.
      const rows = (data?.components ?? []) as Array<{ components?: Array<{ label?: string; custom_id?: string; style?: number }> }>;
      if (!data || typeof data.title !== 'string' || data.title.length > 45 || typeof data.custom_id !== 'string' || data.custom_id.length > 100 || rows.length < 1 || rows.length > 5) {
        return this.send(res, req, body, 400, { code: 50035, message: 'Invalid Form Body: modal title ≤ 45, custom_id ≤ 100, 1-5 rows' });
      }
      if (rows.some((r) => (r.components ?? []).some((c) => !c.label || c.label.length > 45 || !c.custom_id))) return this.send(res, req, body, 400, { code: 50035, message: 'Invalid Form Body: text input label ≤ 45' });
    }
    it.callback = { type, data, at: Date.now(), perfAt: performance.now() };
    if (type === 4 || type === 5) {
      it.original = this.store(it.channelId, type === 4 ? (data ?? {}) : { content: '', flags: Number(data?.flags ?? 0) }, { interactionId: it.id });
    }
    if ((type === 6 || type === 7) && it.type === 3) {
      // The message the button sat on is the one updated.
      const pressed = this.pressedIds.get(it.id);
      const source = [...this.messages.values()].find((m) => !m.deleted && m.components.some((r) => r.components.some((c) => c.custom_id === pressed)));
      if (source && type === 7) this.edit(source, data ?? {});
      if (source) it.original = source;
    }
    if (!withResponse) return this.send(res, req, body, 204, undefined);
    return this.send(res, req, body, 200, {
      interaction: { id: it.id, type: it.type, response_message_loading: type === 5, response_message_ephemeral: (Number(data?.flags ?? 0) & 64) !== 0 },
      resource: { type, ...(it.original ? { message: this.apiMessage(it.original) } : {}) },
    });
  }

  private readonly pressedIds = new Map<string, string>();

  private onWebhook(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined, appId: string, token: string, messageId: string | undefined): void {
    const it = [...this.interactions.values()].find((x) => x.token === token);
    // https://discord.com/developers/docs/interactions/receiving-and-responding#followup-messages — the token works for 15 minutes.
    if (appId !== this.applicationId || !it || this.expiredTokens.has(token) || Date.now() + this.tokenAgeOffsetMs - it.createdAt > TOKEN_TTL_MS) {
      return this.send(res, req, body, 401, { code: 50027, message: 'Invalid Webhook Token' });
    }
    if (!messageId) {
      if (req.method !== 'POST') return this.send(res, req, body, 405, { code: 0, message: '405: Method Not Allowed' });
      // Follow-ups need the initial response first (Discord answers 10015 Unknown Webhook before it).
      if (!it.callback) return this.send(res, req, body, 404, { code: 10015, message: 'Unknown Webhook' });
      const bad = checkMessage(body ?? {});
      if (bad) return this.refuse(res, req, body, bad);
      const m = this.store(it.channelId, body ?? {}, { interactionId: it.id });
      it.followUps.push(m);
      return this.send(res, req, body, 200, this.apiMessage(m));
    }
    const target = messageId === '@original' ? it.original : it.followUps.find((f) => f.id === messageId);
    if (!target || target.deleted) return this.send(res, req, body, 404, { code: 10008, message: 'Unknown Message' });
    if (req.method === 'GET') return this.send(res, req, body, 200, this.apiMessage(target));
    if (req.method === 'DELETE') {
      target.deleted = true;
      return this.send(res, req, body, 204, undefined);
    }
    if (req.method === 'PATCH') {
      const bad = checkMessage(body ?? {}, { edit: true });
      if (bad) return this.refuse(res, req, body, bad);
      this.edit(target, body ?? {});
      if (target.pings.length === 0) target.pings = pingsOf(body ?? {});
      return this.send(res, req, body, 200, this.apiMessage(target));
    }
    return this.send(res, req, body, 405, { code: 0, message: '405: Method Not Allowed' });
  }

  private onCommands(req: IncomingMessage, res: ServerResponse, body: unknown, appId: string, guildId: string | undefined): void {
    if (appId !== this.applicationId) return this.send(res, req, undefined, 403, { code: 50001, message: 'Missing Access' });
    if (guildId && guildId !== this.guildId) return this.send(res, req, undefined, 403, { code: 50001, message: 'Missing Access' });
    const list = body as Array<Record<string, unknown>>;
    // https://discord.com/developers/docs/interactions/application-commands#bulk-overwrite-global-application-commands — an array of commands.
    if (!Array.isArray(list)) return this.send(res, req, undefined, 400, { code: 50035, message: 'Invalid Form Body: expected an array' });
    // https://discord.com/developers/docs/interactions/application-commands#registering-a-command — 100 chat input commands at most.
    if (list.length > 100) return this.send(res, req, undefined, 400, { code: 30032, message: 'Maximum number of application commands reached (100)' });
    for (const [i, c] of list.entries()) {
      const bad = checkCommand(c, i);
      if (bad) return this.send(res, req, undefined, bad.status, { code: bad.code, message: bad.message });
    }
    const names = new Set(list.map((c) => c.name));
    if (names.size !== list.length) return this.send(res, req, undefined, 400, { code: 50035, message: 'Invalid Form Body: Application command names must be unique' });
    const stored = list.map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake() }));
    this.commands.set(guildId ?? 'global', stored);
    return this.send(res, req, undefined, 200, stored);
  }

  private channelOrRefusal(id: string, need: 'view' | 'send' | 'threads'): Channel | DiscordRefusal {
    const ch = this.channels.get(id);
    // https://discord.com/developers/docs/topics/opcodes-and-status-codes#json — 10003 Unknown Channel, 50001 Missing Access, 50013 Missing Permissions.
    if (!ch) return { status: 404, code: 10003, message: 'Unknown Channel' };
    // A thread takes its permissions from its parent; posting in it needs Send Messages in Threads ('threads').
    const perms = ch.parentId ? (this.channels.get(ch.parentId)?.missing ?? ch.missing) : ch.missing;
    if (perms.has('view')) return { status: 403, code: 50001, message: 'Missing Access' };
    const wanted = need === 'send' && ch.parentId ? 'threads' : need;
    if (wanted !== 'view' && perms.has(wanted)) return { status: 403, code: 50013, message: 'Missing Permissions' };
    return ch;
  }

  private onChannelMessage(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined, channelId: string, messageId: string | undefined): void {
    const ch = this.channelOrRefusal(channelId, req.method === 'GET' ? 'view' : 'send');
    if ('code' in ch) return this.refuse(res, req, body, ch);
    if (!messageId && req.method === 'POST') {
      const bad = checkMessage(body ?? {});
      if (bad) return this.refuse(res, req, body, bad);
      // https://discord.com/developers/docs/resources/message#create-message — with enforce_nonce, a nonce used by the
      // same author in the past few minutes returns that message instead of creating another.
      if (body?.enforce_nonce === true && typeof body.nonce === 'string') {
        const dup = [...this.messages.values()].find((m) => m.channel_id === channelId && m.nonce === body.nonce && Date.now() - m.createdAt < NONCE_WINDOW_MS);
        if (dup) return this.send(res, req, body, 200, this.apiMessage(dup));
      }
      const m = this.store(channelId, body ?? {});
      return this.send(res, req, body, 200, this.apiMessage(m));
    }
    const m = messageId ? this.messages.get(messageId) : undefined;
    if (messageId && (!m || m.channel_id !== channelId || m.deleted)) return this.send(res, req, body, 404, { code: 10008, message: 'Unknown Message' });
    if (m && req.method === 'PATCH') {
      const bad = checkMessage(body ?? {}, { edit: true });
      if (bad) return this.refuse(res, req, body, bad);
      this.edit(m, body ?? {});
      return this.send(res, req, body, 200, this.apiMessage(m));
    }
    if (m && req.method === 'GET') return this.send(res, req, body, 200, this.apiMessage(m));
    return this.send(res, req, body, 405, { code: 0, message: '405: Method Not Allowed' });
  }

  private onThread(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined, channelId: string, messageId: string): void {
    const ch = this.channelOrRefusal(channelId, 'threads');
    if ('code' in ch) return this.refuse(res, req, body, ch);
    const m = this.messages.get(messageId);
    if (!m || m.channel_id !== channelId) return this.send(res, req, body, 404, { code: 10008, message: 'Unknown Message' });
    // https://discord.com/developers/docs/resources/channel#start-thread-from-message — name 1–100; one thread per message (160004);
    // "the thread ID will be the same as the id of the source message".
    const name = body?.name;
    if (typeof name !== 'string' || name.length < 1 || name.length > 100) return this.send(res, req, body, 400, { code: 50035, message: 'Invalid Form Body: name: Must be between 1 and 100 in length.' });
    if (this.channels.has(messageId)) return this.send(res, req, body, 400, { code: 160004, message: 'A thread has already been created for this message' });
    this.channels.set(messageId, { id: messageId, type: 11, guildId: this.guildId, parentId: channelId, missing: new Set() });
    return this.send(res, req, body, 201, { id: messageId, type: 11, guild_id: this.guildId, parent_id: channelId, name, owner_id: this.botUserId, thread_metadata: { archived: false, auto_archive_duration: 1440, locked: false } });
  }
}
