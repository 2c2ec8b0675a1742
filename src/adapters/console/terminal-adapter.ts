/** The terminal as one of main.ts's adapters: alerts print, resumed quiz timers print, input's end ends it. */
import type { PostFollowUp } from '../../core/reply.ts';
import { consoleTarget } from '../../watcher/targets.ts';
import type { Adapter } from '../adapter.ts';
import type { ConsoleAdapter } from './console-adapter.ts';

/** Wraps the console adapter (REPL or piped script) in the Adapter interface; `ended` resolves at end of input or `exit`. */
export function terminalAdapter(terminal: ConsoleAdapter): Adapter {
  let ended: Promise<void> | undefined;
  const print: PostFollowUp = async (r) => terminal.print(r, '↳ ');
  return {
    platform: 'console',
    name: 'the terminal',
    label: 'terminal',
    start: async () => {
      ended = terminal.start();
    },
    // Reading stops at end of input or exit; there is nothing else to close.
    stop: async () => undefined,
    alertTarget: consoleTarget((r, prefix) => terminal.print(r, prefix)),
    quizTimerPost: () => print,
    get ended() {
      return ended;
    },
  };
}
