/**
 * Two dockhand replicas (`node --import tsx src/main.ts`) on one PostgreSQL, each with its own
 * discord.js gateway session to the Discord stand-in, which sends every interaction to both (as
 * Discord does to every session of a bot). A timed team quiz question is answered by one replica
 * and its timer is the leader's: the reveal is posted once, on time, even when the follower dies
 * before time is up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/adapters/discord/register-cli.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { FakeDiscord, snowflake, type FakeMessage, type FakeUser } from '../fakes/discord-api.ts';
import { postgresUnavailable, quizTimerOwner, usePostgres } from '../fakes/postgres.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const text = FakeDiscord.text;
const ana: FakeUser = { id: snowflake(), username: 'ana' };

describe.skipIf(postgresUnavailable)('two replicas on Discord with one PostgreSQL', () => {
  const server = usePostgres();
  const fake = new FakeDiscord({ users: [ana] });
  let sandbox: Sandbox;
  const replicas: ServerProcess[] = [];

  async function leader(): Promise<ServerProcess> {
    const end = Date.now() + 30_000;
    for (;;) {
      for (const r of replicas) {
        const res = await fetch(`http://127.0.0.1:${r.healthPort}/metrics`).catch(() => undefined);
        if (res && /^dockhand_leader 1$/m.test(await res.text())) return r;
      }
      if (Date.now() > end) throw new Error('no replica leads');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    await fake.start();
    await registerCommands({ token: fake.token, apiUrl: fake.apiUrl, guildId: fake.guildId });
    sandbox = await startSandbox({ scenario: 'demo', seed: 31 });
    const env = { AWS_ENDPOINT_URL: sandbox.endpoint, DATABASE_URL: server.url, DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, LOG_LEVEL: 'warn' };
    replicas.push(await startServerProcess(env), await startServerProcess(env));
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGKILL');
        await r.exited;
      }
    }
    await fake.stop();
    await sandbox?.stop();
  });

  it('asks a timed question once and the leader reveals it once, on time, though the other replica dies mid-question', async () => {
    const lead = await leader();
    const other = replicas.find((r) => r !== lead)!;
    const started = fake.slash(ana, 'quiz', 'start', { pack: 'ecs', questions: 1, timer: '10s' });
    const isQuestion = (m: FakeMessage): boolean => /question 1 of 1/i.test(text(m));
    await fake.waitFor(() => [started.original, ...started.followUps].find((m) => m && isQuestion(m)), 15_000, 'the question');
    const askedAt = Date.now();
    // Whichever replica claimed the command, the timer runs on the leader.
    expect(await quizTimerOwner(server.url)).toContain(`:${lead.child.pid}:`);
    other.child.kill('SIGKILL');
    await other.exited;
    const reveals = (): FakeMessage[] => fake.channelMessages(fake.channelId).filter((m) => text(m).includes('Time is up'));
    await fake.waitFor(() => reveals()[0], 30_000, 'the reveal');
    // On time: 10 s after the question, not a lease (15 s) after the other replica's death.
    expect(Date.now() - askedAt).toBeLessThan(15_000);
    expect(fake.channelMessages(fake.channelId).filter(isQuestion)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(reveals()).toHaveLength(1);
  }, 90_000);
});
