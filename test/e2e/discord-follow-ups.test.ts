/**
 * A command's messages that outlive Discord's 15-minute interaction token: what the channel may see
 * goes on as the bot's own channel messages, saying why once; `--follow`-style lines that had no
 * thread end with a note. The token is aged on the stand-in's clock and dockhand's, not waited for.
 * And the thread of such lines when its start reached Discord but the answer did not (160004).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTINUED_NOTE, ENDED_NOTE } from '../../src/adapters/discord/conversation.ts';
import { DiscordAdapter } from '../../src/adapters/discord/discord-adapter.ts';
import { buildCommands } from '../../src/adapters/discord/registration.ts';
import { defineSubcommand, type CommandDef } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { reply, textReply } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { FakeDiscord, snowflake } from '../fakes/discord-api.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';

const MINUTE = 60_000;
let tailLines = 0;
let tailEnded = false;

/** Commands whose follow-ups run long: a watch that reports every 5 minutes, and a log tail in a thread. */
const long: CommandDef = {
  name: 'long',
  description: 'Long follow-ups',
  subcommands: [
    defineSubcommand({
      name: 'watch',
      description: 'Reports every 5 minutes, four times',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/long watch',
      handler: (_args, ctx) => ({
        reply: textReply('watching web'),
        followUp: async (post, signal) => {
          for (let n = 1; n <= 4; n++) {
            await ctx.ports.clock.sleep(5 * MINUTE, signal);
            await post(textReply(`web check ${n}: steady`));
          }
        },
      }),
    }),
    defineSubcommand({
      name: 'reveal',
      description: 'Posts one keyed message after 16 minutes',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/long reveal',
      handler: (_args, ctx) => ({
        reply: textReply('question 1 of 1'),
        followUp: async (post, signal) => {
          await ctx.ports.clock.sleep(16 * MINUTE, signal);
          await post(textReply('the answer was B', { idempotencyKey: 'quiz:s1:0:timer' }));
        },
      }),
    }),
    defineSubcommand({
      name: 'tail',
      description: 'Posts a log line every minute, 20 times, into the thread of its reply',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/long tail',
      handler: (_args, ctx) => ({
        reply: reply([{ kind: 'text', text: 'following web' }], { thread: { key: 'tail', parent: true }, summary: 'web logs' }),
        followUp: async (post, signal) => {
          try {
            for (let n = 0; n < 20; n++) {
              await ctx.ports.clock.sleep(MINUTE, signal);
              await post(reply([{ kind: 'code', text: `line ${++tailLines}` }], { thread: { key: 'tail' } }));
            }
          } finally {
            tailEnded = true;
          }
        },
      }),
    }),
  ],
};

