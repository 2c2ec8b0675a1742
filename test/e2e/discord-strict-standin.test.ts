/**
 * The Discord stand-in is as strict as Discord where dockhand could go wrong, checked through the
 * real discord.js REST client: at a limit it accepts, one past it refuses with Discord's error code
 * (50035 Invalid Form Body); repeated creates with a nonce return the first message; a follow-up
 * after 15 minutes is 50027; a thread on a message that has one is 160004.
 */
import { DiscordAPIError, REST, Routes } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord-api.ts';

describe('the Discord stand-in refuses what Discord refuses', () => {
  const fake = new FakeDiscord();
  let rest: REST;

  beforeAll(async () => {
    await fake.start();
    rest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(fake.token);
  });

  afterAll(async () => {
    await fake.stop();
  });

  /** The Discord error code a call fails with, or 'ok'. */
  async function outcome(call: () => Promise<unknown>): Promise<number | 'ok'> {
    try {
      await call();
      return 'ok';
    } catch (e) {
      if (e instanceof DiscordAPIError) return Number(e.code);
      throw e;
    }
  }
  const post = (body: Record<string, unknown>): (() => Promise<unknown>) => () => rest.post(Routes.channelMessages(fake.channelId), { body });
  const button = (customId: string, label = 'Go'): Record<string, unknown> => ({ type: 1, components: [{ type: 2, style: 2, label, custom_id: customId }] });

  it('content: 2,000 characters at most', async () => {
    expect(await outcome(post({ content: 'x'.repeat(2000) }))).toBe('ok');
    expect(await outcome(post({ content: 'x'.repeat(2001) }))).toBe(50035);
  });

  it('embeds: 6,000 characters across them, 25 fields, 10 embeds', async () => {
    const descriptions = (n: number): Array<Record<string, unknown>> => [{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(n - 4000) }];
    expect(await outcome(post({ embeds: descriptions(6000) }))).toBe('ok');
    expect(await outcome(post({ embeds: descriptions(6001) }))).toBe(50035);
    const fields = (n: number): Array<Record<string, unknown>> => [{ fields: Array.from({ length: n }, (_, i) => ({ name: `f${i}`, value: 'v' })) }];
    expect(await outcome(post({ embeds: fields(25) }))).toBe('ok');
    expect(await outcome(post({ embeds: fields(26) }))).toBe(50035);
    expect(await outcome(post({ embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }))).toBe(50035);
  });

  it('buttons: custom_id 100 characters, label 80, 5 rows, no two alike', async () => {
    expect(await outcome(post({ components: [button('c'.repeat(100), 'l'.repeat(80))] }))).toBe('ok');
    expect(await outcome(post({ components: [button('c'.repeat(101))] }))).toBe(50035);
    expect(await outcome(post({ components: [button('c', 'l'.repeat(81))] }))).toBe(50035);
    expect(await outcome(post({ components: Array.from({ length: 6 }, (_, i) => button(`b${i}`)) }))).toBe(50035);
    expect(await outcome(post({ components: [{ type: 1, components: [button('same').components, button('same').components].flat() }] }))).toBe(50035);
  });

  it('a repeated create with the same nonce and enforce_nonce returns the first message', async () => {
    const a = (await rest.post(Routes.channelMessages(fake.channelId), { body: { content: 'once', nonce: 'n-1', enforce_nonce: true } })) as { id: string };
    const b = (await rest.post(Routes.channelMessages(fake.channelId), { body: { content: 'once', nonce: 'n-1', enforce_nonce: true } })) as { id: string };
    expect(b.id).toBe(a.id);
    expect(fake.channelMessages(fake.channelId).filter((m) => m.content === 'once')).toHaveLength(1);
  });

  it('a second thread on one message is 160004', async () => {
    const m = (await rest.post(Routes.channelMessages(fake.channelId), { body: { content: 'parent' } })) as { id: string };
    expect(await outcome(() => rest.post(Routes.threads(fake.channelId, m.id), { body: { name: 'updates' } }))).toBe('ok');
    expect(await outcome(() => rest.post(Routes.threads(fake.channelId, m.id), { body: { name: 'updates' } }))).toBe(160004);
  });

  it('an interaction: one answer within 3 s (40060 for a second), follow-ups for 15 minutes (then 50027)', async () => {
    fake.commands.set(fake.guildId, [{ id: '1', name: 'ping', description: 'ping', type: 1, options: [] }]);
    const user = { id: '123456789012345678', username: 'ana' };
    const it = fake.slash(user, 'ping', undefined);
    const callback = (): Promise<unknown> => rest.post(Routes.interactionCallback(it.id, it.token), { body: { type: 4, data: { content: 'pong' } }, auth: false });
    expect(await outcome(callback)).toBe('ok');
    expect(await outcome(callback)).toBe(40060);
    const followUp = (): Promise<unknown> => rest.post(Routes.webhook(fake.applicationId, it.token), { body: { content: 'later' }, auth: false });
    expect(await outcome(followUp)).toBe('ok');
    fake.tokenAgeOffsetMs = 15 * 60_000 + 1;
    expect(await outcome(followUp)).toBe(50027);
    fake.tokenAgeOffsetMs = 0;
    // A first answer after 3 seconds finds the interaction gone (10062).
    const late = fake.slash(user, 'ping', undefined);
    late.createdAt -= 3_001;
    expect(await outcome(() => rest.post(Routes.interactionCallback(late.id, late.token), { body: { type: 4, data: { content: 'pong' } }, auth: false }))).toBe(10062);
  });
});
