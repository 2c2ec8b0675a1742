/**
 * Slack delivery errors, typed so the outbox can decide what to do without knowing Slack:
 * wait and retry (429, 5xx, Slack's own server errors, network), or give up and tell an operator
 * (every other code, including unknown ones).
 */
import { webApi } from '@slack/bolt';
import { DeliveryError, retryableHttpStatus } from '../../ports/outbox.ts';

/**
 * The only `ok:false` codes worth retrying: Slack's own trouble (Web API docs list `internal_error`,
 * `fatal_error`, `service_unavailable` and `request_timeout` as server-side errors to retry later)
 * and `ratelimited`. Every other code is final, including ones dockhand does not know: retrying a
 * code nobody understands would hold the channel's lane for nothing.
 */
const RETRYABLE_CODES = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/** Codes meaning the message was too long: sent again without its droppable blocks it may go through. */
const TOO_LONG_CODES = new Set(['msg_blocks_too_long', 'msg_too_long']);

/** What an operator should do about a final code. */
const ACTION: Record<string, string> = {
  channel_not_found: 'the channel does not exist or the bot cannot see it; check the alert route',
  not_in_channel: 'the bot is not a member of the channel; invite it with /invite @dockhand',
  is_archived: 'the channel is archived; route alerts to another channel',
  invalid_auth: 'SLACK_BOT_TOKEN is not valid; reinstall the app and update the token',
  not_authed: 'no Slack token was sent; set SLACK_BOT_TOKEN',
  account_inactive: 'the token belongs to a deactivated user or app; reinstall the app',
  token_revoked: 'the token was revoked; reinstall the app and update SLACK_BOT_TOKEN',
  token_expired: 'the token expired; reinstall the app and update SLACK_BOT_TOKEN',
  missing_scope: 'the app lacks a scope it needs; add it in the app manifest and reinstall',
  no_permission: 'the bot may not post there; check the channel\'s posting permissions',
  user_not_in_channel: 'the user is not a member of that channel',
  restricted_action: 'a workspace setting stops the bot from posting there',
  msg_too_long: 'the message was too long for Slack',
  msg_blocks_too_long: 'the message carried more block text than Slack takes (about 12,000 characters)',
  invalid_blocks: 'Slack refused the message layout; this is a dockhand bug worth reporting',
  invalid_arguments: 'Slack refused the call\'s arguments; this is a dockhand bug worth reporting',
  no_text: 'the message had no text',
  message_not_found: 'the message to update no longer exists',
  cant_update_message: 'the bot cannot edit that message',
  edit_window_closed: 'the message is too old to edit',
  thread_not_found: 'the thread to reply in no longer exists',
};

/** Why a Slack delivery failed, classified for the outbox (see DeliveryError). */
export class SlackDeliveryError extends DeliveryError {
  constructor(code: string, message: string, opts: { permanent: boolean; retryAfterMs?: number; cause?: unknown; action?: string }) {
    super(code, message, {
      verdict: opts.permanent ? 'final' : 'retryable',
      tooLong: TOO_LONG_CODES.has(code),
      ...(opts.retryAfterMs === undefined ? {} : { retryAfterMs: opts.retryAfterMs }),
      ...(opts.action === undefined ? {} : { action: opts.action }),
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.name = 'SlackDeliveryError';
  }
}

/** True when the value is a SlackDeliveryError. */
export function isSlackDeliveryError(e: unknown): e is SlackDeliveryError {
  return e instanceof SlackDeliveryError;
}

/** True when Slack's `ok:false` code is worth retrying (see RETRYABLE_CODES). */
export function isRetryableSlackCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

/** Turns whatever the Web API client threw into a SlackDeliveryError with a readable message. */
export function classifySlackError(e: unknown, what: string): SlackDeliveryError {
  if (e instanceof SlackDeliveryError) return e;
  if (e instanceof webApi.WebAPIRateLimitedError) {
    const ms = Math.max(0, e.retryAfter) * 1000;
    return new SlackDeliveryError('ratelimited', `${what}: Slack rate limit; retry after ${e.retryAfter}s`, { permanent: false, retryAfterMs: ms, cause: e });
  }
  if (e instanceof webApi.WebAPIHTTPError) {
    const permanent = !retryableHttpStatus(e.statusCode);
    return new SlackDeliveryError(`http_${e.statusCode}`, `${what}: Slack answered HTTP ${e.statusCode}${permanent ? '' : '; will retry'}`, { permanent, cause: e });
  }
  if (e instanceof webApi.WebAPIPlatformError) {
    const code = typeof e.data.error === 'string' ? e.data.error : 'unknown_error';
    if (isRetryableSlackCode(code)) return new SlackDeliveryError(code, `${what}: ${code}; will retry`, { permanent: false, cause: e });
    const action = ACTION[code] ?? 'Slack refused it with a code dockhand does not know; see https://api.slack.com/methods for what it means';
    return new SlackDeliveryError(code, `${what}: ${code} — ${action}`, { permanent: true, action, cause: e });
  }
  if (e instanceof webApi.WebAPIRequestError) {
    return new SlackDeliveryError('network', `${what}: could not reach Slack (${e.original.message}); will retry`, { permanent: false, cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new SlackDeliveryError('unknown', `${what}: ${msg}`, { permanent: false, cause: e });
}
