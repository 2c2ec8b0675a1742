/**
 * A local stand-in for Slack: the Web API methods dockhand calls, response_url endpoints, and a
 * Socket Mode WebSocket. It listens on 127.0.0.1 on a random port, records every call, answers as
 * Slack does (ok:false error codes, 429 with Retry-After, 5xx) and refuses blocks real Slack would refuse.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parse as parseQuery } from 'node:querystring';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { checkSlackMessage } from './slack-limits.ts';
import { blockTextCount, SLACK_BLOCK_TEXT_LIMIT } from '../../src/adapters/slack/block-text.ts';

/** One Web API call as the stand-in received it. */
export interface RecordedCall {
  /** The method, such as `chat.postMessage`. */
  method: string;
  /** The arguments, with JSON-encoded form values (blocks, view) decoded. */
  params: Record<string, unknown>;
  /** The bearer token the call carried. */
  token: string | undefined;
  /** What the stand-in answered: `ok` or the error code (`http_429`, `http_500` for HTTP failures). */
  outcome: string;
}

/** One post to a response_url. */
export interface ResponsePost {
  /** The id in the response_url path. */
  id: string;
  /** The JSON body. */
  body: Record<string, unknown>;
  /** What the stand-in answered. */
  outcome: string;
}

/** A message the stand-in keeps, so chat.update and threads behave like Slack. */
export interface StoredMessage {
  /** Channel id. */
  channel: string;
  /** Message timestamp (its id). */
  ts: string;
  /** Parent timestamp when it is a thread reply. */
  threadTs?: string;
  /** Fallback text. */
  text: string;
  /** Blocks as posted. */
  blocks: unknown[];
  /** How many times chat.update changed it. */
  edits: number;
  /** Who it notifies as Slack would: `here`, `channel`, `everyone`, `subteam:S…`, `user:U…` (see pingsOf). */
  pings?: string[];
}

/**
 * Who a message notifies, read as Slack reads it. In mrkdwn the sequences `<!here>`, `<!channel>`,
 * `<!everyone>`, `<!subteam^S…>` and `<@U…>` ping (Slack, "Formatting text for app surfaces":
 * advanced formatting); escaped as `&lt;!here&gt;` they are plain text. A mrkdwn text object without
 * `verbatim: true` is also parsed automatically, which turns a plain `@here`, `@channel` or
 * `@everyone` into a mention (Block Kit text object: `verbatim`). plain_text objects never ping; the
 * top-level `text` is read for sequences only (no `link_names`).
 */
export function pingsOf(text: string, blocks: readonly unknown[]): string[] {
  const out = new Set<string>();
  const scan = (t: string, auto: boolean): void => {
    for (const m of t.matchAll(/<!(here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>|<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)) {
      out.add(m[1] ?? (m[2] ? `subteam:${m[2]}` : `user:${m[3] ?? ''}`));
    }
    if (auto) for (const m of t.matchAll(/(^|[^\w&])@(here|channel|everyone)\b/g)) out.add(m[2] ?? '');
  };
  scan(text, false);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') scan(o.text, o.verbatim !== true);
    for (const x of Object.values(o)) walk(x);
  };
  walk(blocks);
  return [...out].sort();
}

/** A modal opened with views.open, as Slack would show it to the user. */
export interface OpenedView {
  /** The view id Slack gave it. */
  id: string;
  /** The trigger_id it was opened with. */
  triggerId: string;
  /** The view as sent (title, blocks, private_metadata, callback_id…). */
  view: Record<string, unknown>;
}

/** A failure to inject into the next call(s) of a method. */
export type InjectedFailure = { status: 429; retryAfterSec: number } | { status: 500 | 502 | 503 } | { error: string };

/** Options of the stand-in. */
export interface FakeSlackOptions {
  /** Bot tokens that authenticate (default `xoxb-test`). */
  botTokens?: string[];
  /** App-level tokens for apps.connections.open (default `xapp-test`). */
  appTokens?: string[];
  /** Channels that do not exist (channel_not_found). */
  missingChannels?: string[];
  /** Channels the bot is not a member of (not_in_channel). */
  notInChannels?: string[];
  /** User groups and their members, for usergroups.users.list. */
  userGroups?: Record<string, string[]>;
  /** The team id auth.test reports. */
  teamId?: string;
  /** The bot's name auth.test reports as `user` (default dockhand). */
  botName?: string;
  /** The stand-in's clock (default Date.now), so tests can age a response_url past its 30 minutes. */
  now?: () => number;
  /**
   * Answer chat.postMessage with HTTP 429 and Retry-After once a channel got more than `messages`
   * posts within `perMs`. Slack allows "no more than one message per second" per channel with short
   * bursts, then answers 429 with a Retry-After header (https://api.slack.com/docs/rate-limits).
   * Off unless given, since Slack's burst allowance is not documented.
   */
  channelPostLimit?: { messages: number; perMs: number };
  /**
   * The bot token's scopes (default: every scope dockhand's manifest asks for). A method whose scope
   * is missing answers `missing_scope` with `needed`, as the Web API does; only the file methods check it.
   */
  scopes?: string[];
}

