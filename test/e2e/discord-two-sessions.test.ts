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
import { reply, textReply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { sqliteCoordination } from '../../src/db/coordination.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import { FakeDiscord, snowflake } from '../fakes/discord-api.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';
import { svc } from '../fakes/test-commands.ts';
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

/** A button action too long for Discord's 100-character custom_id (the button carries a hash of it). */
const LONG_ACTION = `run:/svc logs web --since 15m --filter "${'connection reset by peer while reading the upstream response '.repeat(2).trim()}"`;

/** A command whose answer carries that button. */
const offer: CommandDef = {
  name: 'offer',
  description: 'Offers a button with a long action',
  subcommands: [
    defineSubcommand({
      name: 'offer',
      description: 'Offers the button',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/offer',
      handler: async () => reply([{ kind: 'text', text: 'press Logs' }, { kind: 'actions', buttons: [{ label: 'Logs', action: LONG_ACTION }] }]),
    }),
  ],
};

describe('two replicas on one Discord bot', () => {
  const fake = new FakeDiscord();
  const user = { id: snowflake(), username: 'ana' };
  const adapters: DiscordAdapter[] = [];
  const databases: OpenDatabase[] = [];
  const errors: string[] = [];
  let path = '';

  /** A replica: its own connection to the database file and its own gateway session, as a process would have. */
  async function replica(name: string): Promise<DiscordAdapter> {
    const database = openDatabase(path);
    databases.push(database);
    const log: Logger = { ...silentLogger, error: (o: object, msg?: string) => errors.push(`${name}: ${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    const dispatcher = new Dispatcher({ commands: [counting(name), offer, svc], ports: { clock: new SystemClock(), audit: new MemoryAudit() }, settings: defaultSettings(), log: silentLogger });
    const adapter = new DiscordAdapter({ dispatcher, token: fake.token, apiUrl: fake.apiUrl, log, coordination: sqliteCoordination(database.db) });
    await adapter.start();
    adapters.push(adapter);
    return adapter;
  }

  beforeAll(async () => {
    await fake.start();
    fake.commands.set(fake.guildId, buildCommands([counting('x'), offer]).map((c) => ({ ...c, id: snowflake() })) as unknown as Array<Record<string, unknown>>);
    path = tempDb();
    for (const name of ['r1', 'r2']) await replica(name);
  }, 60_000);

  afterAll(async () => {
    for (const a of adapters) await a.stop().catch(() => undefined);
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

  it('runs a button whose action is too long for a custom_id on another replica, and after a restart', async () => {
    const [r1, r2] = adapters as [DiscordAdapter, DiscordAdapter];
    // An alert delivered by one replica (the leader) …
    const { messageRef } = await r1.alertTarget.deliver(fake.channelId, reply([{ kind: 'text', text: 'web crashed' }, { kind: 'actions', buttons: [{ label: 'Logs', action: LONG_ACTION }] }]), { idempotencyKey: 'long-action-alert' });
    const alert = fake.messages.get(messageRef)!;
    const button = alert.components[0]!.components[0]!;
    expect(button.custom_id.length).toBeLessThanOrEqual(100);
    expect(button.custom_id).not.toContain('connection reset');
    // … whose Logs button is pressed after that replica stopped: the other one runs it.
    await r1.stop();
    const press = fake.press(user, alert, 'Logs');
    const answer = await fake.answered(press);
    expect(FakeDiscord.text(answer.data as never)).toContain('connection reset by peer while reading the upstream response');

    // A command's answer with such a button, pressed after every replica restarted.
    const asked = fake.slash(user, 'offer', undefined);
    await fake.answered(asked);
    const offered = asked.original!;
    await r2.stop();
    await replica('r3');
    const later = fake.press(user, offered, 'Logs');
    const again = await fake.answered(later);
    expect(FakeDiscord.text(again.data as never)).toContain('"filter":"connection reset by peer');
    expect(FakeDiscord.text(again.data as never)).not.toContain('no longer');
    expect(errors).toEqual([]);
  }, 60_000);
});
