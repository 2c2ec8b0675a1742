/**
 * Builds requests the way Slack sends them to an app over HTTP: form-encoded slash commands and
 * block_actions payloads, signed with `v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body))`.
 */
import { createHmac } from 'node:crypto';

/** Slack's request signature for a body sent at `ts` (seconds). */
export function slackSignature(secret: string, ts: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

/**
 * Text as Slack sends it to an app: `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`
 * (Slack, "Formatting text for app surfaces": escaping; the same holds for slash-command text).
 */
export function slackEscape(typed: string): string {
  return typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Who and what Slack resolves in a command typed with `should_escape: true`. */
export interface SlackDirectory {
  /** Display name (without `@`) → user id. */
  users?: Record<string, string>;
  /** Channel name (without `#`) → channel id. */
  channels?: Record<string, string>;
}

/**
 * The `text` of a slash command as Slack delivers it. The three characters are always escaped;
 * with `should_escape: true` in the manifest, mentions of known users become `<@U…|name>`,
 * channels `<#C…|name>` and links `<url>` (Slack, "Enabling interactivity with slash commands":
 * escaping channels, users and links); without it they stay plain text.
 */
export function slackCommandText(typed: string, dir: SlackDirectory = {}, shouldEscape = true): string {
  const escaped = slackEscape(typed);
  if (!shouldEscape) return escaped;
  return escaped
    .replace(/(^|\s)@([\w.-]+)/g, (m, pre: string, name: string) => (dir.users?.[name] ? `${pre}<@${dir.users[name]}|${name}>` : m))
    .replace(/(^|\s)#([\w-]+)/g, (m, pre: string, name: string) => (dir.channels?.[name] ? `${pre}<#${dir.channels[name]}|${name}>` : m))
    .replace(/(^|\s)(https?:\/\/[^\s<]+)/g, (_m, pre: string, url: string) => `${pre}<${url}>`);
}

/** A slash command's form fields; the ones not given get plausible defaults. */
export interface SlashFields {
  command: string;
  /** The text as the user typed it; it is sent the way Slack sends it (see slackCommandText). */
  text: string;
  /** Users and channels Slack resolves in the text (should_escape on). */
  directory?: SlackDirectory;
  user_id: string;
  user_name?: string;
  channel_id?: string;
  team_id?: string;
  response_url: string;
  trigger_id?: string;
}

let triggerCounter = 0;

/** A fresh trigger id, as Slack gives each invocation. */
export function newTriggerId(): string {
  triggerCounter++;
  return `${Date.now()}.${triggerCounter}.abcdef${triggerCounter}`;
}

/** The form body of a slash command. */
export function slashBody(f: SlashFields): string {
  const fields: Record<string, string> = {
    token: 'deprecated-verification-token',
    team_id: f.team_id ?? 'T0TEAM',
    team_domain: 'dockhand-test',
    channel_id: f.channel_id ?? 'C0GENERAL',
    channel_name: 'general',
    user_id: f.user_id,
    user_name: f.user_name ?? f.user_id.toLowerCase(),
    command: f.command,
    text: slackCommandText(f.text, f.directory ?? {}),
    api_app_id: 'A0DOCKHAND',
    is_enterprise_install: 'false',
    response_url: f.response_url,
    trigger_id: f.trigger_id ?? newTriggerId(),
  };
  return new URLSearchParams(fields).toString();
}

/** What a pressed button sends; `message` is the message the button sat on (absent for ephemeral ones). */
export interface ButtonPress {
  user_id: string;
  user_name?: string;
  channel_id?: string;
  team_id?: string;
  action_id: string;
  value: string;
  response_url: string;
  message?: { ts: string; thread_ts?: string; text?: string; blocks?: unknown[] };
  trigger_id?: string;
  /** The pressed button's label, which Slack sends back with the press. */
  text?: string;
}

/** The block_actions payload object of a button press. */
export function blockActionPayload(p: ButtonPress): Record<string, unknown> {
  const channel = p.channel_id ?? 'C0GENERAL';
  return {
    type: 'block_actions',
    user: { id: p.user_id, username: p.user_name ?? p.user_id.toLowerCase(), name: p.user_name ?? p.user_id.toLowerCase(), team_id: p.team_id ?? 'T0TEAM' },
    api_app_id: 'A0DOCKHAND',
    token: 'deprecated-verification-token',
    container: p.message ? { type: 'message', message_ts: p.message.ts, channel_id: channel, is_ephemeral: false } : { type: 'message', channel_id: channel, is_ephemeral: true },
    trigger_id: p.trigger_id ?? newTriggerId(),
    team: { id: p.team_id ?? 'T0TEAM', domain: 'dockhand-test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'general' },
    ...(p.message ? { message: { type: 'message', user: 'U0BOT', bot_id: 'B0BOT', text: p.message.text ?? '', blocks: p.message.blocks ?? [], ts: p.message.ts, ...(p.message.thread_ts ? { thread_ts: p.message.thread_ts } : {}) } } : {}),
    state: { values: {} },
    response_url: p.response_url,
    // The label comes back escaped, as Slack escapes text it sends to apps; the value comes back as sent.
    actions: [{ action_id: p.action_id, block_id: 'b1', text: { type: 'plain_text', text: slackEscape(p.text ?? 'x'), emoji: true }, value: p.value, type: 'button', action_ts: `${Date.now() / 1000}` }],
  };
}

/** The form body of a button press (`payload=<json>`). */
export function blockActionBody(p: ButtonPress): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(p)) }).toString();
}

