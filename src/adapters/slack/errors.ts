/**
 * Slack delivery errors, typed so the outbox can decide what to do without knowing Slack:
 * wait and retry (429, 5xx, network), or give up and tell an operator (bad channel, bad token).
 */
import { webApi } from '@slack/bolt';

/** Slack error codes that will not go away by retrying; each comes with what an operator should do. */
const PERMANENT: Record<string, string> = {
  channel_not_found: 'the channel does not exist or the bot cannot see it; check the alert route',
  not_in_channel: 'the bot is not a member of the channel; invite it with /invite @dockhand',
  is_archived: 'the channel is archived; route alerts to another channel',
  invalid_auth: 'SLACK_BOT_TOKEN is not valid; reinstall the app and update the token',
  not_authed: 'no Slack token was sent; set SLACK_BOT_TOKEN',
  account_inactive: 'the token belongs to a deactivated user or app; reinstall the app',
  token_revoked: 'the token was revoked; reinstall the app and update SLACK_BOT_TOKEN',
  token_expired: 'the token expired; reinstall the app and update SLACK_BOT_TOKEN',
  missing_scope: 'the app lacks a scope it needs; add it in the app manifest and reinstall',
  restricted_action: 'a workspace setting stops the bot from posting there',
  msg_too_long: 'the message was too long for Slack',
  invalid_blocks: 'Slack refused the message layout',
  no_text: 'the message had no text',
  message_not_found: 'the message to update no longer exists',
  cant_update_message: 'the bot cannot edit that message',
  edit_window_closed: 'the message is too old to edit',
  thread_not_found: 'the thread to reply in no longer exists',
};

/** Why a Slack delivery failed, with what the outbox needs to decide on a retry. */
export class SlackDeliveryError extends Error {
  /** Slack's error code (`not_in_channel`), or `http_503`, `ratelimited`, `network`. */
  readonly code: string;
  /** True when retrying the same call cannot succeed. */
  readonly permanent: boolean;
  /** How long Slack asked us to wait before the next try, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, opts: { permanent: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SlackDeliveryError';
    this.code = code;
    this.permanent = opts.permanent;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** True when the value is a SlackDeliveryError. */
export function isSlackDeliveryError(e: unknown): e is SlackDeliveryError {
  return e instanceof SlackDeliveryError;
}

/** Turns whatever the Web API client threw into a SlackDeliveryError with a readable message. */
export function classifySlackError(e: unknown, what: string): SlackDeliveryError {
  if (e instanceof SlackDeliveryError) return e;
  if (e instanceof webApi.WebAPIRateLimitedError) {
    const ms = Math.max(0, e.retryAfter) * 1000;
    return new SlackDeliveryError('ratelimited', `${what}: Slack rate limit; retry after ${e.retryAfter}s`, { permanent: false, retryAfterMs: ms, cause: e });
  }
  if (e instanceof webApi.WebAPIHTTPError) {
    const permanent = e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 408;
    return new SlackDeliveryError(`http_${e.statusCode}`, `${what}: Slack answered HTTP ${e.statusCode}${permanent ? '' : '; will retry'}`, { permanent, cause: e });
  }
  if (e instanceof webApi.WebAPIPlatformError) {
    const code = typeof e.data.error === 'string' ? e.data.error : 'unknown_error';
    const hint = PERMANENT[code];
    if (hint) return new SlackDeliveryError(code, `${what}: ${code} — ${hint}`, { permanent: true, cause: e });
    return new SlackDeliveryError(code, `${what}: ${code}; will retry`, { permanent: false, cause: e });
  }
  if (e instanceof webApi.WebAPIRequestError) {
    return new SlackDeliveryError('network', `${what}: could not reach Slack (${e.original.message}); will retry`, { permanent: false, cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new SlackDeliveryError('unknown', `${what}: ${msg}`, { permanent: false, cause: e });
}
