import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Caller } from '../../core/command.ts';
import type { DispatchResult, Dispatcher, ExpiredAtStop } from '../../core/dispatcher.ts';
import type { Button, Reply } from '../../core/reply.ts';
import { renderForTerminal } from './render.ts';

/** The most buttons a session remembers by number. */
const MAX_BUTTONS = 1_000;

/** A button shown with its number, the numbers of the buttons beside it, and why it no longer works once it does not. */
interface NumberedButton {
  button: Button;
  group: number[];
  gone?: string;
}

/** Options for the terminal adapter. */
export interface ConsoleAdapterOptions {
  /** The core that runs commands. */
  dispatcher: Dispatcher;
  /** Where commands come from. */
  input: Readable;
  /** Where replies go. */
  output: Writable;
  /** True for an interactive prompt with line editing and history; false to read a script line by line. */
  interactive: boolean;
  /** The terminal user's name (DOCKHAND_USER or the OS user). */
  user: string;
  /** Colour output. */
  color: boolean;
  /** Columns to fit output into on a pipe (from COLUMNS); a TTY's own width is used on a TTY. Default 100. */
  width?: number;
  /** Longest a script waits at end of input for follow-ups still running, ms. */
  drainTimeoutMs?: number;
}

/**
 * The terminal adapter: a real adapter like Slack's and Discord's. On a TTY it is a REPL with
 * history; on a pipe it runs one command per line, prints each reply, waits for follow-ups in
 * flight, and resolves at end of input.
 */
export class ConsoleAdapter {
  private readonly opts: ConsoleAdapterOptions;
  /** Every button shown this session by its number, so an earlier Confirm stays reachable after newer buttons appear. */
  private readonly buttons = new Map<number, NumberedButton>();
  private nextButton = 1;
  /** Set when a command ended invalid, denied, error, cancelled or expired, or a follow-up failed: a script exits 1. */
  private failed = false;
  private rl: Interface | undefined;
  private closed = false;
  /** Set when the reader went away (`| head -1` closed the pipe): nothing more can be shown. */
  private gone = false;

  constructor(opts: ConsoleAdapterOptions) {
    this.opts = opts;
  }

  /** The terminal user's identity as the core sees it. */
  get caller(): Caller {
    return { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: this.opts.user, displayName: this.opts.user };
  }

  /** Prints a reply (used for command replies, follow-ups and alerts). */
  print(reply: Reply, prefix = ''): void {
    if (this.opts.output.errored || this.opts.output.destroyed) this.readerGone();
    if (this.gone || (this.closed && !this.opts.output.writable)) return;
    const out = renderForTerminal(reply, { color: this.opts.color, firstButton: this.nextButton, width: Math.max(20, this.width() - prefix.length) });
    if (out.buttons.length > 0) {
      const group = out.buttons.map((_, i) => this.nextButton + i);
      out.buttons.forEach((b, i) => this.buttons.set(group[i]!, { button: b, group }));
      this.nextButton += out.buttons.length;
      // A long REPL session would otherwise keep every button ever shown.
      for (const n of this.buttons.keys()) {
        if (this.buttons.size <= MAX_BUTTONS) break;
        this.buttons.delete(n);
      }
    }
    const text = prefix ? out.text.split('\n').map((l, i) => (i === 0 ? prefix + l : ' '.repeat(prefix.length) + l)).join('\n') : out.text;
    if (this.rl && this.opts.interactive) {
      // Keep the prompt intact when a follow-up arrives while the user is typing.
      this.opts.output.write(`\r\u001b[K${text}\n\n`);
      this.rl.prompt(true);
    } else {
      this.opts.output.write(`${text}\n\n`);
    }
  }

  /** The width to fit output into: the TTY's own (it may have been resized), else the configured one, else 100. */
  private width(): number {
    const tty = this.opts.interactive ? (this.opts.output as Writable & { columns?: number }).columns : undefined;
    return tty && tty > 0 ? tty : this.opts.width && this.opts.width > 0 ? this.opts.width : 100;
  }

