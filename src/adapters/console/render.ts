import type { Block, Button, Reply } from '../../core/reply.ts';

/** How the terminal renderer styles its output. */
export interface TerminalStyle {
  /** Use ANSI colours and bold (only on a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width: tables shrink to it, text wraps at it; 0 or absent for no limit. */
  width?: number;
  /** The number the first button of this reply gets (the terminal numbers buttons across the session). */
  firstButton?: number;
}

const ansi = (on: boolean, code: string, s: string): string => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** Visible width of a string (ignores ANSI codes; counts wide characters as one, which is close enough for tables). */
function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return right ? fill + s : s + fill;
}

/** Cuts text to `width` visible characters, ending with an ellipsis when something was cut. */
export function cut(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 1 ? '…'.slice(0, width) : `${chars.slice(0, width - 1).join('')}…`;
}

/** Below this many columns a table is easier to read as `key: value` lines than as squeezed columns. */
export const NARROW_COLUMNS = 60;

/**
 * Renders a table with columns aligned on spaces; numbers align right when asked. With a width,
 * the widest column shrinks (cells cut with an ellipsis) until the table fits; below
 * NARROW_COLUMNS each row prints as `key: value` lines instead.
 */
export function renderTable(columns: string[], rows: string[][], align: Array<'left' | 'right'> = [], color = false, width = 0): string {
  if (width > 0 && width < NARROW_COLUMNS && columns.length > 1) {
    const keyWidth = Math.max(...columns.map(visibleLength)) + 1;
    return rows
      .map((r) => columns.map((c, i) => wrap(`${pad(`${c}:`, keyWidth, false)} ${r[i] ?? ''}`, width, ' '.repeat(keyWidth + 1))).join('\n'))
      .join('\n\n');
  }
  const widths = columns.map((c, i) => Math.max(visibleLength(c), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  if (width > 0) {
    const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    // Shrink the widest column one character at a time, first no narrower than its header, then
    // (when that is not enough) below it: every column keeps as much as it can.
    for (const floor of [columns.map((c) => Math.max(3, visibleLength(c))), columns.map(() => 3)]) {
      while (total() > width) {
        const room = widths.map((w, i) => (w > floor[i]! ? w : -1));
        const widest = room.indexOf(Math.max(...room));
        if (room[widest]! < 0) break;
        widths[widest]!--;
      }
    }
  }
  // eslint-disable-next-line no-control-regex
  const fit = (c: string, i: number): string => (visibleLength(c) > widths[i]! ? cut(c.replace(/\u001b\[[0-9;]*m/g, ''), widths[i]!) : c);
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 && align[i] !== 'right' ? fit(c, i) : pad(fit(c, i), widths[i] ?? 0, align[i] === 'right')))
      .join('  ')
      .trimEnd();
  const head = ansi(color, '1', line(columns));
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [head, rule, ...rows.map((r) => line(columns.map((_, i) => r[i] ?? '')))].join('\n');
}

/**
 * Turns Slack-style markdown into what a terminal shows: `*bold*` into bold and `code` into
 * cyan with colour, both into plain text without, so no raw marks reach the reader.
 */
function inline(text: string, color: boolean): string {
  text = text.replace(/`([^`\n]+)`/g, (_, t: string) => ansi(color, '36', t));
  return color ? text.replace(/\*([^*\n]+)\*/g, (_, t: string) => ansi(true, '1', t)) : text.replace(/\*([^*\n]+)\*/g, '$1');
}

/**
 * Wraps each line longer than `width` at word boundaries; continuation lines keep the line's own
 * indentation (or take `indent`). A single word longer than the width is left whole.
 */
export function wrap(text: string, width: number, indent?: string): string {
  if (!width) return text;
  return text
    .split('\n')
    .map((line) => {
      if (visibleLength(line) <= width) return line;
      const own = /^\s*/.exec(line)![0];
      const lead = indent ?? own;
      // Split into words and the runs of spaces between them, so aligned padding survives.
      const parts = line.slice(own.length).split(/( +)/);
      const out: string[] = [];
      let cur = own;
      let fresh = true;
      for (let i = 0; i < parts.length; i += 2) {
        const word = parts[i]!;
        const sep = i > 0 ? parts[i - 1]! : '';
        if (!fresh && visibleLength(cur) + sep.length + visibleLength(word) > width) {
          out.push(cur);
          cur = lead + word;
          // A word longer than a whole line (an image URI) is broken where the line ends.
          // eslint-disable-next-line no-control-regex
          while (visibleLength(cur) > width && !/\u001b/.test(cur) && width - lead.length >= 10) {
            // Prefer the last place inside the line where a URI or name has a seam (`/`, `:`, `.`, `-`, `_`, `@`).
            const seam = Math.max(...['/', ':', '.', '-', '_', '@'].map((c) => cur.lastIndexOf(c, width - 1)));
            const at = seam >= lead.length + 10 ? seam + 1 : width;
            out.push(cur.slice(0, at));
            cur = lead + cur.slice(at);
          }
        } else {
          cur += (fresh ? '' : sep) + word;
        }
        fresh = false;
      }
      out.push(cur);
      return out.join('\n');
    })
    .join('\n');
}

/**
 * Text from elsewhere (log lines, AWS messages, other users) may carry escape sequences that
 * would recolour, retitle or clear the operator's terminal: drop them before adding our own styling.
 */
export function terminalSafe(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�')
  );
}

/** The block with every piece of its text made safe for a terminal. */
function safeBlock(b: Block): Block {
  switch (b.kind) {
    case 'heading':
    case 'text':
    case 'context':
    case 'code':
      return { ...b, text: terminalSafe(b.text) };
    case 'fields':
      return { ...b, fields: b.fields.map((f) => ({ ...f, label: terminalSafe(f.label), value: terminalSafe(f.value) })) };
    case 'table':
      return { ...b, columns: b.columns.map(terminalSafe), rows: b.rows.map((r) => r.map(terminalSafe)) };
    case 'actions':
      return { ...b, buttons: b.buttons.map((btn) => ({ ...btn, label: terminalSafe(btn.label) })) };
    case 'image':
      return { ...b, alt: terminalSafe(b.alt), title: terminalSafe(b.title) };
  }
}

function block(raw: Block, style: TerminalStyle, buttons: Button[]): string {
  const b = safeBlock(raw);
  const width = style.width ?? 0;
  switch (b.kind) {
    case 'heading':
      return ansi(style.color, '1;36', wrap(b.text, width));
    case 'text':
      return wrap(inline(b.text, style.color), width);
    case 'context':
      return ansi(style.color, '2', wrap(inline(b.text, false), width));
    case 'code':
      // Log lines and events wrap rather than get cut: every character of them may matter.
      return wrap(
        b.text
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n'),
        width,
        '      ',
      );
    case 'fields': {
      const w = Math.max(...b.fields.map((f) => visibleLength(f.label)));
      return b.fields.map((f) => wrap(`${pad(f.label + ':', w + 1, false)} ${f.value}`, width, ' '.repeat(w + 2))).join('\n');
    }
    case 'table':
      return b.rows.length === 0 ? ansi(style.color, '2', '(none)') : renderTable(b.columns, b.rows, b.align, style.color, width);
    case 'actions': {
      const parts = b.buttons.map((btn) => {
        buttons.push(btn);
        return `[${(style.firstButton ?? 1) + buttons.length - 1}] ${btn.label}`;
      });
      return `${parts.join('   ')}   ${ansi(style.color, '2', '(type the number to press)')}`;
    }
    case 'image':
      // A terminal shows no pictures: the words of the chart stand in for it (the reply carries the sparklines).
      return ansi(style.color, '2', `[chart: ${b.title}] ${b.alt}`);
  }
}

/** The rendered text of a reply, and the buttons in the order their numbers were given. */
export interface TerminalOutput {
  /** What to print. */
  text: string;
  /** The buttons in order: the first is numbered `firstButton` (default 1), the next one more, and so on. */
  buttons: Button[];
}

/** Renders a reply for the terminal: aligned tables, buttons as numbered choices. */
export function renderForTerminal(reply: Reply, style: TerminalStyle = { color: false }): TerminalOutput {
  const buttons: Button[] = [];
  const parts = reply.blocks.map((b) => block(b, style, buttons));
  return { text: parts.join('\n'), buttons };
}
