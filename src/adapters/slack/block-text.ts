/**
 * How much text a Slack message carries in its blocks, counted the one way both the renderer and
 * the test stand-in use. chat.postMessage and chat.update refuse a message whose blocks hold about
 * 12,000 characters of text in all with `msg_blocks_too_long`. Slack does not document the figure:
 * users measured it at 11,341–13,297 (bolt-js issues 2509 and 2867), a maintainer answered
 * "12,000 text characters with a buffer for block containers" (2509), and replies through a
 * response_url are not affected (2867).
 */

/** Where chat.postMessage / chat.update start answering `msg_blocks_too_long` (the stand-in refuses above it). */
export const SLACK_BLOCK_TEXT_LIMIT = 12_000;

/**
 * The block text dockhand allows itself in a message posted through the Web API (chat.postMessage,
 * chat.update, chat.postEphemeral), counted after escaping: below the limit by the margin users
 * found Slack's own counting to differ by (bolt-js issue 2867 was refused at 11,341).
 */
export const WEB_API_BLOCK_TEXT_BUDGET = 10_000;

/**
 * Counts the block text of a message: every `text` string anywhere inside the blocks (section text
 * and fields, headers, context elements, button labels and their confirm dialogs); the message's
 * top-level fallback `text` is not part of the blocks and is not counted.
 */
export function blockTextCount(blocks: readonly unknown[]): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'text' && typeof x === 'string') n += x.length;
      else walk(x);
    }
  };
  walk(blocks);
  return n;
}
