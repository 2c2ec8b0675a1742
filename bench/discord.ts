/**
 * Discord interaction latency: 200 slash-command interactions in flight at once, from the moment
 * the gateway stand-in sends INTERACTION_CREATE to the moment the interaction callback reaches its
 * REST side, for dockhand's Discord adapter (real discord.js client, real Dispatcher) next to a bare
 * discord.js client that only replies, each on its own instance of the same stand-in, in the same
 * run. Also the time from start (login) to the first interaction served.
 * Target: p99 under 100 ms and within 1.5× of the bare client.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Client, Events, MessageFlags } from 'discord.js';
import { DiscordAdapter } from '../src/adapters/discord/discord-adapter.ts';
import { buildCommands } from '../src/adapters/discord/registration.ts';
import { FakeDiscord, snowflake, type FakeUser } from '../test/fakes/discord-api.ts';
import { testCore } from '../test/fakes/slack-core.ts';
import type { Dispatcher } from '../src/core/dispatcher.ts';
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

/** Registers the test commands on a stand-in (so interactions carry only registered options). */
async function register(fake: FakeDiscord, core: Dispatcher): Promise<void> {
  fake.commands.set(fake.guildId, buildCommands(core.allCommands()).map((c) => ({ ...c, id: snowflake() })) as unknown as Array<Record<string, unknown>>);
}

/** Sends `n` interactions at once and returns each one's time to its first callback, ms. */
async function burst(fake: FakeDiscord, users: FakeUser[], n: number): Promise<number[]> {
  const its = Array.from({ length: n }, (_, i) => fake.slash(users[i % users.length]!, 'ecs', 'whoami'));
  await Promise.all(its.map((it) => fake.answered(it, 10_000)));
  return its.map((it) => it.callback!.perfAt - it.sentAt);
}

/** Runs the benchmark and prints its figures. */
export async function run(): Promise<void> {
  const users = Array.from({ length: 20 }, (_, i) => ({ id: snowflake(), username: `u${i}` }));
  const dockFake = new FakeDiscord({ users });
  const bareFake = new FakeDiscord({ users });
  await dockFake.start();
  await bareFake.start();
  const core = testCore().core;
  await register(dockFake, core);
  await register(bareFake, core);

  const t0 = performance.now();
  const adapter = new DiscordAdapter({ dispatcher: core, token: dockFake.token, apiUrl: dockFake.apiUrl });
  await adapter.start();
  const first = await burst(dockFake, users, 1);
  const startToFirst = performance.now() - t0;

  const b0 = performance.now();
  const bare = new Client({ intents: [], rest: { api: bareFake.apiUrl } });
  bare.on(Events.InteractionCreate, (i) => {
    if (i.isChatInputCommand()) void i.reply({ content: 'ok', flags: MessageFlags.Ephemeral }).catch(() => undefined);
  });
  await bare.login(bareFake.token);
  await bareFake.waitFor(() => bareFake.ready > 0, 10_000, 'the bare client');
  await burst(bareFake, users, 1);
  const bareStartToFirst = performance.now() - b0;
  try {
    // Warm up both (JIT, keep-alive sockets for a whole burst).
    await burst(bareFake, users, CONCURRENCY);
    await burst(dockFake, users, CONCURRENCY);
    await adapter.idle();
    const rounds = { bare: [] as Stats[], dockhand: [] as Stats[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<'bare' | 'dockhand'> = round % 2 === 0 ? ['bare', 'dockhand'] : ['dockhand', 'bare'];
      for (const who of order) {
        rounds[who].push(stats(await burst(who === 'bare' ? bareFake : dockFake, users, CONCURRENCY)));
        await adapter.idle();
      }
    }
    const med = (rs: Stats[]): Stats => ({ p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), max: median(rs.map((r) => r.max)) });
    const b = med(rounds.bare);
    const d = med(rounds.dockhand);
    const ratio = d.p99 / b.p99;
    const line = (name: string, s: Stats): string =>
      `  ${name.padEnd(26)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p99 ${s.p99.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`;
    console.log(`discord: INTERACTION_CREATE → first callback, ${CONCURRENCY} interactions in flight, median of ${ROUNDS} rounds (CPUs: ${availableParallelism()})`);
    console.log(line('bare discord.js (reply)', b));
    console.log(line('dockhand adapter', d));
    console.log(`  p99 ratio dockhand/bare: ${ratio.toFixed(2)}× (target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'MISSED'}) · p99 < 100 ms: ${d.p99 < 100 ? 'met' : 'MISSED'}`);
    console.log(`  per-round p99, bare:     ${rounds.bare.map((r) => r.p99.toFixed(0)).join(' ')} ms`);
    console.log(`  per-round p99, dockhand: ${rounds.dockhand.map((r) => r.p99.toFixed(0)).join(' ')} ms`);
    record({ bench: 'discord', name: `first callback p99, ${CONCURRENCY} interactions at once`, value: d.p99, unit: 'ms', baseline: { name: 'bare discord.js', value: b.p99 }, target: '≤ 1.5× bare discord.js', met: ratio <= 1.5, better: 'lower' });
    record({ bench: 'discord', name: 'first callback p99 (absolute)', value: d.p99, unit: 'ms', target: '< 100 ms', met: d.p99 < 100, better: 'lower' });
    console.log(`  start (login) → first interaction answered: dockhand ${startToFirst.toFixed(0)} ms (first callback ${first[0]!.toFixed(1)} ms) · bare discord.js ${bareStartToFirst.toFixed(0)} ms`);
  } finally {
    await adapter.stop();
    await bare.destroy();
    await dockFake.stop();
    await bareFake.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
