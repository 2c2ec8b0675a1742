/**
 * The Block Kit renderer: turns the platform-neutral Reply into Slack blocks plus fallback text.
 * Everything it emits stays inside Slack's limits, so Slack never rejects a reply: long text is
 * split over several sections, and whatever still does not fit is cut with a visible note.
 */
import type { types as SlackTypes } from '@slack/bolt';
import type { Block, Button, Field, Reply } from '../../core/reply.ts';
import { ASK_PREFIX, replyToPlainText } from '../../core/reply.ts';
import { blockTextCount } from './block-text.ts';

/** A Block Kit block as this renderer emits it. */
export type SlackBlock = SlackTypes.KnownBlock;

/** A rendered message: blocks plus the `text` Slack shows in notifications and as a fallback. */
export interface SlackMessage {
  /** Fallback and notification text. */
  text: string;
  /** The Block Kit blocks. */
  blocks: SlackBlock[];
}

/** Slack's documented limits that the renderer keeps to. */
export const SLACK_LIMITS = {
  /** Blocks per message. */
  blocks: 50,
  /** Characters in a section's text. */
  sectionText: 3000,
  /** Characters in one section field. */
  fieldText: 2000,
  /** Fields in one section. */
  fields: 10,
  /** Characters in a header block. */
  headerText: 150,
  /** Characters in a context text element. */
  contextText: 3000,
  /** Elements in one actions block. */
  actionsElements: 25,
  /** Characters of button text. */
  buttonText: 75,
  /** Characters of a button value. */
  buttonValue: 2000,
  /** Characters of an action_id. */
  actionId: 255,
  /** Confirm dialog: title, text, and button labels. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Characters of the top-level `text`. */
  messageText: 40000,
  /** Characters of a modal's title, submit and close labels. */
  modalTitle: 24,
  /** Characters of an input block's label. */
  inputLabel: 2000,
  /** Characters a plain_text_input accepts (its max_length may not exceed this). */
  textInput: 3000,
  /** Characters of a view's private_metadata. */
  privateMetadata: 3000,
} as const;

/**
 * Characters of block text allowed across all blocks of a reply sent through a response_url, which
 * Slack does not hold to the ~12,000 of chat.postMessage (bolt-js issue 2867). Slack documents about
 * 40,000 for a message; we keep a margin for the markup around the text. Messages posted through
 * the Web API use WEB_API_BLOCK_TEXT_BUDGET instead (block-text.ts).
 */
export const TOTAL_TEXT_BUDGET = 38000;

/** Room kept for the note a cut message carries, so the note itself never breaks the budget. */
const NOTE_ROOM = 400;

/** Prefix of every action_id this renderer emits, so the app can match only its own buttons. */
export const ACTION_ID_PREFIX = 'dockhand';

/** Characters of fallback text; notifications only show the start, so a long fallback helps no one. */
const FALLBACK_TEXT_MAX = 3000;

/** Escapes the three characters Slack mrkdwn treats as control, so user text cannot ping @channel. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Where to cut escaped text at or before `at` so no `&amp;`, `&lt;` or `&gt;` is split: a cut
 * inside one would leave a stray `&a` that Slack shows as typed.
 */
function entitySafe(s: string, at: number): number {
  const amp = s.lastIndexOf('&', at - 1);
  if (amp < 0 || at - amp >= 5) return at;
  return /^&(amp|lt|gt);/.test(s.slice(amp, amp + 5)) && amp + (s[amp + 1] === 'a' ? 5 : 4) > at ? amp : at;
}

