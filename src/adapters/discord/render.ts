/**
 * Reply → Discord messages: embeds for text, fields, tables and code; buttons in action rows.
 * Pure: no client, no I/O, so it is golden-tested. Every limit Discord enforces on a message is
 * kept here (https://discord.com/developers/docs/resources/message#create-message and
 * https://discord.com/developers/docs/resources/message#embed-object-embed-limits), and untrusted
 * text is escaped so it renders as typed and pings nobody.
 */
import { createHash } from 'node:crypto';
import type { Block, Button, Reply } from '../../core/reply.ts';
import { ASK_PREFIX } from '../../core/reply.ts';

/** Discord's message limits (documented on the pages named in the module comment). */
export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  embedTotal: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  rows: 5,
  buttonsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
  modalTitle: 45,
  textInputLabel: 45,
  textInputValue: 4000,
} as const;

/** A button component (type 2). */
export interface DiscordButton {
  type: 2;
  style: 1 | 2 | 4;
  label: string;
  custom_id: string;
}

/** An action row (type 1). */
export interface DiscordRow {
  type: 1;
  components: DiscordButton[];
}

/** An embed as sent to Discord. */
export interface DiscordEmbed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string; inline?: boolean }>;
  /** A picture uploaded with the message, as `attachment://<file name>`. */
  image?: { url: string };
}

/** A file uploaded with a message (https://discord.com/developers/docs/reference#uploading-files). */
export interface DiscordFile {
  /** The file name, which `attachment://` URLs refer to. */
  name: string;
  /** The bytes. */
  data: Uint8Array;
  /** Alt text: what the picture shows, in words (an attachment's description, at most 1,024 characters). */
  description: string;
}

/** Which mentions in `content` may notify (https://discord.com/developers/docs/resources/message#allowed-mentions-object). */
export interface AllowedMentions {
  parse: Array<'roles' | 'users' | 'everyone'>;
  roles?: string[];
}

/** One Discord message body. */
export interface DiscordMessage {
  content?: string;
  embeds: DiscordEmbed[];
  components: DiscordRow[];
  allowed_mentions: AllowedMentions;
  /** 64 = EPHEMERAL (https://discord.com/developers/docs/resources/message#message-object-message-flags). */
  flags?: number;
  /** Files uploaded with it (pictures shown by its embeds). */
  files?: DiscordFile[];
}

/** What rendering produced: the messages in order, and the actions of buttons too long to carry in a custom_id. */
export interface Rendered {
  /** The first message and its continuations (buttons sit on the last). */
  messages: DiscordMessage[];
  /** custom_id → action, for buttons whose action did not fit in 100 characters; the adapter keeps them. */
  longActions: Map<string, string>;
  /** Lines (or fields) left out to fit; 0 when everything is shown. */
  omitted: number;
}

/** Prefix of the custom_ids of dockhand's buttons; the action follows it. */
export const BUTTON_PREFIX = 'dh:';
/** Prefix of custom_ids that name a long action by its hash. */
export const HASHED_PREFIX = 'dh#';
/** Prefix of the custom_id of an answer modal; the command it completes follows it. */
export const MODAL_PREFIX = 'dhm:';
/** The custom_id of the modal's one text input. */
export const MODAL_INPUT_ID = 'answer';
/** Monospace lines of tables are cut here: wider lines wrap in Discord's embeds and lose their columns. */
export const TABLE_WIDTH = 72;
const EPHEMERAL = 64;
/** A message may carry one whole embed budget; continuations beyond this many are cut with a note. */
const MAX_MESSAGES = 5;

/**
 * Escapes Discord markdown outside inline code spans, so `*`, `_`, `~`, `|`, `>`, `#` and masked
 * links in service names, stop reasons or answers render as typed.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/([\\*_~|[\]])/g, '\\$1')
            // Quotes, headings, subtext and list markers only act at the start of a line.
            .replace(/^(\s*)([>#-])/gm, '$1\\$2'),
    )
    .join('');
}

/** Keeps three backticks in untrusted text from ending the code block around it. */
export function defuseFences(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}

