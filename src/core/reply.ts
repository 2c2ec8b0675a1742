/**
 * The platform-neutral reply model. Commands return these; each adapter has one
 * renderer that turns them into its native format (Block Kit, embeds, terminal text).
 * Nothing here may name a platform type.
 */

/** A button whose action string comes back to the core when pressed. */
export interface Button {
  /** Text on the button (renderers cut it to the platform's limit). */
  label: string;
  /**
   * What pressing does: `run:<command text>` runs that command as the presser,
   * `confirm:<id>` / `cancel:<id>` answer a pending confirmation, and `ask:<command text>`
   * asks the presser for free text and then runs `<command text> <their text>` as them
   * (where the platform has a form such as a modal; elsewhere they are told what to type).
   */
  action: string;
  /** For `ask:` buttons, the label of the text field (such as the question being answered). */
  prompt?: string;
  /** Visual weight; renderers map it to their own styles. */
  style?: 'primary' | 'danger' | 'default';
}

/** A key/value pair shown side by side where the platform allows. */
export interface Field {
  /** The key, such as `Desired`. */
  label: string;
  /** The value, such as `5`. */
  value: string;
}

/**
 * Marks a block a platform may shorten or leave out when the whole message is too long for it
 * (an alert's log excerpt), with the command that shows the same content in full.
 */
export interface Droppable {
  /** The command that shows what was left out, such as `/ecs logs web --task abc --since 1h`. */
  readWith: string;
}

/**
 * A picture (a PNG chart). Platforms that show images attach it; the terminal prints `alt`, and a
 * reply that cannot carry a file (ephemeral, response_url) shows `alt` with a note instead.
 */
export interface ImageBlock {
  kind: 'image';
  /** The PNG bytes. */
  png: Uint8Array;
  /** What the picture shows, in words (screen readers, terminals, and where the file cannot go). */
  alt: string;
  /** A short title shown with the file. */
  title: string;
  /** The file name, such as `payments-metrics.png`. */
  filename: string;
}

/** One visual part of a reply, in order; `droppable` ones may be shortened or left out to fit. */
export type Block = (
  | { kind: 'heading'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: Field[] }
  | { kind: 'table'; columns: string[]; rows: string[][]; align?: Array<'left' | 'right'> }
  | { kind: 'code'; text: string }
  | { kind: 'context'; text: string }
  | { kind: 'actions'; buttons: Button[] }
  | ImageBlock
) & { droppable?: Droppable };

/** Where a reply should appear relative to the conversation. */
export interface ThreadHint {
  /** A stable key (such as `logs:abc123` or an incident id) that adapters map to a native thread. */
  key: string;
  /** True when this message starts the thread (the parent), false for replies in it. */
  parent?: boolean;
}

/** A platform-neutral message. */
export interface Reply {
  /** The parts of the message, in order. */
  blocks: Block[];
  /** `ephemeral` replies are shown only to the caller where the platform can do that. */
  visibility: 'channel' | 'ephemeral';
  /** Set when the reply belongs in a thread. */
  thread?: ThreadHint;
  /** Set when the reply replaces the message the pressed button sat on. */
  replaceOriginal?: boolean;
  /** One line that platforms use for notifications and previews. */
  summary?: string;
  /**
   * Names this message once for all processes (such as the reveal of one question of one quiz), so a
   * platform that drops a repeated create (Discord's message nonce) never shows it twice.
   */
  idempotencyKey?: string;
}

/**
 * Thrown by a PostFollowUp when the platform takes no more messages for this command (such as a
 * reply link used up); the follow-up then ends quietly, having said why in its last message.
 */
export class ConversationClosed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversationClosed';
  }
}

/** Posts one more message for a command that is still running in the background. */
export type PostFollowUp = (reply: Reply) => Promise<void>;

/**
 * Work a command goes on doing after its first reply (following a deployment,
 * tailing logs). It posts through `post` and ends when the work is done or `signal` aborts.
 */
export type FollowUpTask = (post: PostFollowUp, signal: AbortSignal) => Promise<void | FollowUpOutcome>;

/**
 * How a follow-up ended, for scripts' exit codes: `failed` (the rollout failed, the service went
 * away) and `not-steady` (time ran out) make a piped run exit 1; nothing returned means ok.
 */
export type FollowUpOutcome = 'ok' | 'failed' | 'not-steady';

/** What a handler may return: a reply, or a reply and the follow-up work behind it. */
export type HandlerResult = Reply | { reply: Reply; followUp: FollowUpTask };

/** Builds a reply from blocks, visible to the channel unless said otherwise. */
export function reply(blocks: Block[], options: Partial<Omit<Reply, 'blocks'>> = {}): Reply {
  return { visibility: 'channel', ...options, blocks };
}

/** A short reply of one text block. */
export function textReply(text: string, options: Partial<Omit<Reply, 'blocks'>> = {}): Reply {
  return reply([{ kind: 'text', text }], options);
}

/** Reads the plain text of a reply, for logs, previews and tests. */
export function replyToPlainText(r: Reply): string {
  const out: string[] = [];
  for (const b of r.blocks) {
    switch (b.kind) {
      case 'heading':
      case 'text':
      case 'context':
      case 'code':
        out.push(b.text);
        break;
      case 'fields':
        out.push(b.fields.map((f) => `${f.label}: ${f.value}`).join('\n'));
        break;
      case 'table':
        out.push([b.columns.join(' | '), ...b.rows.map((row) => row.join(' | '))].join('\n'));
        break;
      case 'actions':
        out.push(b.buttons.map((x) => `[${x.label}]`).join(' '));
        break;
      case 'image':
        out.push(`[image: ${b.alt}]`);
        break;
    }
  }
  return out.join('\n');
}

/**
 * The reply without its droppable blocks and with a note saying where to read them, for a
 * platform that refused the message as too long; null when nothing in it may be dropped.
 */
export function withoutDroppable(r: Reply): Reply | null {
  const dropped = r.blocks.filter((b) => b.droppable);
  if (dropped.length === 0) return null;
  const commands = [...new Set(dropped.map((b) => b.droppable?.readWith ?? ''))].filter(Boolean);
  const note: Block = { kind: 'context', text: `Left out because the message was too long: read it with ${commands.map((c) => `\`${c}\``).join(' or ')}.` };
  const kept = r.blocks.filter((b) => !b.droppable);
  // The note goes where the first dropped block was, so it reads in place of what it stands for.
  const at = r.blocks.findIndex((b) => b.droppable);
  const before = r.blocks.slice(0, at).filter((b) => !b.droppable).length;
  return { ...r, blocks: [...kept.slice(0, before), note, ...kept.slice(before)] };
}

/** The prefix of an action that asks the presser for free text before running its command. */
export const ASK_PREFIX = 'ask:';

/**
 * The command line an `ask:` button runs once the presser has typed `text`. The text goes in as one
 * quoted argument, so apostrophes, quotes, leading `--` and line breaks arrive exactly as typed.
 */
export function askCommandLine(command: string, text: string): string {
  return `${command.trim()} "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** True when a handler result carries follow-up work. */
export function hasFollowUp(r: HandlerResult): r is { reply: Reply; followUp: FollowUpTask } {
  return 'followUp' in r;
}
