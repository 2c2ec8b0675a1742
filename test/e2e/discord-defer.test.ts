/**
 * The 3-second rule over the real discord.js client: a handler slower than that is deferred
 * publicly and its reply edited in; when the slow result is private, the public placeholder is
 * deleted and the reply sent as an ephemeral follow-up. Runs against the Discord stand-in, which
 * refuses any first answer later than 3 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/discord-adapter.ts';
import { buildCommands } from '../../src/adapters/discord/registration.ts';
import { defineSubcommand, type CommandDef } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { textReply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SystemClock } from '../../src/ports/clock.ts';
import { FakeDiscord, snowflake } from '../fakes/discord-api.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';

const slow: CommandDef = {
  name: 'slow',
  description: 'Slow test commands',
  subcommands: [
    defineSubcommand({
      name: 'public',
      description: 'Answers the channel after 3.5 s',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/slow public',
      handler: async () => {
        await new Promise((r) => setTimeout(r, 3_500));
        return textReply('done slowly, for everyone');
      },
    }),
    defineSubcommand({
      name: 'private',
      description: 'Answers privately after 3.5 s',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/slow private',
      handler: async () => {
        await new Promise((r) => setTimeout(r, 3_500));
        return textReply('done slowly, just for you', { visibility: 'ephemeral' });
      },
    }),
  ],
};

describe('Discord answers within 3 s however slow the command is', () => {
  const fake = new FakeDiscord();
  const user = { id: snowflake(), username: 'ana' };
  let adapter: DiscordAdapter;

  beforeAll(async () => {
    await fake.start();
    fake.commands.set(fake.guildId, buildCommands([slow]).map((c) => ({ ...c, id: snowflake() })) as unknown as Array<Record<string, unknown>>);
    const dispatcher = new Dispatcher({ commands: [slow], ports: { clock: new SystemClock(), audit: new MemoryAudit() }, settings: defaultSettings(), log: silentLogger });
    adapter = new DiscordAdapter({ dispatcher, token: fake.token, apiUrl: fake.apiUrl });
    await adapter.start();
  }, 30_000);

  afterAll(async () => {
    await adapter.stop();
    await fake.stop();
  });

  it('defers publicly in time and edits the result in', async () => {
    const it = fake.slash(user, 'slow', 'public');
    const cb = await fake.answered(it);
    expect(cb.type).toBe(5);
    expect(cb.at - it.createdAt).toBeLessThan(3_000);
    await fake.waitFor(() => FakeDiscord.text(it.original).includes('done slowly, for everyone'), 10_000, 'the edit');
    expect(it.original!.deleted).toBeUndefined();
    expect(it.original!.flags & 64).toBe(0);
  }, 15_000);

  it('replaces the public placeholder with a private follow-up when the result is ephemeral', async () => {
    const it = fake.slash(user, 'slow', 'private');
    expect((await fake.answered(it)).type).toBe(5);
    const m = await fake.waitFor(() => it.followUps.find((x) => FakeDiscord.text(x).includes('done slowly, just for you')), 10_000, 'the private follow-up');
    expect(m.flags & 64).toBe(64);
    expect(it.original!.deleted).toBe(true);
  }, 15_000);
});