describe('Discord follow-ups past the 15-minute interaction token', () => {
  const fake = new FakeDiscord();
  const user = { id: snowflake(), username: 'ana' };
  const clock = new FakeClock();
  const noThreads = snowflake();
  let adapter: DiscordAdapter;

  /** Waits until `n` follow-ups sleep on the clock, so moving time wakes them. */
  async function asleep(n = 1): Promise<void> {
    const end = Date.now() + 5_000;
    while (clock.sleeping < n) {
      if (Date.now() > end) throw new Error(`no follow-up went to sleep within 5 s (${clock.sleeping} asleep)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Moves dockhand's clock and the stand-in's token clock together, as real time moves both. */
  async function pass(ms: number): Promise<void> {
    await asleep();
    fake.tokenAgeOffsetMs += ms;
    await clock.advance(ms);
    await new Promise((r) => setTimeout(r, 150));
  }

  beforeAll(async () => {
    await fake.start();
    fake.addChannel(noThreads, ['threads']);
    fake.commands.set(fake.guildId, buildCommands([long]).map((c) => ({ ...c, id: snowflake() })) as unknown as Array<Record<string, unknown>>);
    const dispatcher = new Dispatcher({ commands: [long], ports: { clock, audit: new MemoryAudit() }, settings: defaultSettings(), log: silentLogger });
    adapter = new DiscordAdapter({ dispatcher, token: fake.token, apiUrl: fake.apiUrl, now: () => clock.now() });
    await adapter.start();
  }, 30_000);

  afterAll(async () => {
    await adapter.stop();
    await fake.stop();
  });

  it('goes on in the channel as the bot’s own messages, saying why once', async () => {
    fake.tokenAgeOffsetMs = 0;
    const it = fake.slash(user, 'long', 'watch');
    await fake.answered(it);
    await pass(5 * MINUTE);
    await pass(5 * MINUTE);
    await fake.waitFor(() => it.followUps.length === 2, 5_000, 'two follow-ups through the token');
    const before = fake.channelMessages(fake.channelId).length;
    // Past 15 minutes the token is refused; checks 3 and 4 come as channel messages, the first with the note.
    await pass(5 * MINUTE);
    await pass(5 * MINUTE);
    const posted = await fake.waitFor(() => {
      const m = fake.channelMessages(fake.channelId).slice(before).filter((x) => !x.interactionId);
      return m.length === 2 ? m : undefined;
    }, 5_000, 'checks 3 and 4 in the channel');
    expect(it.followUps.map((m) => FakeDiscord.text(m))).toEqual(['web check 1: steady', 'web check 2: steady']);
    expect(FakeDiscord.text(posted[0])).toContain('web check 3: steady');
    expect(FakeDiscord.text(posted[0])).toContain(CONTINUED_NOTE);
    expect(FakeDiscord.text(posted[1])).toBe('web check 4: steady');
    expect(fake.calls.filter((c) => c.status === 401)).toEqual([]);
  }, 30_000);

  it('goes on in the channel when Discord ends the token before dockhand’s count does', async () => {
    fake.tokenAgeOffsetMs = 0;
    const it = fake.slash(user, 'long', 'watch');
    await fake.answered(it);
    // Discord's clock is ahead: its 15 minutes are over at dockhand's 5.
    fake.expiredTokens.add(it.token);
    const before = fake.channelMessages(fake.channelId).length;
    await asleep();
    await clock.advance(5 * MINUTE);
    const m = await fake.waitFor(() => fake.channelMessages(fake.channelId).slice(before).find((x) => !x.interactionId), 5_000, 'check 1 in the channel');
    expect(FakeDiscord.text(m)).toContain('web check 1: steady');
    expect(FakeDiscord.text(m)).toContain(CONTINUED_NOTE);
    expect(it.followUps).toEqual([]);
    // The rest of this watch is not needed.
    for (let n = 0; n < 3; n++) await pass(5 * MINUTE);
  }, 30_000);

  it('a keyed message posted after the token, whose answer is lost and the post repeated, shows once (nonce)', async () => {
    fake.tokenAgeOffsetMs = 0;
    const it = fake.slash(user, 'long', 'reveal');
    await fake.answered(it);
    const posts = new RegExp(`^POST /api/v10/channels/${fake.channelId}/messages$`);
    fake.loseAnswer(posts);
    const from = fake.calls.length;
    const mine = (): number[] => fake.calls.slice(from).filter((c) => posts.test(`${c.method} ${c.path}`)).map((c) => c.status);
    await pass(16 * MINUTE);
    await fake.waitFor(() => mine().includes(200), 10_000, 'the repeated post');
    expect(mine()).toEqual([502, 200]);
    expect(fake.channelMessages(fake.channelId).filter((m) => FakeDiscord.text(m).includes('the answer was B'))).toHaveLength(1);
  }, 30_000);

  it('ends log lines that had no thread with the token, with a note saying why', async () => {
    fake.tokenAgeOffsetMs = 0;
    tailLines = 0;
    tailEnded = false;
    const it = fake.slash(user, 'long', 'tail', {}, noThreads);
    await fake.answered(it);
    // No thread here (the bot lacks Create Public Threads): lines come as follow-ups …
    await fake.waitFor(() => it.followUps.some((m) => FakeDiscord.text(m).includes('cannot start a thread here')), 5_000, 'the no-thread note');
    for (let n = 0; n < 14; n++) await pass(MINUTE);
    await fake.waitFor(() => it.followUps.some((m) => FakeDiscord.text(m).includes(ENDED_NOTE)), 5_000, 'the note before the token ends');
    // … and end with the token: nothing more is posted anywhere, and the tail stops.
    await pass(MINUTE);
    await fake.waitFor(() => (tailEnded ? true : undefined), 5_000, 'the tail to end');
    const lines = it.followUps.filter((m) => /line \d+/.test(FakeDiscord.text(m)));
    expect(lines.length).toBeGreaterThanOrEqual(13);
    expect(lines.length).toBeLessThan(tailLines);
    expect(fake.channelMessages(noThreads).filter((m) => !m.interactionId)).toEqual([]);
    expect(it.followUps.filter((m) => FakeDiscord.text(m).includes(ENDED_NOTE))).toHaveLength(1);
  }, 30_000);

  it('takes 160004 as the thread started when its first start reached Discord but the answer was lost', async () => {
    fake.tokenAgeOffsetMs = 0;
    tailLines = 0;
    tailEnded = false;
    const starts = new RegExp(`^POST /api/v10/channels/${fake.channelId}/messages/\\d+/threads$`);
    fake.loseAnswer(starts);
    const it = fake.slash(user, 'long', 'tail');
    await fake.answered(it);
    const original = await fake.waitFor(() => it.original, 5_000, 'the reply');
    await pass(MINUTE);
    await pass(MINUTE);
    await fake.waitFor(() => fake.channelMessages(original.id).length === 2, 5_000, 'two lines in the thread');
    expect(fake.calls.filter((c) => starts.test(`${c.method} ${c.path}`)).map((c) => c.status)).toEqual([502, 400]);
    expect(fake.channelMessages(original.id).map((m) => FakeDiscord.text(m))).toEqual(['```\nline 1\n```', '```\nline 2\n```']);
    expect(it.followUps.filter((m) => FakeDiscord.text(m).includes('cannot start a thread'))).toEqual([]);
    while (!tailEnded) await pass(MINUTE);
  }, 30_000);
});