/** Cuts a string to `max` characters, ending in an ellipsis when it was cut, never inside an entity. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, entitySafe(s, Math.max(0, max - 1)))}…`;
}

/** Splits text into chunks of at most `max` characters, preferring line breaks. */
export function splitText(s: string, max: number): string[] {
  if (s.length <= max) return [s];
  const out: string[] = [];
  let rest = s;
  while (rest.length > max) {
    let at = rest.lastIndexOf('\n', max);
    // A break too early would make many tiny chunks; cut mid-line instead (but not inside an entity).
    if (at < max / 2) at = entitySafe(rest, max);
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  if (rest.length > 0) out.push(rest);
  return out;
}

/** Keeps a code fence from closing early when the content itself has triple backticks. */
function defuseFences(s: string): string {
  return s.replace(/```/g, '`\u200b``');
}

const FENCE_OVERHEAD = 8; // "```\n" + "\n```"

/** Characters of a table's header line (and of its rule) in one section. */
const TABLE_HEAD_MAX = 1000;

/** Wraps lines in code fences, split into sections that each fit the section limit. */
function codeChunks(text: string, header?: string): string[] {
  const body = escapeMrkdwn(defuseFences(text));
  const budget = SLACK_LIMITS.sectionText - FENCE_OVERHEAD - (header ? header.length + 1 : 0);
  const lines = body.split('\n');
  const chunks: string[] = [];
  let cur: string[] = [];
  let len = 0;
  const flush = (): void => {
    if (cur.length === 0) return;
    chunks.push(`\`\`\`\n${header ? `${header}\n` : ''}${cur.join('\n')}\n\`\`\``);
    cur = [];
    len = 0;
  };
  for (const raw of lines) {
    const line = cut(raw, budget);
    if (len + line.length + 1 > budget) flush();
    cur.push(line);
    len += line.length + 1;
  }
  flush();
  return chunks.length > 0 ? chunks : ['```\n \n```'];
}

/** Lays a table out as aligned monospace lines; the header line is returned separately. */
export function tableLines(b: Extract<Block, { kind: 'table' }>): { header: string; rule: string; rows: string[] } {
  const widths = b.columns.map((c, i) => Math.max(c.length, ...b.rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? '';
        return b.align?.[i] === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return {
    header: fmt(b.columns),
    rule: widths.map((w) => '-'.repeat(w)).join('  '),
    rows: b.rows.map(fmt),
  };
}

/**
 * A mrkdwn text object with `verbatim: true`: Slack then turns no plain `@channel`, channel name or
 * URL into a mention or link, and only the `<!subteam^…>`-style sequences dockhand writes itself
 * (escaped text can contain none) ping anyone (Slack, Block Kit text object: `verbatim`).
 */
export function mrkdwn(text: string): SlackTypes.MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

function section(text: string): SlackTypes.SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function fieldText(f: Field): string {
  return cut(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, SLACK_LIMITS.fieldText);
}

/** True for buttons that change something, which get Slack's own "are you sure" dialog. */
export function needsConfirmDialog(b: Button): boolean {
  return b.style === 'danger' || b.action.startsWith('confirm:');
}

function plain(text: string, max: number): SlackTypes.PlainTextElement {
  return { type: 'plain_text', text: cut(text, max), emoji: true };
}

function confirmDialog(button: Button, question: string): SlackTypes.ConfirmationDialog {
  // The dialog text is plain text, so mrkdwn emphasis would show as stray asterisks.
  const text = question.replace(/[*`]/g, '').trim() || `Run “${button.label}”?`;
  return {
    title: plain('Are you sure?', SLACK_LIMITS.confirmTitle),
    text: plain(text, SLACK_LIMITS.confirmText),
    confirm: plain(button.label, SLACK_LIMITS.confirmButton),
    deny: plain('Not now', SLACK_LIMITS.confirmButton),
    style: button.style === 'primary' ? 'primary' : 'danger',
  };
}

/**
 * The value a button carries back. An `ask:` button's prompt rides after the first line break,
 * since an ephemeral message's press does not include the message it sat on; commands never hold one.
 */
function buttonValue(btn: Button): string {
  if (!btn.action.startsWith(ASK_PREFIX) || !btn.prompt?.trim()) return btn.action;
  const room = SLACK_LIMITS.buttonValue - btn.action.length - 1;
  const prompt = cut(btn.prompt.trim().replace(/\s+/g, ' '), Math.min(room, SLACK_LIMITS.inputLabel));
  return room > 1 ? `${btn.action}\n${prompt}` : btn.action;
}

/** Renders one neutral block into Slack blocks (several when it has to be split). */
function renderBlock(b: Block, ctx: { question: string; nextButton: () => number; dropped: string[]; images?: 'attached' | 'left-out' }): SlackBlock[] {
  switch (b.kind) {
    // Slack refuses a header, section or context whose text is empty, so such blocks are left out.
    case 'heading':
      return b.text.trim() ? [{ type: 'header', text: plain(b.text, SLACK_LIMITS.headerText) }] : [];
    case 'text':
      return b.text.trim() ? splitText(escapeMrkdwn(b.text), SLACK_LIMITS.sectionText).map(section) : [];
    case 'code':
      return codeChunks(b.text).map(section);
    case 'context':
      if (!b.text.trim()) return [];
      return splitText(escapeMrkdwn(b.text), SLACK_LIMITS.contextText).map((t) => ({
        type: 'context',
        elements: [mrkdwn(t)],
      }));
    case 'fields': {
      const out: SlackBlock[] = [];
      for (let i = 0; i < b.fields.length; i += SLACK_LIMITS.fields) {
        out.push({ type: 'section', fields: b.fields.slice(i, i + SLACK_LIMITS.fields).map((f) => mrkdwn(fieldText(f))) });
      }
      return out;
    }
    case 'table': {
      const t = tableLines(b);
      // One very wide cell widens the header and rule too; cut them so the rows keep room in the section.
      const head = escapeMrkdwn(defuseFences(`${cut(t.header, TABLE_HEAD_MAX)}\n${t.rule.slice(0, TABLE_HEAD_MAX)}`));
      // Every chunk repeats the header so each part of a long table still reads on its own.
      const chunks = t.rows.length === 0 ? codeChunks('(no rows)', head) : codeChunks(t.rows.join('\n'), head);
      return chunks.map(section);
    }
    case 'actions': {
      const out: SlackBlock[] = [];
      const buttons: SlackTypes.Button[] = [];
      for (const btn of b.buttons) {
        if (btn.action.length > SLACK_LIMITS.buttonValue) {
          // A cut action string would run something else, so the button goes and the reply says so.
          ctx.dropped.push(btn.label);
          continue;
        }
        const el: SlackTypes.Button = {
          type: 'button',
          text: plain(btn.label.trim() || 'Run', SLACK_LIMITS.buttonText),
          action_id: `${ACTION_ID_PREFIX}:${ctx.nextButton()}`,
          value: buttonValue(btn),
        };
        if (btn.style === 'primary' || btn.style === 'danger') el.style = btn.style;
        if (needsConfirmDialog(btn)) el.confirm = confirmDialog(btn, ctx.question);
        buttons.push(el);
      }
      for (let i = 0; i < buttons.length; i += SLACK_LIMITS.actionsElements) {
        out.push({ type: 'actions', elements: buttons.slice(i, i + SLACK_LIMITS.actionsElements) });
      }
      return out;
    }
    case 'image': {
      // Blocks cannot carry bytes: the adapter uploads the PNG as a file next to the message. Where it
      // cannot (an ephemeral reply, a response_url answer), the words of the chart stand in with a note.
      const text =
        ctx.images === 'attached'
          ? `📈 ${escapeMrkdwn(b.title)}: chart attached below`
          : `📈 ${escapeMrkdwn(b.title)}: ${escapeMrkdwn(b.alt)} (chart left out: a reply only you can see, or one sent through response_url, cannot carry a file)`;
      return [{ type: 'context', elements: [mrkdwn(cut(text, SLACK_LIMITS.contextText))] }];
    }
  }
}

/** Counts the block text of one rendered block the way Slack's limit counts it (see block-text.ts). */
export function blockTextLength(b: SlackBlock): number {
  return blockTextCount([b]);
}

/** Where a reply goes and what the caller puts around it, which decide its budget. */
export interface RenderRoom {
  /** Blocks the caller adds (a mention, a "ran by" note). */
  reserveBlocks?: number;
  /** Characters of block text the caller adds. */
  reserveChars?: number;
  /** Characters of block text the whole message may carry (default TOTAL_TEXT_BUDGET, for response_url). */
  budget?: number;
  /** Whether the adapter uploads the reply's images next to it (`attached`) or cannot (`left-out`, the default). */
  images?: 'attached' | 'left-out';
}

/** The block text the reply's blocks come to once rendered. */
function renderedLength(blocks: readonly Block[]): number {
  let n = 0;
  return blocks.reduce((sum, b) => sum + blockTextCount(renderBlock(b, { question: '', nextButton: () => n++, dropped: [] })), 0);
}

/**
 * Shortens droppable code blocks (an alert's log excerpt) before anything else is cut: their
 * oldest lines go first, and a note says how many and where to read them in full.
 */
function fitDroppable(blocks: readonly Block[], budget: number): { blocks: Block[]; notes: string[] } {
  let out = [...blocks];
  const notes: string[] = [];
  if (renderedLength(out) <= budget) return { blocks: out, notes };
  for (let i = out.length - 1; i >= 0; i--) {
    const b = out[i];
    if (!b?.droppable || b.kind !== 'code') continue;
    const lines = b.text.split('\n');
    const withLines = (keep: number): Block[] => out.map((x, j) => (j === i ? { ...b, text: lines.slice(lines.length - keep).join('\n') } : x));
    // The most recent lines are kept: a crash is explained by what the container said last.
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (renderedLength(withLines(mid)) + NOTE_ROOM <= budget) lo = mid;
      else hi = mid - 1;
    }
    const left = lines.length - lo;
    if (lo > 0) {
      out = withLines(lo);
      notes.push(`${left} earlier log line${left === 1 ? '' : 's'} left out to fit Slack; read them with \`${escapeMrkdwn(b.droppable.readWith)}\`.`);
    } else {
      const cmd = b.droppable.readWith;
      out = out.filter((x, j) => j !== i && !(x.droppable?.readWith === cmd && x.kind === 'context'));
      notes.push(`The ${lines.length} log line${lines.length === 1 ? '' : 's'} were left out to fit Slack; read them with \`${escapeMrkdwn(cmd)}\`.`);
    }
    if (renderedLength(out) + NOTE_ROOM <= budget) break;
  }
  return { blocks: out, notes };
}

function noteBlock(text: string): SlackBlock {
  return { type: 'context', elements: [mrkdwn(`:warning: ${text}`)] };
}

/** Text the fallback shows: the summary if there is one, else the start of the plain text. */
function fallbackText(r: Reply): string {
  const t = (r.summary ?? replyToPlainText(r)).trim();
  // Slack reads the fallback as mrkdwn too, so it gets the same escaping as the blocks.
  return cut(escapeMrkdwn(t.length > 0 ? t : 'dockhand'), FALLBACK_TEXT_MAX);
}

/** Where the parts after the first of a long Web API message go, which the first part's note names. */
export type Continuation = 'thread' | 'below';

/** Room for a reply posted in parts through the Web API; each part keeps to `budget`. */
export interface PartsRoom extends RenderRoom {
  /** Thread replies under the first message, or the next messages where it already sits in a thread (or is ephemeral). */
  continuation: Continuation;
  /** Block text of all parts together (default TOTAL_TEXT_BUDGET, what one response_url answer may carry). */
  total?: number;
}

/** Blocks a continuation part keeps free: its "continued" line and a possible note. */
const PART_EXTRA_BLOCKS = 2;

/** A reply's blocks laid out in messages, with what its notes must say. */
interface Layout {
  /** The messages' blocks, the first one first (without notes). */
  parts: SlackBlock[][];
  /** How many log lines were left out, and where to read them. */
  trimmed: string[];
  /** What did not fit at all. */
  cut?: string;
  /** Which buttons were left out. */
  dropped?: string;
}

/**
 * Lays the rendered blocks out in one message, or with `total` in several: a block that does not
 * fit the current part opens the next one, until `total` is spent and the rest is cut with a note.
 */
function layout(r: Reply, room: RenderRoom, total: number | undefined): Layout {
  let n = 0;
  const dropped: string[] = [];
  const budget = (room.budget ?? TOTAL_TEXT_BUDGET) - NOTE_ROOM;
  const fitted = fitDroppable(r.blocks, budget - (room.reserveChars ?? 0));
  // The confirm dialog repeats the question, which is the last text shown before the buttons.
  let question = '';
  const rendered: Array<{ blocks: SlackBlock[]; keep: boolean }> = [];
  for (const b of fitted.blocks) {
    rendered.push({ blocks: renderBlock(b, { question, nextButton: () => n++, dropped, images: room.images ?? 'left-out' }), keep: b.kind === 'actions' });
    if (b.kind === 'text' || b.kind === 'heading') question = b.text;
  }

  const keepBlocks = rendered.filter((x) => x.keep).flatMap((x) => x.blocks);
  const keepChars = keepBlocks.reduce((s, b) => s + blockTextLength(b), 0) + (room.reserveChars ?? 0);
  // Room for the content: reserve one block for a possible note, and what the caller adds (a mention).
  let maxBlocks = SLACK_LIMITS.blocks - 1 - keepBlocks.length - (room.reserveBlocks ?? 0);
  let usedBlocks = 0;
  let usedChars = keepChars;
  // Continuing stops for good at the first block the total has no room for, so no part skips ahead.
  let continuing = total !== undefined;
  let totalChars = keepChars;
  let cutBlocks = 0;
  let cutChars = 0;
  const first: SlackBlock[] = [];
  const parts: SlackBlock[][] = [first];
  for (const part of rendered) {
    if (part.keep) {
      // Buttons stay on the first message, where the channel sees them.
      first.push(...part.blocks);
      continue;
    }
    for (const b of part.blocks) {
      const len = blockTextLength(b);
      const overPart = usedBlocks + 1 > maxBlocks || usedChars + len > budget;
      const overTotal = total !== undefined && (!continuing || totalChars + len > total - NOTE_ROOM);
      // A block no message could hold (ten 2,000-character fields) is cut on its own, whatever follows.
      const tooBig = len > budget;
      if (overTotal || tooBig || (overPart && total === undefined)) {
        if (!tooBig) continuing = false;
        cutBlocks++;
        cutChars += len;
        continue;
      }
      if (overPart) {
        parts.push([]);
        maxBlocks = SLACK_LIMITS.blocks - PART_EXTRA_BLOCKS;
        usedBlocks = 0;
        usedChars = 0;
      }
      parts[parts.length - 1]?.push(b);
      usedBlocks++;
      usedChars += len;
      totalChars += len;
    }
  }

  return {
    parts,
    trimmed: fitted.notes,
    ...(cutBlocks > 0 ? { cut: `Output cut to fit Slack: ${cutBlocks} more part${cutBlocks === 1 ? '' : 's'} (${cutChars} characters) not shown.` } : {}),
    ...(dropped.length > 0 ? { dropped: `Buttons left out because their action is too long for Slack: ${dropped.map(escapeMrkdwn).join(', ')}.` } : {}),
  };
}

/** Puts a note before a message's trailing buttons, so it reads as part of the content it explains. */
function addNote(out: SlackBlock[], notes: readonly string[]): void {
  if (notes.length === 0) return;
  let at = out.length;
  while (at > 0 && out[at - 1]?.type === 'actions') at--;
  out.splice(at, 0, noteBlock(notes.join(' ')));
}

/**
 * Renders a Reply as one Slack message. Blocks over Slack's limits are split where a split keeps
 * meaning (long text, many fields, long tables) and otherwise cut, with a note saying what was left out.
 * Buttons are always kept, because a cut-off confirmation would leave the command hanging.
 * `room` keeps blocks and characters free for what the caller puts around the message.
 */
export function renderReply(r: Reply, room: RenderRoom = {}): SlackMessage {
  const l = layout(r, room, undefined);
  const out = l.parts[0] ?? [];
  addNote(out, [...l.trimmed, ...(l.cut ? [l.cut] : []), ...(l.dropped ? [l.dropped] : [])]);
  if (out.length === 0) out.push(section(escapeMrkdwn(fallbackText(r))));
  return { text: fallbackText(r), blocks: out };
}

/**
 * Renders a Reply for the Web API as one message or more, each within `room.budget`: what does not
 * fit the first continues in the next (thread replies under it, or the next messages), as long as
 * `room.total` lasts. The first message keeps the buttons and says where the rest is; each later
 * one opens with "continued (i/n)" and carries the same fallback text.
 */
export function renderReplyParts(r: Reply, room: PartsRoom): SlackMessage[] {
  const l = layout(r, room, room.total ?? TOTAL_TEXT_BUDGET);
  const count = l.parts.length;
  const text = fallbackText(r);
  const first = l.parts[0] ?? [];
  const more = count - 1;
  const where =
    more === 0 ? [] : room.continuation === 'thread' ? [`Continued in ${more} thread repl${more === 1 ? 'y' : 'ies'} under this message.`] : [`Continued in the next ${more} message${more === 1 ? '' : 's'}.`];
  addNote(first, [...l.trimmed, ...where, ...(l.cut && count === 1 ? [l.cut] : []), ...(l.dropped ? [l.dropped] : [])]);
  if (first.length === 0) first.push(section(escapeMrkdwn(text)));
  const out: SlackMessage[] = [{ text, blocks: first }];
  l.parts.slice(1).forEach((blocks, i) => {
    const label = `continued (${i + 2}/${count})`;
    const last = i + 2 === count;
    out.push({
      text: cut(`${label}: ${text}`, FALLBACK_TEXT_MAX),
      blocks: [{ type: 'context', elements: [mrkdwn(label)] }, ...blocks, ...(last && l.cut ? [noteBlock(l.cut)] : [])],
    });
  });
  return out;
}

/** Reads the dockhand action string back from a pressed Slack button's value. */
export function actionFromValue(actionId: string, value: string | undefined): string | null {
  if (!actionId.startsWith(`${ACTION_ID_PREFIX}:`) || value === undefined || value.length === 0) return null;
  return value;
}

/** callback_id of the modal an `ask:` button opens. */
export const ASK_CALLBACK_ID = 'dockhand:ask';

/** block_id of the modal's text field; `response_action: errors` names it. */
export const ASK_BLOCK_ID = 'dockhand_ask_text';

/** action_id of the modal's plain_text_input. */
export const ASK_INPUT_ID = 'text';

/** A pressed `ask:` button: the command to run with the typed text, and the label of the text field. */
export interface AskButton {
  /** The command line the text is added to, such as `/quiz answer`. */
  command: string;
  /** The label of the text field, when the button gave one. */
  prompt?: string;
}

/** Reads an `ask:` button's value (see buttonValue), or null for any other button. */
export function parseAskValue(value: string): AskButton | null {
  if (!value.startsWith(ASK_PREFIX)) return null;
  const nl = value.indexOf('\n');
  const command = (nl >= 0 ? value.slice(ASK_PREFIX.length, nl) : value.slice(ASK_PREFIX.length)).trim();
  if (!command) return null;
  const prompt = nl >= 0 ? value.slice(nl + 1).trim() : '';
  return prompt ? { command, prompt } : { command };
}

/** What the modal carries to its submission, since Slack keeps no context of its own for it. */
export interface AskContext {
  /** The command to run with the typed text. */
  command: string;
  /** The channel the button was pressed in, where the answer goes. */
  channelId: string;
  /** The press's response_url, for channels the bot cannot post in (valid 30 minutes). */
  responseUrl?: string;
}

/** Encodes the modal's context for private_metadata, or null when it cannot fit Slack's 3,000 characters. */
export function askMetadata(ctx: AskContext): string | null {
  const full = JSON.stringify({ c: ctx.command, ch: ctx.channelId, ...(ctx.responseUrl ? { u: ctx.responseUrl } : {}) });
  if (full.length <= SLACK_LIMITS.privateMetadata) return full;
  // Without the response_url only channels the bot is in can be answered; still better than no modal.
  const bare = JSON.stringify({ c: ctx.command, ch: ctx.channelId });
  return bare.length <= SLACK_LIMITS.privateMetadata ? bare : null;
}

/** Reads the context back from a submitted modal's private_metadata, or null when it is not ours. */
export function readAskMetadata(s: string): AskContext | null {
  try {
    const v = JSON.parse(s) as { c?: unknown; ch?: unknown; u?: unknown };
    if (typeof v.c !== 'string' || !v.c.trim() || typeof v.ch !== 'string') return null;
    return { command: v.c, channelId: v.ch, ...(typeof v.u === 'string' && v.u ? { responseUrl: v.u } : {}) };
  } catch {
    return null;
  }
}

/**
 * The modal an `ask:` button opens: one multi-line text field and a note of what will run.
 * Null when its context cannot fit private_metadata (the caller then falls back to the typed hint).
 */
export function askModal(ask: AskButton, title: string, ctx: AskContext): SlackTypes.ModalView | null {
  const metadata = askMetadata(ctx);
  if (metadata === null) return null;
  return {
    type: 'modal',
    callback_id: ASK_CALLBACK_ID,
    title: plain(title.trim() || 'dockhand', SLACK_LIMITS.modalTitle),
    submit: plain('Send', SLACK_LIMITS.modalTitle),
    close: plain('Cancel', SLACK_LIMITS.modalTitle),
    private_metadata: metadata,
    blocks: [
      {
        type: 'input',
        block_id: ASK_BLOCK_ID,
        label: plain(ask.prompt ?? 'Your answer', SLACK_LIMITS.inputLabel),
        element: { type: 'plain_text_input', action_id: ASK_INPUT_ID, multiline: true, max_length: SLACK_LIMITS.textInput },
      },
      { type: 'context', elements: [mrkdwn(cut(`dockhand runs \`${escapeMrkdwn(ask.command.replace(/`/g, "'"))} <your text>\` as you.`, SLACK_LIMITS.contextText))] },
    ],
  };
}
