import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../src/adapters/console/console-adapter.ts';
import type { Dispatcher } from '../../src/core/dispatcher.ts';
import { textReply } from '../../src/core/reply.ts';

describe('the terminal adapter over a pipe', () => {
  it('answers a line whose handling fails with one short line, no stack trace, and runs the next line', async () => {
    // A dispatcher stand-in that fails outside any handler for one line.
    const fake = {
      run: async (text: string) => {
        if (text.includes('bad')) throw new Error('database is locked\n    at Statement.run (node_modules/better-sqlite3/lib/x.js:1:1)');
        return { reply: textReply(`ran ${text}`) };
      },
      press: async () => ({ reply: textReply('pressed') }),
      idle: async () => undefined,
      abortAll: () => undefined,
      busy: 0,
    } as unknown as Dispatcher;
    const output = new PassThrough();
    let out = '';
    output.setEncoding('utf8').on('data', (c: string) => (out += c));
    const adapter = new ConsoleAdapter({ dispatcher: fake, input: Readable.from(['/x bad\n/x good\n']), output, interactive: false, user: 'ann', color: false });
    await adapter.start();
    expect(out).toContain('⚠️ dockhand could not handle that line (database is locked).');
    expect(out).not.toMatch(/\n\s+at /);
    expect(out).toContain('ran /x good');
  });

  it('ends quietly when the reader goes away (`| head -1`), without an unhandled EPIPE', async () => {
    const ran: string[] = [];
    let aborted = 0;
    const fake = {
      run: async (text: string) => {
        ran.push(text);
        return { reply: textReply(`ran ${text}`) };
      },
      press: async () => ({ reply: textReply('pressed') }),
      idle: async () => undefined,
      abortAll: () => {
        aborted++;
      },
      busy: 0,
    } as unknown as Dispatcher;
    let writes = 0;
    const output = new Writable({
      write(_chunk, _enc, cb) {
        writes++;
        cb(writes > 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null);
      },
    });
    const lines = Array.from({ length: 50 }, (_, i) => `/x ${i}\n`).join('');
    const adapter = new ConsoleAdapter({ dispatcher: fake, input: Readable.from([lines]), output, interactive: false, user: 'ann', color: false });
    await expect(adapter.start()).resolves.toBeUndefined();
    expect(aborted).toBeGreaterThan(0);
    expect(ran.length).toBeLessThan(50);
  });
});