/** A file uploaded through files.getUploadURLExternal → upload URL → files.completeUploadExternal. */
export interface UploadedFile {
  /** The file id Slack handed out. */
  id: string;
  /** The name given to files.getUploadURLExternal. */
  filename: string;
  /** The length declared there. */
  length: number;
  /** The alt text given there (`alt_txt`). */
  altText?: string;
  /** The bytes POSTed to the upload URL (absent until then). */
  bytes?: Buffer;
  /** The title given to files.completeUploadExternal. */
  title?: string;
  /** Where it was shared (absent until completed, or when completed privately). */
  channel?: string;
  /** The thread it was shared into. */
  threadTs?: string;
  /** True once files.completeUploadExternal finished it. */
  completed: boolean;
}

/** How long a response_url works: "up to 5 times within 30 minutes" (Slack, Handling user interaction / slash commands). */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** What apps.connections.open hands out and what the Socket Mode client sends back. */
interface Envelope {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

const JSON_PARAMS = new Set(['blocks', 'attachments', 'view', 'metadata', 'unfurl', 'files']);

/** What Slack refuses in a modal view (the limits dockhand's modals come near), or null. */
function checkModal(view: Record<string, unknown>): string | null {
  const text = (x: unknown): string | undefined => (typeof x === 'object' && x !== null && typeof (x as { text?: unknown }).text === 'string' ? (x as { text: string }).text : undefined);
  if (view.type !== 'modal') return 'failed to match all allowed schemas [json-pointer:/view/type]';
  const title = text(view.title);
  if (!title) return 'missing required field: title [json-pointer:/view/title]';
  if (title.length > 24) return 'must be less than 25 characters [json-pointer:/view/title/text]';
  for (const k of ['submit', 'close'] as const) {
    const t = text(view[k]);
    if (t !== undefined && t.length > 24) return `must be less than 25 characters [json-pointer:/view/${k}/text]`;
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) return 'must be less than 3001 characters [json-pointer:/view/private_metadata]';
  const blocks = Array.isArray(view.blocks) ? (view.blocks as Array<Record<string, unknown>>) : [];
  if (blocks.length === 0 || blocks.length > 100) return 'must provide 1 to 100 blocks [json-pointer:/view/blocks]';
  for (const [i, b] of blocks.entries()) {
    if (b.type !== 'input') continue;
    if (!view.submit) return 'submit is required when an input block is present [json-pointer:/view/submit]';
    const label = text(b.label);
    if (!label || label.length > 2000) return `label must be 1 to 2000 characters [json-pointer:/view/blocks/${i}/label/text]`;
    const el = b.element as { type?: unknown; max_length?: unknown } | undefined;
    if (el?.type === 'plain_text_input' && typeof el.max_length === 'number' && el.max_length > 3000) return `must be at most 3000 [json-pointer:/view/blocks/${i}/element/max_length]`;
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** The Socket Mode half: a WebSocket endpoint handed out by apps.connections.open. */
export class FakeSocketMode {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, (e: Envelope) => void>();
  private nextEnvelope = 1;
  /** Every connection that received `hello`, in order. */
  readonly connections: number[] = [];
  /** Every ack received: envelope id and the response payload. */
  readonly acks: Envelope[] = [];
  private connectionWaiters: Array<() => void> = [];

  /** @internal Upgrades an HTTP request on the socket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      this.connections.push(Date.now());
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as Envelope;
        this.acks.push(msg);
        this.pendingAcks.get(msg.envelope_id)?.(msg);
        this.pendingAcks.delete(msg.envelope_id);
      });
      ws.on('close', () => this.sockets.delete(ws));
      ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, connection_info: { app_id: 'A0DOCKHAND' } }));
      for (const w of this.connectionWaiters.splice(0)) w();
    });
  }

  /** Number of open client connections. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Resolves once `n` connections have been made in total. */
  async waitForConnections(n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < n || this.openConnections === 0) {
      if (Date.now() > deadline) throw new Error(`socket mode: ${this.connections.length} connections, wanted ${n}`);
      await new Promise<void>((r) => {
        this.connectionWaiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /**
   * Sends an envelope (slash_commands, interactive, events_api) to the connected client and resolves
   * with its ack; rejects when no ack comes within `timeoutMs` (Slack would retry or show an error).
   */
  sendEnvelope(type: string, payload: Record<string, unknown>, timeoutMs = 3000): Promise<Envelope> {
    const ws = [...this.sockets].at(-1);
    if (!ws) return Promise.reject(new Error('socket mode: no client connected'));
    const envelope_id = `env-${this.nextEnvelope++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelope_id);
        reject(new Error(`socket mode: no ack for ${envelope_id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingAcks.set(envelope_id, (e) => {
        clearTimeout(timer);
        resolve(e);
      });
      ws.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api' }));
    });
  }

  /** Asks the client to reconnect, the way Slack does when it recycles a connection. */
  requestDisconnect(reason = 'refresh_requested'): void {
    for (const ws of this.sockets) ws.send(JSON.stringify({ type: 'disconnect', reason }));
  }

  /** Drops every connection without warning, like a network failure. */
  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** @internal Closes the socket server. */
  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }
}

/** The Web API, response_url and Socket Mode stand-in. */
export class FakeSlack {
  /** Every Web API call, in order. */
  readonly calls: RecordedCall[] = [];
  /** Every response_url post, in order. */
  readonly responses: ResponsePost[] = [];
  /** Every modal opened, in order. */
  readonly views: OpenedView[] = [];
  private readonly usedTriggers = new Set<string>();
  /** Messages posted, by channel. */
  readonly messages: StoredMessage[] = [];
  /** Files started, uploaded and shared, in order. */
  readonly files: UploadedFile[] = [];
  /** The Socket Mode endpoint. */
  readonly socketMode = new FakeSocketMode();
  private readonly failures = new Map<string, InjectedFailure[]>();
  private readonly responseUses = new Map<string, number>();
  private readonly responseTargets = new Map<string, { channel: string; originalTs?: string; createdAt: number }>();
  private readonly channelPosts = new Map<string, number[]>();
  private tsCounter = 0;
  private responseCounter = 0;
  private readonly opts: Required<Omit<FakeSlackOptions, 'channelPostLimit'>> & Pick<FakeSlackOptions, 'channelPostLimit'>;
  private server: Server | undefined;
  private base = '';

  private constructor(opts: FakeSlackOptions) {
    this.opts = {
      botTokens: ['xoxb-test'],
      appTokens: ['xapp-test'],
      missingChannels: [],
      notInChannels: [],
      userGroups: {},
      teamId: 'T0TEAM',
      botName: 'dockhand',
      now: () => Date.now(),
      scopes: ['commands', 'chat:write', 'files:write', 'usergroups:read'],
      ...opts,
    };
  }

  /** Starts the stand-in on 127.0.0.1 and a random port. */
  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(opts);
    const server = createServer((req, res) => {
      fake.handle(req, res).catch((e: unknown) => send(res, 500, { ok: false, error: 'fatal_error', detail: String(e) }));
    });
    server.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/link')) fake.socketMode.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fake.server = server;
    fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The base URL, such as `http://127.0.0.1:4567`. */
  get url(): string {
    return this.base;
  }

  /** The Web API base URL to give as `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  /**
   * A fresh response_url, as Slack puts in each slash command and interaction. `channel` is where
   * in_channel answers appear; `originalTs` is the message a pressed button sat on (what replace_original edits).
   */
  newResponseUrl(channel = 'C0GENERAL', originalTs?: string): string {
    const id = `r${++this.responseCounter}`;
    this.responseTargets.set(id, { channel, ...(originalTs ? { originalTs } : {}), createdAt: this.opts.now() });
    return `${this.base}/response/${id}`;
  }

  /** The id part of a response_url made by newResponseUrl. */
  static responseId(url: string): string {
    return url.split('/').at(-1) ?? '';
  }

  /** Makes the next `times` calls of `method` fail as given. */
  fail(method: string, failure: InjectedFailure, times = 1): void {
    const q = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) q.push(failure);
    this.failures.set(method, q);
  }

  /** Forgets the failures still queued for `method` (Slack is back). */
  clearFailures(method: string): void {
    this.failures.delete(method);
  }

  /** The recorded calls of one method. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits until `pred` holds over the recorded state (polling), or throws after `timeoutMs`. */
  async waitFor<T>(pred: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error('fake slack: condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops the server and closes sockets. */
  async close(): Promise<void> {
    this.socketMode.close();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private nextTs(): string {
    this.tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.base).pathname;
    if (path.startsWith('/upload/')) return this.handleUpload(req, res, path.slice('/upload/'.length));
    const raw = await readBody(req);
    const json = (req.headers['content-type'] ?? '').includes('application/json');
    if (req.method === 'POST' && path.startsWith('/response/')) return this.handleResponseUrl(path.slice('/response/'.length), raw, res);
    if (req.method !== 'POST' || !path.startsWith('/api/')) return send(res, 404, { ok: false, error: 'not_found' });

    const method = path.slice('/api/'.length);
    const params: Record<string, unknown> = {};
    if (json) Object.assign(params, JSON.parse(raw || '{}') as Record<string, unknown>);
    else {
      for (const [k, v] of Object.entries(parseQuery(raw))) {
        const s = Array.isArray(v) ? v[0] : v;
        params[k] = s !== undefined && JSON_PARAMS.has(k) ? JSON.parse(s) : s;
      }
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof params.token === 'string' ? params.token : undefined;
    delete params.token;
    const call: RecordedCall = { method, params, token, outcome: 'ok' };
    this.calls.push(call);

    const injected = this.failures.get(method)?.shift();
    if (injected) {
      if ('status' in injected) {
        call.outcome = `http_${injected.status}`;
        if (injected.status === 429) return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(injected.retryAfterSec) });
        return send(res, injected.status, { ok: false, error: 'internal_error' });
      }
      call.outcome = injected.error;
      return send(res, 200, { ok: false, error: injected.error });
    }
    const limited = this.channelRateLimited(method, params);
    if (limited !== undefined) {
      call.outcome = 'http_429';
      return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limited) });
    }
    const answer = this.answer(method, params, token);
    call.outcome = answer.ok === true ? 'ok' : String(answer.error);
    send(res, 200, answer);
  }

  /** Seconds to wait when this post goes over the channel's pace (see `channelPostLimit`), else undefined. */
  private channelRateLimited(method: string, p: Record<string, unknown>): number | undefined {
    const limit = this.opts.channelPostLimit;
    if (!limit || method !== 'chat.postMessage' || typeof p.channel !== 'string') return undefined;
    const now = this.opts.now();
    const recent = (this.channelPosts.get(p.channel) ?? []).filter((t) => t > now - limit.perMs);
    this.channelPosts.set(p.channel, recent);
    if (recent.length >= limit.messages) return Math.max(1, Math.ceil(((recent[0] ?? now) + limit.perMs - now) / 1000));
    recent.push(now);
    return undefined;
  }

  private answer(method: string, p: Record<string, unknown>, token: string | undefined): Record<string, unknown> {
    const err = (error: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ok: false, error, ...extra });
    if (method === 'apps.connections.open') {
      if (!token || !this.opts.appTokens.includes(token)) return err('invalid_auth');
      return { ok: true, url: `${this.base.replace('http', 'ws')}/link/?ticket=t${this.socketMode.connections.length + 1}` };
    }
    if (!token) return err('not_authed');
    if (!this.opts.botTokens.includes(token)) return err('invalid_auth');
    const channel = typeof p.channel === 'string' ? p.channel : '';
    const channelError = (): Record<string, unknown> | null => {
      if (!channel || this.opts.missingChannels.includes(channel)) return err('channel_not_found');
      if (this.opts.notInChannels.includes(channel)) return err('not_in_channel');
      return null;
    };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://dockhand-test.slack.com/', team: 'Dockhand Test', user: this.opts.botName, team_id: this.opts.teamId, user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'chat.postMessage':
      case 'chat.postEphemeral': {
        const ce = channelError();
        if (ce) return ce;
        const violation = checkSlackMessage(p);
        if (violation) return err(violation.error, { response_metadata: { messages: [violation.detail] } });
        const tooLong = this.blocksTooLong(p);
        if (tooLong) return tooLong;
        const ts = this.nextTs();
        if (method === 'chat.postEphemeral') {
          if (typeof p.user !== 'string') return err('user_not_found');
          return { ok: true, message_ts: ts };
        }
        const threadTs = typeof p.thread_ts === 'string' ? p.thread_ts : undefined;
        if (threadTs && !this.messages.some((m) => m.channel === channel && m.ts === threadTs)) return err('thread_not_found');
        const msg: StoredMessage = { channel, ts, text: String(p.text ?? ''), blocks: Array.isArray(p.blocks) ? p.blocks : [], edits: 0 };
        msg.pings = pingsOf(msg.text, msg.blocks);
        if (threadTs) msg.threadTs = threadTs;
        this.messages.push(msg);
        return { ok: true, channel, ts, message: { type: 'message', text: msg.text, ts, bot_id: 'B0BOT' } };
      }
      case 'chat.update': {
        const ce = channelError();
        if (ce) return ce;
        const msg = this.messages.find((m) => m.channel === channel && m.ts === p.ts);
        if (!msg) return err('message_not_found');
        const violation = checkSlackMessage(p);
        if (violation) return err(violation.error, { response_metadata: { messages: [violation.detail] } });
        const tooLong = this.blocksTooLong(p);
        if (tooLong) return tooLong;
        msg.text = String(p.text ?? '');
        msg.blocks = Array.isArray(p.blocks) ? p.blocks : [];
        msg.edits++;
        msg.pings = pingsOf(msg.text, msg.blocks);
        return { ok: true, channel, ts: msg.ts, text: msg.text };
      }
      case 'views.open': {
        // A trigger_id can be exchanged once; Slack answers a missing or spent one like this.
        if (typeof p.trigger_id !== 'string' || this.usedTriggers.has(p.trigger_id)) {
          return err('invalid_arguments', { response_metadata: { messages: ['invalid `trigger_id`'] } });
        }
        if (typeof p.view !== 'object' || p.view === null) return err('invalid_arguments');
        const view = p.view as Record<string, unknown>;
        const problem = checkModal(view);
        if (problem) return err('invalid_arguments', { response_metadata: { messages: [problem] } });
        this.usedTriggers.add(p.trigger_id);
        const id = `V${String(this.views.length + 1).padStart(4, '0')}`;
        this.views.push({ id, triggerId: p.trigger_id, view });
        return { ok: true, view: { id, team_id: this.opts.teamId, state: { values: {} }, hash: `${Date.now()}.${id}`, ...view } };
      }
      case 'files.getUploadURLExternal': {
        // https://docs.slack.dev/reference/methods/files.getUploadURLExternal: files:write; filename and a
        // length above 0 are required (`missing_argument`, "typically when length is 0"); alt_txt at most 1,000 characters.
        if (!this.opts.scopes.includes('files:write')) return err('missing_scope', { needed: 'files:write', provided: this.opts.scopes.join(',') });
        const length = Number(p.length);
        if (typeof p.filename !== 'string' || p.filename === '' || !Number.isInteger(length) || length <= 0) return err('missing_argument');
        if (typeof p.alt_txt === 'string' && p.alt_txt.length > 1000) return err('alt_txt_too_large');
        const id = `F${String(this.files.length + 1).padStart(8, '0')}`;
        this.files.push({ id, filename: p.filename, length, ...(typeof p.alt_txt === 'string' ? { altText: p.alt_txt } : {}), completed: false });
        return { ok: true, upload_url: `${this.base}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        // https://docs.slack.dev/reference/methods/files.completeUploadExternal: `files` is required (ids
        // from getUploadURLExternal); sharing into a channel needs the bot there; thread_ts names a parent.
        if (!this.opts.scopes.includes('files:write')) return err('missing_scope', { needed: 'files:write', provided: this.opts.scopes.join(',') });
        const list = Array.isArray(p.files) ? (p.files as Array<{ id?: unknown; title?: unknown }>) : undefined;
        if (!list || list.length === 0) return err('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: files'] } });
        const found: UploadedFile[] = [];
        for (const f of list) {
          const file = this.files.find((x) => x.id === f.id);
          // Slack's docs name no code for an id whose bytes never reached the upload URL; answering
          // file_not_found makes a skipped upload fail a test instead of passing unnoticed.
          if (!file || file.bytes === undefined || file.completed) return err('file_not_found');
          found.push(file);
        }
        const target = typeof p.channel_id === 'string' ? p.channel_id : undefined;
        if (target !== undefined) {
          if (this.opts.missingChannels.includes(target)) return err('channel_not_found');
          if (this.opts.notInChannels.includes(target)) return err('not_in_channel');
        }
        const threadTs = typeof p.thread_ts === 'string' ? p.thread_ts : undefined;
        if (threadTs && !this.messages.some((m) => m.channel === target && m.ts === threadTs)) return err('thread_not_found');
        found.forEach((file, i) => {
          file.completed = true;
          const title = list[i]?.title;
          if (typeof title === 'string') file.title = title;
          if (target !== undefined) file.channel = target;
          if (threadTs) file.threadTs = threadTs;
        });
        return { ok: true, files: found.map((f) => ({ id: f.id, name: f.filename, title: f.title ?? f.filename, size: f.length })) };
      }
      case 'usergroups.users.list': {
        const members = this.opts.userGroups[String(p.usergroup)];
        if (!members) return err('no_such_subteam');
        return { ok: true, users: members };
      }
      default:
        return err('unknown_method');
    }
  }

  /**
   * `msg_blocks_too_long` when the blocks carry more than 12,000 characters of text in all, as
   * chat.postMessage and chat.update answer (undocumented; measured at 11,341–13,297 in bolt-js
   * issues 2509 and 2867, where a maintainer named "12,000 text characters with a buffer"). Slack's
   * error carries no count (2867), so neither does this one.
   * chat.postEphemeral: nothing documents a total for it. Its method reference
   * (docs.slack.dev/reference/methods/chat.postEphemeral) lists `msg_too_long` and `invalid_blocks`
   * but not `msg_blocks_too_long`, and no measurement was found in bolt-js, node-slack-sdk or
   * elsewhere (nautobot-app-chatops issue 132, often quoted as an ephemeral limit, is the 3,000
   * characters of one section). The stand-in holds it to chat.postMessage's 12,000 as an assumption,
   * the stricter guess: dockhand keeps every Web API message under 10,000 either way.
   */
  private blocksTooLong(p: Record<string, unknown>): Record<string, unknown> | null {
    const n = Array.isArray(p.blocks) ? blockTextCount(p.blocks) : 0;
    return n > SLACK_BLOCK_TEXT_LIMIT ? { ok: false, error: 'msg_blocks_too_long' } : null;
  }

  /**
   * The upload URL: takes the file's bytes raw or as a multipart form and answers 200, as Slack's
   * upload service does ("HTTP 200 if the upload is successful; non-200 otherwise"); an unknown or
   * finished id gets 404.
   */
  private async handleUpload(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const file = this.files.find((f) => f.id === id);
    if (req.method !== 'POST' || !file || file.completed) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
    let bytes = body;
    if (type.startsWith('multipart/form-data') && boundary) {
      const marker = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
      const start = body.indexOf('\r\n\r\n', body.indexOf(marker)) + 4;
      const end = body.indexOf(marker, start) - 2;
      bytes = body.subarray(start, end);
    }
    file.bytes = bytes;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
  }

  private handleResponseUrl(id: string, raw: string, res: ServerResponse): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      this.responses.push({ id, body: { raw }, outcome: 'invalid_payload' });
      return send(res, 400, { ok: false, error: 'invalid_payload' });
    }
    const target = this.responseTargets.get(id);
    // A response_url works "up to 5 times within 30 minutes" (Slack docs, slash commands and
    // interactivity); after that Slack answers 404 and the message goes nowhere.
    if (target && this.opts.now() - target.createdAt > RESPONSE_URL_TTL_MS) {
      this.responses.push({ id, body, outcome: 'expired_url' });
      return send(res, 404, { ok: false, error: 'expired_url' });
    }
    const uses = (this.responseUses.get(id) ?? 0) + 1;
    this.responseUses.set(id, uses);
    if (uses > 5) {
      this.responses.push({ id, body, outcome: 'used_url' });
      return send(res, 404, { ok: false, error: 'used_url' });
    }
    const violation = body.delete_original === true ? null : checkSlackMessage(body);
    if (violation) {
      this.responses.push({ id, body, outcome: violation.error });
      return send(res, 400, { ok: false, error: violation.error });
    }
    // Like Slack, an in_channel answer becomes a channel message and replace_original edits the original.
    if (target && body.replace_original === true && target.originalTs) {
      const original = this.messages.find((m) => m.channel === target.channel && m.ts === target.originalTs);
      if (original) {
        original.text = String(body.text ?? '');
        original.blocks = Array.isArray(body.blocks) ? body.blocks : [];
        original.edits++;
      }
    } else if (target && body.response_type === 'in_channel') {
      const blocks = Array.isArray(body.blocks) ? body.blocks : [];
      this.messages.push({ channel: target.channel, ts: this.nextTs(), text: String(body.text ?? ''), blocks, edits: 0, pings: pingsOf(String(body.text ?? ''), blocks) });
    }
    this.responses.push({ id, body, outcome: 'ok' });
    send(res, 200, { ok: true });
  }
}
