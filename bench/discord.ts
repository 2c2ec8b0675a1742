/**
 * Discord interaction latency: 200 slash-command interactions in flight at once, from the moment
 * the gateway stand-in sends INTERACTION_CREATE to the moment the interaction callback reaches its
 * REST side, for dockhand's Discord adapter (real discord.js client, real Dispatcher) next to a bare
 * discord.js client that only replies, each on its own instance of the same stand-in, in the same
 * run. Also the time from start (login) to the first interaction served. The stand-ins run in a
 * worker thread (discord-standin-worker.ts), so the clients measured here have the main thread alone.
 * Target: p99 under 100 ms and within 1.5× of the bare client.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Client, Events, MessageFlags } from 'discord.js';
import { DiscordAdapter } from '../src/adapters/discord/discord-adapter.ts';
import { buildCommands } from '../src/adapters/discord/registration.ts';
import { Worker } from 'node:worker_threads';
import { testCore } from '../test/fakes/slack-core.ts';
import { record } from './report.ts';

const CONCURRENCY = 200;
const ROUNDS = 7;

interface Stats {
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** The stand-ins in their worker thread. */
class StandIns {
  private readonly worker = new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./discord-standin-worker.ts', import.meta.url).href)}); })`,
    { eval: true },
  );

  private ask<T>(msg: Record<string, unknown>): Promise<T> {
    const reply = new Promise<T>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
    this.worker.postMessage(msg);
    return reply;
  }

  /** Starts both stand-ins with these commands registered; returns where each side connects. */
  async start(commands: Array<Record<string, unknown>>): Promise<Record<'bare' | 'dockhand', { apiUrl: string; token: string }>> {
    return (await this.ask<{ sides: Record<'bare' | 'dockhand', { apiUrl: string; token: string }> }>({ type: 'start', commands })).sides;
  }

  /** Waits until a side's client has a gateway session. */
  async ready(side: 'bare' | 'dockhand'): Promise<void> {
    await this.ask({ type: 'ready', side });
  }

  /** Sends `n` interactions at once to one side and returns each one's time to its first callback, ms. */
  async burst(side: 'bare' | 'dockhand', n: number): Promise<number[]> {
    return (await this.ask<{ ms: number[] }>({ type: 'burst', side, n })).ms;
  }

  async stop(): Promise<void> {
    await this.ask({ type: 'stop' });
    await this.worker.terminate();
  }
}

/** Runs the benchmark and prints its figures. */
export async function run(): Promise<void> {
  const core = testCore().core;
  const standIns = new StandIns();
  const sides = await standIns.start(buildCommands(core.allCommands()) as unknown as Array<Record<string, unknown>>);

  const t0 = performance.now();
  const adapter = new DiscordAdapter({ dispatcher: core, token: sides.dockhand.token, apiUrl: sides.dockhand.apiUrl });
  await adapter.start();
  const first = await standIns.burst('dockhand', 1);
  const startToFirst = performance.now() - t0;

  const b0 = performance.now();
  const bare = new Client({ intents: [], rest: { api: sides.bare.apiUrl } });
  bare.on(Events.InteractionCreate, (i) => {
    if (i.isChatInputCommand()) void i.reply({ content: 'ok', flags: MessageFlags.Ephemeral }).catch(() => undefined);
  });
  await bare.login(sides.bare.token);
  await standIns.ready('bare');
  await standIns.burst('bare', 1);
  const bareStartToFirst = performance.now() - b0;
  try {
    // Warm up both (JIT, keep-alive sockets for a whole burst).
    await standIns.burst('bare', CONCURRENCY);
    await standIns.burst('dockhand', CONCURRENCY);
    await adapter.idle();
    const rounds = { bare: [] as Stats[], dockhand: [] as Stats[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<'bare' | 'dockhand'> = round % 2 === 0 ? ['bare', 'dockhand'] : ['dockhand', 'bare'];
      for (const who of order) {
        rounds[who].push(stats(await standIns.burst(who, CONCURRENCY)));
        await adapter.idle();
      }
    }
    const med = (rs: Stats[]): Stats => ({ p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), max: median(rs.map((r) => r.max)) });
    const b = med(rounds.bare);
    const d = med(rounds.dockhand);
    const ratio = d.p99 / b.p99;
    const line = (name: string, s: Stats): string =>
      `  ${name.padEnd(26)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p99 ${s.p99.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`;
    console.log(`discord: INTERACTION_CREATE → first callback, ${CONCURRENCY} interactions in flight, stand-ins in a worker thread, median of ${ROUNDS} rounds (CPUs: ${availableParallelism()})`);
    console.log(line('bare discord.js (reply)', b));
    console.log(line('dockhand adapter', d));
    console.log(`  p99 ratio dockhand/bare: ${ratio.toFixed(2)}× (target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'MISSED'}) · p99 < 100 ms: ${d.p99 < 100 ? 'met' : 'MISSED'}`);
    console.log(`  per-round p99, bare:     ${rounds.bare.map((r) => r.p99.toFixed(0)).join(' ')} ms`);
    console.log(`  per-round p99, dockhand: ${rounds.dockhand.map((r) => r.p99.toFixed(0)).join(' ')} ms`);
    record({ bench: 'discord', name: `first callback p99, ${CONCURRENCY} interactions at once`, value: d.p99, unit: 'ms', baseline: { name: 'bare discord.js', value: b.p99 }, target: '≤ 1.5× bare discord.js', met: ratio <= 1.5, better: 'lower' });
    record({ bench: 'discord', name: 'first callback p99 (absolute)', value: d.p99, unit: 'ms', target: '< 100 ms', met: d.p99 < 100, better: 'lower' });
    console.log(`  start (login) → first interaction answered: dockhand ${startToFirst.toFixed(0)} ms (first callback ${first[0]!.toFixed(1)} ms) · bare discord.js ${bareStartToFirst.toFixed(0)} ms`);
    // The issue names no target for this one; the table shows it beside the bare client's.
    record({ bench: 'discord', name: 'start (login) to the first interaction answered', value: startToFirst, unit: 'ms', baseline: { name: 'bare discord.js', value: bareStartToFirst }, better: 'lower' });
  } finally {
    await adapter.stop();
    await bare.destroy();
    await standIns.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