/** Cuts to `max` characters with an ellipsis. */
export function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** The custom_id of a button's action: the action itself when it fits, else a stable hash the adapter remembers. */
export function customIdFor(action: string): string {
  const plain = `${BUTTON_PREFIX}${action}`;
  if (plain.length <= DISCORD_LIMITS.customId) return plain;
  return `${HASHED_PREFIX}${createHash('sha256').update(action).digest('base64url').slice(0, 32)}`;
}

/** The action a custom_id carries (or null when it is not one of dockhand's, or names a hash the caller must look up). */
export function actionOfCustomId(customId: string): string | null {
  return customId.startsWith(BUTTON_PREFIX) ? customId.slice(BUTTON_PREFIX.length) : null;
}

/** A monospace table as lines, each cut to TABLE_WIDTH. */
export function tableText(b: Extract<Block, { kind: 'table' }>): string {
  const widths = b.columns.map((c, i) => Math.max(c.length, ...b.rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cut(
      widths
        .map((w, i) => (b.align?.[i] === 'right' ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)))
        .join('  ')
        .trimEnd(),
      TABLE_WIDTH,
    );
  return [fmt(b.columns), cut(widths.map((w) => '-'.repeat(w)).join('  '), TABLE_WIDTH), ...b.rows.map(fmt)].join('\n');
}

/** A piece of description text; code pieces may be split at line breaks, others only between pieces. */
interface Piece {
  text: string;
  code: boolean;
  /** Set for a fields block: rendered as the embed's own fields (side by side), in a new embed to keep order. */
  fields?: Array<{ name: string; value: string; inline: boolean }>;
}

function piecesOf(b: Block): Piece[] {
  switch (b.kind) {
    case 'heading':
      return [{ text: `**${escapeMarkdown(b.text)}**`, code: false }];
    case 'text':
      return [{ text: escapeMarkdown(b.text), code: false }];
    case 'context':
      // Subtext (`-# `) is Discord's small grey line, the nearest to a context line.
      return [{ text: b.text.split('\n').map((l) => `-# ${escapeMarkdown(l)}`).join('\n'), code: false }];
    case 'code':
      return [{ text: defuseFences(b.text), code: true }];
    case 'table':
      return [{ text: defuseFences(tableText(b)), code: true }];
    case 'fields': {
      const fields = b.fields.slice(0, DISCORD_LIMITS.fields).map((f) => ({
        name: cut(escapeMarkdown(f.label), DISCORD_LIMITS.fieldName) || '\u200b',
        value: cut(escapeMarkdown(f.value), DISCORD_LIMITS.fieldValue) || '\u200b',
        inline: true,
      }));
      // Past Discord's 25 fields, the rest become lines of text.
      const rest = b.fields.slice(DISCORD_LIMITS.fields).map((f) => `**${escapeMarkdown(f.label)}:** ${escapeMarkdown(f.value)}`);
      const text = fields.map((f) => `${f.name}: ${f.value}`).join('\n');
      return [{ text, code: false, fields }, ...(rest.length > 0 ? [{ text: rest.join('\n'), code: false }] : [])];
    }
    case 'actions':
      return [];
    case 'image':
      // Where the picture is not uploaded (alerts, posted as JSON), the words of what it shows stand in for it.
      return [{ text: `**${escapeMarkdown(b.title)}**\n${escapeMarkdown(b.alt)}`, code: false }];
  }
}

/** The largest piece of code in one fence: a few fit in a message's 6,000 characters. */
const CODE_CHUNK = 1900;
/** Room kept in each message for the note of what was cut. */
const NOTE_ROOM = 160;

/** A unit of packing: description text, or a set of embed fields. */
type Unit = string | { fields: NonNullable<Piece['fields']>; size: number };

/** Splits a piece into units that each fit one description: code at line breaks, each chunk fenced. */
function unitsOf(p: Piece): Unit[] {
  if (p.fields) return [{ fields: p.fields, size: p.fields.reduce((n, f) => n + f.name.length + f.value.length, 0) }];
  if (!p.code) return [cut(p.text, CODE_CHUNK * 2)];
  const out: string[] = [];
  let cur: string[] = [];
  let len = 0;
  for (const raw of p.text.split('\n')) {
    const line = cut(raw, CODE_CHUNK - 10);
    if (cur.length > 0 && len + line.length + 1 > CODE_CHUNK - 8) {
      out.push(`\`\`\`\n${cur.join('\n')}\n\`\`\``);
      cur = [];
      len = 0;
    }
    cur.push(line);
    len += line.length + 1;
  }
  out.push(`\`\`\`\n${cur.join('\n') || ' '}\n\`\`\``);
  return out;
}

function buttonRows(buttons: readonly Button[], longActions: Map<string, string>): { rows: DiscordRow[]; dropped: number } {
  const rows: DiscordRow[] = [];
  const used = new Set<string>();
  let dropped = 0;
  for (const btn of buttons) {
    let id = customIdFor(btn.action);
    // Two buttons with one action would share a custom_id, which Discord refuses; the second differs by a suffix.
    for (let n = 2; used.has(id); n++) id = `${cut(customIdFor(btn.action), DISCORD_LIMITS.customId - 3)}~${n}`;
    if (rows.length === DISCORD_LIMITS.rows && rows.at(-1)!.components.length === DISCORD_LIMITS.buttonsPerRow) {
      dropped++;
      continue;
    }
    used.add(id);
    if (!id.startsWith(BUTTON_PREFIX) || id.includes('~')) longActions.set(id, btn.action);
    const style = btn.style === 'primary' ? 1 : btn.style === 'danger' ? 4 : 2;
    const comp: DiscordButton = { type: 2, style, label: cut(btn.label || '…', DISCORD_LIMITS.buttonLabel), custom_id: id };
    const last = rows.at(-1);
    if (last && last.components.length < DISCORD_LIMITS.buttonsPerRow) last.components.push(comp);
    else rows.push({ type: 1, components: [comp] });
  }
  return { rows, dropped };
}

/** Options of one render. */
export interface RenderOptions {
  /** A role id to ping: rendered as `<@&id>` in the content and the only mention allowed to notify. */
  mentionRole?: string;
  /** At most this many messages (alerts are one message; interaction replies may continue in follow-ups). */
  maxMessages?: number;
  /**
   * `attached`: pictures (image blocks) are uploaded with the last message and shown in embeds of
   * their own; `left-out` (the default, for senders that post JSON only): their title and alt text
   * stand in for them.
   */
  images?: 'attached' | 'left-out';
}

/**
 * Renders a reply into one or more messages within every limit. Text, fields, tables and code go
 * into embed descriptions (embeds never ping); when a message's 6,000 embed characters are used up
 * the rest continues in the next message, and what does not fit in `maxMessages` is cut with a note.
 */
export function renderReply(reply: Reply, opts: RenderOptions = {}): Rendered {
  const maxMessages = Math.max(1, Math.min(opts.maxMessages ?? MAX_MESSAGES, MAX_MESSAGES));
  const longActions = new Map<string, string>();
  let title: string | undefined;
  const blocks = [...reply.blocks];
  const first = blocks[0];
  if (first?.kind === 'heading') {
    title = cut(escapeMarkdown(first.text.replace(/\n/g, ' ')), DISCORD_LIMITS.title);
    blocks.shift();
  }
  const attach = opts.images === 'attached';
  const images = attach ? blocks.filter((b): b is Extract<Block, { kind: 'image' }> => b.kind === 'image') : [];
  const units = blocks.filter((b) => !(attach && b.kind === 'image')).flatMap(piecesOf).flatMap(unitsOf);
  const buttons = blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
  // Each message keeps room for a note of what was cut.
  const budget = DISCORD_LIMITS.embedTotal - NOTE_ROOM;
  const messages: DiscordEmbed[][] = [[title ? { title } : {}]];
  let total = title?.length ?? 0;
  let omittedLines = 0;
  const linesOf = (u: Unit): number => (typeof u === 'string' ? u.split('\n').filter((l) => l !== '```').length : u.fields.length);
  for (const u of units) {
    if (omittedLines > 0) {
      omittedLines += linesOf(u);
      continue;
    }
    const embeds = messages.at(-1)!;
    const embed = embeds.at(-1)!;
    if (typeof u !== 'string') {
      // Fields sit below an embed's description, so they get an embed of their own (the next text starts another).
      const here = !embed.description && !embed.fields ? embed : undefined;
      if (total + u.size <= budget && (here || embeds.length < DISCORD_LIMITS.embeds)) {
        if (here) here.fields = u.fields;
        else embeds.push({ fields: u.fields });
        total += u.size;
      } else if (messages.length < maxMessages) {
        messages.push([{ fields: u.fields }]);
        total = u.size;
      } else omittedLines += linesOf(u);
      continue;
    }
    const len = (embed.description ? embed.description.length + 1 : 0) + u.length;
    if (!embed.fields && len <= DISCORD_LIMITS.description && total + u.length + 1 <= budget) {
      embed.description = embed.description ? `${embed.description}\n${u}` : u;
      total += u.length + 1;
      continue;
    }
    if (embeds.length < DISCORD_LIMITS.embeds && total + u.length <= budget) {
      embeds.push({ description: u });
      total += u.length;
      continue;
    }
    if (messages.length < maxMessages) {
      messages.push([{ description: u }]);
      total = u.length;
      continue;
    }
    omittedLines += linesOf(u);
  }
  if (omittedLines > 0) {
    const embed = messages.at(-1)!.at(-1)!;
    const note = `-# … ${omittedLines} more line${omittedLines === 1 ? '' : 's'} left out to fit Discord's message limits; narrow the command to see them.`;
    embed.description = embed.description ? `${embed.description}\n${note}` : note;
  }
  const { rows, dropped } = buttonRows(buttons, longActions);
  const out: DiscordMessage[] = messages.map((embeds) => ({
    // An empty message is refused (50006); an embed needs a title or a description to show.
    embeds: embeds.map((e) => (e.title || e.description || e.fields ? e : { ...e, description: '\u200b' })),
    components: [],
    allowed_mentions: { parse: [] },
  }));
  const last = out.at(-1)!;
  last.components = rows;
  // Each picture gets an embed of its own after the text, showing the file uploaded with the same
  // message; the 10-embed cap and 6,000-character budget hold as for text (titles count).
  const used = new Set<string>();
  for (const img of images) {
    if (last.embeds.length >= DISCORD_LIMITS.embeds) break;
    let name = img.filename.replace(/[^A-Za-z0-9._-]/g, '_') || 'image.png';
    while (used.has(name)) name = `x${name}`;
    used.add(name);
    last.embeds.push({ title: cut(escapeMarkdown(img.title), 100), image: { url: `attachment://${name}` } });
    (last.files ??= []).push({ name, data: img.png, description: cut(img.alt, 1024) });
  }
  if (dropped > 0) {
    const e = last.embeds.at(-1)!;
    e.description = `${e.description ?? ''}\n-# ${dropped} more button${dropped === 1 ? '' : 's'} left out (Discord shows at most 25).`;
  }
  if (opts.mentionRole && /^\d{17,20}$/.test(opts.mentionRole)) {
    out[0]!.content = `<@&${opts.mentionRole}>`;
    out[0]!.allowed_mentions = { parse: [], roles: [opts.mentionRole] };
  }
  if (reply.visibility === 'ephemeral') for (const m of out) m.flags = EPHEMERAL;
  return { messages: out, longActions, omitted: omittedLines };
}

/** True when a button action asks for free text (the adapter opens a modal for it). */
export function isAskAction(action: string): boolean {
  return action.startsWith(ASK_PREFIX) && action.slice(ASK_PREFIX.length).trim().length > 0;
}

/** The answer modal of an `ask:` button (interaction callback type 9), or null when its command is too long to carry. */
export function askModal(command: string, title: string, prompt: string | undefined): { custom_id: string; title: string; components: unknown[] } | null {
  const id = `${MODAL_PREFIX}${command}`;
  if (id.length > DISCORD_LIMITS.customId) return null;
  return {
    custom_id: id,
    title: cut(title || 'Your answer', DISCORD_LIMITS.modalTitle),
    components: [
      {
        type: 1,
        components: [
          {
            type: 4,
            custom_id: MODAL_INPUT_ID,
            // 2 = paragraph (https://discord.com/developers/docs/components/reference#text-input).
            style: 2,
            label: cut(prompt || 'Your answer', DISCORD_LIMITS.textInputLabel),
            required: true,
            max_length: DISCORD_LIMITS.textInputValue,
          },
        ],
      },
    ],
  };
}
