/**
 * A team quiz in a Discord channel survives dockhand restarting mid-question: `npm start` (main.ts
 * under node) with the real discord.js client against the Discord stand-in and one SQLite file. The
 * answers given before the restart count, the next process reveals the question on time by itself
 * (as the bot's own channel message), its next question's buttons work, and every reveal is posted
 * once, each with a message nonce Discord deduplicates on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/adapters/discord/register-cli.ts';
import { FakeDiscord, snowflake, type FakeMessage, type FakeUser } from '../fakes/discord-api.ts';
import { tempDb } from './cli.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const text = FakeDiscord.text;
const ana: FakeUser = { id: snowflake(), username: 'ana' };
const bob: FakeUser = { id: snowflake(), username: 'bob' };

/** Stops dockhand with `signal` and resolves with its exit code. */
async function stop(run: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
  return run.exited;
}

/** The letter buttons of a question message. */
function letters(m: FakeMessage): string[] {
  return m.components.flatMap((r) => r.components.map((b) => b.label)).filter((l) => /^[A-E]$/.test(l));
}

describe('a Discord team quiz across a restart of dockhand', () => {
  const fake = new FakeDiscord({ users: [ana, bob] });
  const db = tempDb();
  const runs: ServerProcess[] = [];
  let env: Record<string, string>;

  /** main.ts under node itself (what `npm start` runs), on the one database file. */
  async function launch(): Promise<ServerProcess> {
    const run = await startServerProcess(env);
    runs.push(run);
    return run;
  }

  beforeAll(async () => {
    await fake.start();
    await registerCommands({ token: fake.token, apiUrl: fake.apiUrl, guildId: fake.guildId });
    env = { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, DOCKHAND_DB: db, LOG_LEVEL: 'info' };
  }, 30_000);

  afterAll(async () => {
    for (const r of runs) await stop(r, 'SIGKILL');
    await fake.stop();
  });

  it('keeps the answers, reveals on time after the restart, takes answers on the next question, and posts each reveal once', async () => {
    const first = await launch();
    const started = fake.slash(ana, 'quiz', 'start', { pack: 'ecs', questions: 2, timer: '15s' });
    const q1 = await fake.waitFor(() => [started.original, ...started.followUps].find((m) => m && letters(m).length >= 3), 15_000, 'question 1 with letter buttons');
    expect(text(q1)).toMatch(/question 1 of 2/i);
    const [a1, b1] = [fake.press(ana, q1, letters(q1)[0]!), fake.press(bob, q1, letters(q1)[1]!)];
    await fake.answered(a1);
    await fake.answered(b1);

    // dockhand is killed mid-question (no goodbye), and started again on the same database.
    await stop(first, 'SIGKILL');
    // The first post of the new process reaches Discord, but its answer is lost on the way back.
    const posts = new RegExp(`^POST /api/v10/channels/${fake.channelId}/messages$`);
    fake.loseAnswer(posts);
    const second = await launch();
    const isReveal = (m: FakeMessage): boolean => !m.interactionId && text(m).includes('Time is up');
    const reveal1 = await fake.waitFor(() => fake.channelMessages(fake.channelId).find(isReveal), 40_000, 'the resumed reveal of question 1');
    expect(text(reveal1)).toMatch(/ana/);
    expect(text(reveal1)).toMatch(/bob/);
    const q2 = await fake.waitFor(() => fake.channelMessages(fake.channelId).find((m) => !m.interactionId && /question 2 of 2/i.test(text(m)) && letters(m).length >= 3), 10_000, 'question 2 with letter buttons');
    const b2 = fake.press(bob, q2, letters(q2)[2]!);
    expect((await fake.answered(b2)).type).not.toBe(undefined);
    const again = fake.press(bob, q2, letters(q2)[0]!);
    expect(JSON.stringify((await fake.answered(again)).data)).toMatch(/already answered|one answer/i);

    const over = await fake.waitFor(() => fake.channelMessages(fake.channelId).find((m) => !m.interactionId && text(m).includes('Quiz over')), 40_000, 'the reveal of question 2 and the standings');
    expect(text(over)).toMatch(/ana/);
    expect(text(over)).toMatch(/bob/);
    // The reveal whose answer was lost was posted again with the same nonce: Discord kept one.
    expect(fake.calls.filter((c) => posts.test(`${c.method} ${c.path}`) && c.status === 502)).toHaveLength(1);
    const reveals = fake.channelMessages(fake.channelId).filter(isReveal);
    expect(reveals).toHaveLength(2);
    for (const r of reveals) expect(r.nonce).toBeTruthy();
    expect(new Set(reveals.map((r) => r.nonce)).size).toBe(2);
    expect(await stop(second, 'SIGTERM')).toBe(0);
    for (const r of runs) expect(r.out.stderr).not.toMatch(/could not answer|\n\s+at /);
  }, 180_000);
});
