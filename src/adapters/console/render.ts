import type { Block, Button, Reply } from '../../core/reply.ts';

/** How the terminal renderer styles its output. */
export interface TerminalStyle {
  /** Use ANSI colours and bold (only on a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width for wrapping tables' last column; 0 for no limit. */
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

/** Renders a table with columns aligned on spaces; numbers align right when asked. */
export function renderTable(columns: string[], rows: string[][], align: Array<'left' | 'right'> = [], color = false): string {
  const widths = columns.map((c, i) => Math.max(visibleLength(c), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 && align[i] !== 'right' ? c : pad(c, widths[i] ?? 0, align[i] === 'right')))
      .join('  ')
      .trimEnd();
  const head = ansi(color, '1', line(columns));
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [head, rule, ...rows.map((r) => line(columns.map((_, i) => r[i] ?? '')))].join('\n');
}

/** Turns Slack-style `*bold*` into terminal bold, and leaves `code` as is. */
function inline(text: string, color: boolean): string {
  // A line that is all code (a usage line in help) reads better without its backticks in a terminal.
  text = text.replace(/^`([^`\n]+)`$/gm, (_, t: string) => ansi(color, '36', t));
  return color ? text.replace(/\*([^*\n]+)\*/g, (_, t: string) => ansi(true, '1', t)) : text.replace(/\*([^*\n]+)\*/g, '$1');
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
  }
}

function block(raw: Block, style: TerminalStyle, buttons: Button[]): string {
  const b = safeBlock(raw);
  switch (b.kind) {
    case 'heading':
      return ansi(style.color, '1;36', b.text);
    case 'text':
      return inline(b.text, style.color);
    case 'context':
      return ansi(style.color, '2', b.text);
    case 'code':
      return b.text
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n');
    case 'fields': {
      const w = Math.max(...b.fields.map((f) => visibleLength(f.label)));
      return b.fields.map((f) => `${pad(f.label + ':', w + 1, false)} ${f.value}`).join('\n');
    }
    case 'table':
      return b.rows.length === 0 ? ansi(style.color, '2', '(none)') : renderTable(b.columns, b.rows, b.align, style.color);
    case 'actions': {
      const parts = b.buttons.map((btn) => {
        buttons.push(btn);
        return `[${(style.firstButton ?? 1) + buttons.length - 1}] ${btn.label}`;
      });
      return `${parts.join('   ')}   ${ansi(style.color, '2', '(type the number to press)')}`;
    }
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
