/**
 * Every gateway session of a bot receives every interaction. Two dockhand replicas connected to the
 * Discord stand-in with one database between them must run a slash command once and answer it once:
 * the replica that loses the claim on the interaction id does nothing at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/discord-adapter.ts';
import { buildCommands } from '../../src/adapters/discord/registration.ts';
import { defineSubcommand, type CommandDef } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger, type Logger } from '../../src/core/logger.ts';
import { textReply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { sqliteCoordination } from '../../src/db/coordination.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import { FakeDiscord, snowflake } from '../fakes/discord-api.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';
import { tempDb } from './cli.ts';

const runs: string[] = [];

/** A command that notes which replica ran it. */
function counting(replica: string): CommandDef {
  return {
    name: 'count',
    description: 'Counts runs',
    subcommands: [
      defineSubcommand({
        name: 'count',
        description: 'Counts one run',
        options: [] as const,
        role: 'viewer',
        changes: false,
        example: '/count',
        handler: async () => {
          runs.push(replica);
          return textReply(`counted by ${replica}`);
        },
      }),
    ],
  };
}

describe('two replicas on one Discord bot', () => {
  const fake = new FakeDiscord();
  const user = { id: snowflake(), username: 'ana' };
  const adapters: DiscordAdapter[] = [];
  const databases: OpenDatabase[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    await fake.start();
    fake.commands.set(fake.guildId, buildCommands([counting('x')]).map((c) => ({ ...c, id: snowflake() })) as unknown as Array<Record<string, unknown>>);
    const path = tempDb();
    for (const replica of ['r1', 'r2']) {
      // Each replica opens the file itself, as two processes would.
      const database = openDatabase(path);
      databases.push(database);
      const log: Logger = { ...silentLogger, error: (o: object, msg?: string) => errors.push(`${replica}: ${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
      const dispatcher = new Dispatcher({ commands: [counting(replica)], ports: { clock: new SystemClock(), audit: new MemoryAudit() }, settings: defaultSettings(), log: silentLogger });
      const adapter = new DiscordAdapter({ dispatcher, token: fake.token, apiUrl: fake.apiUrl, log, coordination: sqliteCoordination(database.db) });
      await adapter.start();
      adapters.push(adapter);
    }
  }, 60_000);

  afterAll(async () => {
    for (const a of adapters) await a.stop();
    for (const d of databases) d.close();
    await fake.stop();
  });

  it('runs each of ten slash commands once, answered once, with no second answer refused by Discord', async () => {
    expect(fake.connections).toBe(2);
    const sent = Array.from({ length: 10 }, () => fake.slash(user, 'count', undefined));
    for (const it of sent) expect((await fake.answered(it)).type).toBe(4);
    // Give a slow loser time to (wrongly) answer or run too.
    await new Promise((r) => setTimeout(r, 500));
    expect(runs).toHaveLength(10);
    for (const it of sent) expect(FakeDiscord.text(it.callback?.data as never)).toMatch(/counted by r[12]/);
    expect(errors).toEqual([]);
  }, 30_000);

  it('lets the other replica post a follow-up of a command it did not answer: through the interaction token while it lasts, then into the channel', async () => {
    const it = fake.slash(user, 'count', undefined);
    await fake.answered(it);
    const [, other] = adapters as [DiscordAdapter, DiscordAdapter];
    const live = other.resumePost({ platform: 'discord', channelId: it.channelId, applicationId: fake.applicationId, interactionToken: it.token, tokenExpiresAt: Date.now() + 60_000 })!;
    await live(textReply('web is steady (finished by the other replica)'));
    expect(it.followUps.map((m) => FakeDiscord.text(m))).toEqual(['web is steady (finished by the other replica)']);
    // Past the token's 15 minutes nothing can go through it; the bot posts in the channel instead.
    const late = other.resumePost({ platform: 'discord', channelId: it.channelId, applicationId: fake.applicationId, interactionToken: it.token, tokenExpiresAt: Date.now() - 1 })!;
    await late(textReply('api is steady (posted in the channel)'));
    expect(it.followUps).toHaveLength(1);
    expect(fake.channelMessages(it.channelId).map((m) => FakeDiscord.text(m))).toContain('api is steady (posted in the channel)');
    expect(other.resumePost({ platform: 'slack', channelId: 'C1' })).toBeUndefined();
  }, 30_000);
});
