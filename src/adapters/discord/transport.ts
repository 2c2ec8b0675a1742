/**
 * The gateway connection: a discord.js Client with no intents (interactions need none), pointed at
 * DISCORD_API_URL when set (the gateway URL then comes from that API's GET /gateway/bot). It only
 * connects and hands interactions on; discord.js resumes a dropped session by itself.
 */
import { Client, DiscordAPIError, Events, type Interaction } from 'discord.js';
import type { Logger } from '../../core/logger.ts';

/** Options of the connection. */
export interface TransportOptions {
  /** The bot token (DISCORD_TOKEN). */
  token: string;
  /** REST base without /v10 (DISCORD_API_URL); Discord's own when absent. */
  apiUrl?: string;
  /** Where connection events are logged. */
  log: Logger;
  /** Called for every interaction; must not throw. */
  onInteraction: (i: Interaction) => void;
  /** How long to wait for READY, ms (default 30 s). */
  readyTimeoutMs?: number;
}

/** Connects a discord.js client; see the module comment. */
export class DiscordTransport {
  /** The client (for REST calls that share its rate-limit state, and for tests). */
  readonly client: Client;
  private readonly opts: TransportOptions;

  constructor(opts: TransportOptions) {
    this.opts = opts;
    this.client = new Client({
      intents: [],
      ...(opts.apiUrl ? { rest: { api: opts.apiUrl } } : {}),
    });
    this.client.on(Events.InteractionCreate, (i) => opts.onInteraction(i));
    this.client.on(Events.ShardResume, (id, replayed) => opts.log.info({ shard: id, replayed }, 'discord: gateway session resumed'));
    this.client.on(Events.ShardDisconnect, (ev, id) => opts.log.warn({ shard: id, code: ev.code }, 'discord: gateway disconnected'));
    this.client.on(Events.Error, (e) => opts.log.error({ err: e.message }, 'discord: client error'));
  }

  /** Logs in and waits for READY; rejects with one line saying what to do when Discord refuses the token or cannot be reached. */
  async connect(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no READY from the Discord gateway within ${Math.round((this.opts.readyTimeoutMs ?? 30_000) / 1000)}s`)), this.opts.readyTimeoutMs ?? 30_000);
      timer.unref();
      this.client.once(Events.ClientReady, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await this.client.login(this.opts.token);
      await ready;
    } catch (e) {
      await this.client.destroy().catch(() => undefined);
      throw new Error(explainLoginFailure(e, this.opts.apiUrl), { cause: e });
    }
    this.opts.log.info({ user: this.client.user?.tag, application: this.client.application?.id }, 'discord: connected to the gateway');
  }

  /** The application id (from READY). */
  get applicationId(): string | undefined {
    return this.client.application?.id;
  }

  /** Closes the gateway connection. */
  async close(): Promise<void> {
    await this.client.destroy();
  }
}

/** One line for a failed login: a refused token, an unreachable API, or what discord.js said. */
export function explainLoginFailure(e: unknown, apiUrl: string | undefined): string {
  const where = apiUrl ?? 'https://discord.com/api';
  const code = (e as { code?: unknown }).code;
  if (code === 'TokenInvalid' || (e instanceof DiscordAPIError && e.status === 401) || /401|unauthori[sz]ed|invalid token|Authentication failed/i.test(String((e as Error).message))) {
    return 'Discord refused the bot token (DISCORD_TOKEN); copy it again from the Developer Portal (Bot → Reset Token)';
  }
  const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
  if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'UND_ERR_CONNECT_TIMEOUT' || /fetch failed|ECONNREFUSED/.test(String((e as Error).message))) {
    return `could not reach Discord at ${where}${apiUrl ? ' (DISCORD_API_URL)' : ''}`;
  }
  return `Discord did not accept the connection: ${e instanceof Error ? e.message : String(e)}`;
}