  /**
   * Handles one line of input: a command, or the number of a button to press. Never rejects:
   * whatever goes wrong is one short line, and the next line still runs.
   */
  async handleLine(line: string): Promise<void> {
    try {
      await this.handleLineUnguarded(line);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0]!.slice(0, 200) : 'unknown error';
      this.print({ visibility: 'ephemeral', blocks: [{ kind: 'text', text: `⚠️ dockhand could not handle that line (${why}).` }] });
    }
  }

  private async handleLineUnguarded(line: string): Promise<void> {
    const text = line.trim();
    if (!text || text.startsWith('#')) return;
    if (text === 'exit' || text === 'quit') {
      this.rl?.close();
      return;
    }
    let result: DispatchResult;
    const n = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
    const numbered = Number.isInteger(n) ? this.buttons.get(n) : undefined;
    if (!this.opts.interactive) this.opts.output.write(`${this.opts.color ? '\u001b[2m' : ''}> ${text}${this.opts.color ? '\u001b[0m' : ''}\n`);
    if (numbered?.gone) {
      this.failed = true;
      this.print({ visibility: 'ephemeral', blocks: [{ kind: 'text', text: `⚠️ Button ${n} (${numbered.button.label}) has gone: ${numbered.gone}.` }] });
      return;
    }
    if (numbered) {
      result = await this.opts.dispatcher.press(numbered.button.action, this.caller);
      // A confirmation is answered once: its Confirm and Cancel go together, and their numbers say so.
      if (/^(confirm|cancel):/.test(numbered.button.action) && result.outcome !== 'denied') {
        const why = result.outcome === 'expired' ? 'that confirmation expired' : `that confirmation was answered with [${n}] ${numbered.button.label}`;
        for (const g of numbered.group) {
          const b = this.buttons.get(g);
          if (b) b.gone = why;
        }
      }
    } else if (Number.isInteger(n) && !text.startsWith('/')) {
      this.failed = true;
      const last = this.nextButton - 1;
      this.print({
        visibility: 'ephemeral',
        blocks: [{ kind: 'text', text: `⚠️ There is no button ${n} to press${last > 0 ? ` (buttons so far are numbered 1 to ${last})` : ''}. Type a command such as /help.` }],
      });
      return;
    } else if (/^[a-e][).]?$/i.test(text)) {
      // A letter typed alone answers the open quiz question, as its lettered buttons do (issue 13).
      result = await this.opts.dispatcher.run(`/quiz answer ${text.charAt(0).toUpperCase()}`, this.caller);
    } else {
      result = await this.opts.dispatcher.run(text.startsWith('/') ? text : `/${text}`, this.caller);
    }
    if (result.outcome !== 'ok' && result.outcome !== 'pending') this.failed = true;
    this.print(result.reply);
    if (result.followUp) {
      void result.followUp(async (r) => this.print(r, '↳ ')).then((o) => {
        if (o !== 'ok') this.failed = true;
      });
    }
  }

  /**
   * The exit code of a script by DESIGN.md's table: 0 when every command ended ok, 1 when any ended
   * invalid, denied, error, cancelled or expired, or a follow-up ended failed or not steady.
   */
  get exitCode(): number {
    return this.failed ? 1 : 0;
  }

  /** Says which of the terminal's confirmations expired because dockhand stopped; they count as expired. */
  expiredAtStop(expired: readonly ExpiredAtStop[]): void {
    const mine = expired.filter((e) => e.caller.platform === 'console');
    if (mine.length === 0) return;
    this.failed = true;
    if (this.gone || this.opts.output.destroyed || !this.opts.output.writable) return;
    const list = mine.map((e) => `\`${e.text.trim()}\``).join(', ');
    this.opts.output.write(`(unanswered confirmation${mine.length > 1 ? 's' : ''} of ${list} expired as dockhand stopped; nothing was changed)\n`);
  }

  /** Runs until end of input (pipe) or `exit` (TTY); resolves when done. */
  async start(): Promise<void> {
    // A reader that stops reading (`dockhand | head -1`) ends the session quietly, as other
    // command-line tools do, instead of an unhandled EPIPE with a stack trace.
    // The listener stays: the error event can come after the last line was handled.
    this.opts.output.on('error', (e: NodeJS.ErrnoException) => {
      this.readerGone();
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') process.stderr.write(`dockhand: output failed (${e.code ?? e.message}); stopping\n`);
    });
    await this.run();
  }

  /** Stops reading input and stops follow-ups: there is nobody left to show anything to. */
  private readerGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.opts.dispatcher.abortAll();
    this.rl?.close();
  }

  private async run(): Promise<void> {
    const rl = createInterface({
      input: this.opts.input,
      output: this.opts.interactive ? this.opts.output : undefined,
      terminal: this.opts.interactive,
      historySize: 500,
      prompt: 'dockhand> ',
    });
    this.rl = rl;
    if (this.opts.interactive) {
      rl.prompt();
      const queue: string[] = [];
      let busy = false;
      await new Promise<void>((resolve) => {
        rl.on('line', (line) => {
          queue.push(line);
          if (busy) return;
          busy = true;
          void (async () => {
            while (queue.length) await this.handleLine(queue.shift()!);
            busy = false;
            if (!this.closed) rl.prompt();
          })();
        });
        rl.on('close', () => {
          this.closed = true;
          resolve();
        });
      });
      this.opts.dispatcher.abortAll();
      return;
    }
    for await (const line of rl) {
      if (this.gone) break;
      await this.handleLine(line);
    }
    this.closed = true;
    if (!this.gone) await this.drain();
  }

  /** Waits for follow-ups in flight, up to the drain timeout, so a script sees the whole conversation. */
  private async drain(): Promise<void> {
    // The longest follow-up a command may start is `/ecs logs --follow 30m`; wait a little beyond it.
    const limit = this.opts.drainTimeoutMs ?? 35 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limit);
      timer.unref();
    });
    const r = await Promise.race([this.opts.dispatcher.idle().then(() => 'done' as const), timedOut]);
    if (timer) clearTimeout(timer);
    if (r === 'timeout') {
      this.opts.dispatcher.abortAll();
      this.opts.output.write(`(stopped waiting for ${this.opts.dispatcher.busy} follow-up(s) after ${Math.round(limit / 1000)}s)\n`);
    }
  }
}
