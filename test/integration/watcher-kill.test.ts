/**
 * 50 crashes with two hard kills (SIGKILL) of the bot: the bot is a child process
 * (watcher-child.ts) running the real watcher and delivery on a SQLite file; this test runs the
 * sandbox on a stepped clock and the chat the bot posts to. One kill lands at a random moment
 * inside a poll while the chat is down (so alerts are queued), the other between polls.
 * Every crash must reach the chat exactly once.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { crashedTaskIds, taskIdOf, tempDbPath } from './watcher-harness.ts';

const SEC = 1_000;

interface Posted {
  key: string;
  text: string;
  threadOf: string | null;
  updateOf: string | null;
}

let sandbox: Sandbox;
let chatServer: Server;
let chatUrl: string;
const posted: Posted[] = [];
const edits: Posted[] = [];
let chatUp = true;

beforeAll(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9, 0, 0) }), scenario: 'empty', seed: 11 });
  chatServer = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (!chatUp) {
        res.writeHead(503).end();
        return;
      }
      const p = JSON.parse(body) as Posted;
      if (p.updateOf) {
        edits.push(p);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messageRef: p.updateOf }));
        return;
      }
      posted.push(p);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messageRef: `m${posted.length}` }));
    });
  });
  await new Promise<void>((r) => chatServer.listen(0, '127.0.0.1', () => r()));
  chatUrl = `http://127.0.0.1:${(chatServer.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await sandbox.stop();
  await new Promise<void>((r) => chatServer.close(() => r()));
});

class Bot {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  stderr = '';

  constructor(dbPath: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'watcher-child.ts')], {
      env: { PATH: process.env.PATH ?? '', DOCKHAND_DB: dbPath, SANDBOX_ENDPOINT: sandbox.endpoint, CHAT_URL: chatUrl, START_AT: String(sandbox.clock.now()) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(line);
      } else this.answers.push(line);
    });
  }

  /** Sends a command and waits for its answer. */
  ask(cmd: 'poll' | 'flush'): Promise<{ ok: boolean; crashes?: number; pending?: number }> {
    this.child.stdin.write(`${JSON.stringify({ cmd, now: sandbox.clock.now() })}\n`);
    return new Promise((resolve, reject) => {
      const done = (line: string): void => resolve(JSON.parse(line) as { ok: boolean });
      const queued = this.answers.shift();
      if (queued) return done(queued);
      this.waiting = done;
      this.child.once('exit', (code, signal) => reject(new Error(`bot exited (${code ?? signal}) before answering:\n${this.stderr}`)));
    });
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    await gone;
  }
}

describe('the bot killed twice while a service crashes 50 times', () => {
  it('alerts every crash exactly once', async () => {
    const dbPath = tempDbPath();
    const { state } = sandbox;
    state.createCluster('prod');
    const td = state.defineTaskDefinition({ family: 'crashy' });
    state.createService('prod', { name: 'crashy', taskDefinition: td, desiredCount: 4, logStyle: 'payments', failure: { kind: 'crash', runMs: 30 * SEC, exitCode: 1, oomEvery: 4 } });
    let bot = new Bot(dbPath);
    const kills: string[] = [];
    let poll = 0;
    while (crashedTaskIds(sandbox, 'prod', 'crashy').length < 50) {
      poll++;
      sandbox.advance(30 * SEC);
      if (poll === 4) chatUp = false;
      if (poll === 6) {
        // Kill 1: somewhere inside a poll that has crashes to record, with alerts queued behind a chat outage.
        bot.child.stdin.write(`${JSON.stringify({ cmd: 'poll', now: sandbox.clock.now() })}\n`);
        await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 40)));
        await bot.kill();
        kills.push(`inside poll ${poll}`);
        bot = new Bot(dbPath);
        continue;
      }
      if (poll === 8) chatUp = true;
      await bot.ask('poll');
      if (poll === 11) {
        // Kill 2: between polls.
        await bot.kill();
        kills.push(`after poll ${poll}`);
        bot = new Bot(dbPath);
      }
    }
    state.setFailureMode('prod', 'crashy', { kind: 'healthy' });
    // Let the crashes already planned happen, then drain.
    for (let i = 0; i < 8; i++) {
      sandbox.advance(30 * SEC);
      await bot.ask('poll');
    }
    for (let i = 0; i < 5; i++) {
      sandbox.advance(60 * SEC);
      const r = await bot.ask('flush');
      if (r.pending === 0) break;
    }
    await bot.kill();

    expect(kills).toHaveLength(2);
    const crashed = crashedTaskIds(sandbox, 'prod', 'crashy');
    expect(crashed.length).toBeGreaterThanOrEqual(50);
    const alerted = posted.map((p) => taskIdOf(p.text)).filter((x): x is string => x !== undefined);
    const dupes = alerted.filter((id, i) => alerted.indexOf(id) !== i);
    expect(dupes).toEqual([]);
    expect(new Set(alerted)).toEqual(new Set(crashed));
    // One incident for the loop, and its later crashes in its thread.
    expect(posted.filter((p) => p.text.startsWith('🔥 Crash loop: crashy'))).toHaveLength(1);
    expect(posted.filter((p) => p.threadOf !== null).length).toBeGreaterThan(40);
    // Its parent message was edited to show the count as crashes came in.
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.at(-1)!.text).toMatch(/^🔥 Crash loop: crashy crashed \d+ times/);
  }, 120_000);
});