/** How to sign (or mis-sign) a request. */
export interface SendOptions {
  /** The signing secret; undefined sends no signature headers at all. */
  secret: string | undefined;
  /** Request time in seconds (default now). */
  ts?: number;
  /** Replaces the computed signature. */
  signature?: string;
  /** Adds X-Slack-Retry-Num (and a reason), as Slack does when it retries. */
  retryNum?: number;
}

/** What the app answered, and how long it took. */
export interface SentResult {
  status: number;
  body: string;
  ms: number;
}

/** Posts a form body to the app's events URL the way Slack does. */
export async function postToApp(url: string, body: string, opts: SendOptions): Promise<SentResult> {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (opts.secret !== undefined || opts.signature !== undefined) {
    headers['x-slack-request-timestamp'] = String(ts);
    headers['x-slack-signature'] = opts.signature ?? slackSignature(opts.secret ?? '', ts, body);
  }
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - t0 };
}

/** A modal's submission: the user, the view as it was opened (id and body), and what was typed into each input. */
export interface ViewSubmission {
  user_id: string;
  user_name?: string;
  team_id?: string;
  /** The view id views.open answered with. */
  view_id: string;
  /** The view as the app sent it to views.open. */
  view: Record<string, unknown>;
  /** Typed text by block_id, then action_id; null for a field left empty. */
  values: Record<string, Record<string, string | null>>;
  trigger_id?: string;
}

/** The view_submission payload object Slack sends when the user presses the modal's submit button. */
export function viewSubmissionPayload(s: ViewSubmission): Record<string, unknown> {
  const team = s.team_id ?? 'T0TEAM';
  const values: Record<string, Record<string, { type: string; value: string | null }>> = {};
  for (const [block, actions] of Object.entries(s.values)) {
    values[block] = Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }]));
  }
  return {
    type: 'view_submission',
    team: { id: team, domain: 'dockhand-test' },
    user: { id: s.user_id, username: s.user_name ?? s.user_id.toLowerCase(), name: s.user_name ?? s.user_id.toLowerCase(), team_id: team },
    api_app_id: 'A0DOCKHAND',
    token: 'deprecated-verification-token',
    trigger_id: s.trigger_id ?? newTriggerId(),
    view: {
      id: s.view_id,
      team_id: team,
      type: 'modal',
      blocks: s.view.blocks ?? [],
      private_metadata: s.view.private_metadata ?? '',
      callback_id: s.view.callback_id ?? '',
      state: { values },
      hash: `${Math.floor(Date.now() / 1000)}.abc123`,
      title: s.view.title,
      clear_on_close: false,
      notify_on_close: false,
      close: s.view.close ?? null,
      submit: s.view.submit ?? null,
      previous_view_id: null,
      root_view_id: s.view_id,
      app_id: 'A0DOCKHAND',
      external_id: '',
      app_installed_team_id: team,
      bot_id: 'B0BOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** The form body of a modal submission (`payload=<json>`). */
export function viewSubmissionBody(s: ViewSubmission): string {
  return new URLSearchParams({ payload: JSON.stringify(viewSubmissionPayload(s)) }).toString();
}
