/**
 * Crash alerts into Discord: the watcher on the sandbox, the outbox, and the Discord adapter's
 * delivery target (real discord.js REST client) against the Discord stand-in: a 503 and a 429 with
 * retry_after, the incident message edited and its thread, the role ping only where meant, no
 * duplicate for a repeated create (nonce + enforce_nonce), and final errors that leave the lane.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/discord-adapter.ts';
import { DiscordDelivery } from '../../src/adapters/discord/delivery.ts';
import { testCore } from '../fakes/slack-core.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { reply } from '../../src/core/reply.ts';
import { FakeDiscord, snowflake } from '../fakes/discord-api.ts';
import { crashedTaskIds, startRig, type WatchRig } from '../integration/watcher-harness.ts';

let rig: WatchRig | undefined;
let fake: FakeDiscord | undefined;
afterEach(async () => {
  await rig?.close();
  await fake?.stop();
  rig = undefined;
  fake = undefined;
});

const text = FakeDiscord.text;

describe('crash alerts into Discord', () => {
  it('survive a 503 and a 429 with retry_after, arrive once and in order, threaded under the edited incident, pinging only the role at the opening', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const channel = snowflake();
    const role = snowflake();
    fake.addChannel(channel);
    const delivery = new DiscordDelivery({ token: fake.token, apiUrl: fake.apiUrl, log: silentLogger });
    rig = await startRig({ routes: [{ discord: channel, mention: { discord: role } }], targets: [delivery.target] });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'payments', taskDefinition: state.defineTaskDefinition({ family: 'payments' }), desiredCount: 2, logStyle: 'payments', failure: { kind: 'crash', runMs: 25_000, oomEvery: 3 } });
    fake.fail(new RegExp(`^POST /api/v10/channels/${channel}/messages$`), 503, 0, 'Service Unavailable', 1);
    fake.rateLimit(new RegExp(`^POST /api/v10/channels/${channel}/messages$`), 20, 1);
    for (let i = 0; i < 30; i++) await rig.step(10_000);
    state.setFailureMode('prod', 'payments', { kind: 'healthy' });
    for (let i = 0; i < 8; i++) await rig.step(10_000);
    for (let i = 0; i < 6; i++) await rig.step(60_000);

    const posts = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages'));
    expect(posts.filter((c) => c.status === 503)).toHaveLength(1);
    expect(posts.filter((c) => c.status === 429)).toHaveLength(1);
    expect(await rig.outbox.stats()).toMatchObject({ pending: 0, failed: 0, folded: 0 });
    expect(rig.log.warnings.some((w) => /retry after 20s|will retry/.test(w))).toBe(true);

    const top = fake.channelMessages(channel);
    const incident = top.find((m) => /Crash loop: payments|Recovered: payments/.test(text(m)))!;
    expect(incident).toBeDefined();
    expect(incident.edits).toBeGreaterThan(0);
    expect(text(incident)).toMatch(/Recovered: payments crashed \d+ times/);
    // The opening pinged the route's role, and nothing else pinged anyone.
    expect(incident.pings).toEqual([`role:${role}`]);
    const all = [...fake.messages.values()];
    expect(all.filter((m) => m.pings.length > 0)).toEqual([incident]);
    // Later crashes went into the thread started from the incident message (its id is the thread's).
    const thread = fake.channelMessages(incident.id);
    expect(thread.length).toBeGreaterThan(2);
    expect(fake.channels.get(incident.id)?.parentId).toBe(channel);
    // Every crashed task is named exactly once across channel and thread.
    const ids = [...top, ...thread].map((m) => /[0-9a-f]{32}/.exec(JSON.stringify(m))?.[0]).filter(Boolean);
    expect(new Set(ids)).toEqual(new Set(crashedTaskIds(rig.sandbox, 'prod', 'payments')));
    expect(new Set(ids).size).toBe(ids.length);
    // In the order the watcher wrote them.
    const history = (await rig.outbox.history({ platform: 'discord', channelId: channel })).filter((h) => !h.updateOf && h.status === 'sent');
    expect([...top, ...thread].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).map((m) => m.id)).toEqual(history.map((h) => h.messageRef));
  }, 90_000);

  it('a message created twice with the same idempotency key appears once (nonce + enforce_nonce)', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const delivery = new DiscordDelivery({ token: fake.token, apiUrl: fake.apiUrl, log: silentLogger });
    const r = reply([{ kind: 'text', text: 'payments crashed' }]);
    const a = await delivery.target.deliver(fake.channelId, r, { idempotencyKey: 'crash:arn:1' });
    const b = await delivery.target.deliver(fake.channelId, r, { idempotencyKey: 'crash:arn:1' });
    const c = await delivery.target.deliver(fake.channelId, r, { idempotencyKey: 'crash:arn:2' });
    expect(b.messageRef).toBe(a.messageRef);
    expect(c.messageRef).not.toBe(a.messageRef);
    expect(fake.channelMessages(fake.channelId)).toHaveLength(2);
    const bodies = fake.calls.filter((x) => x.method === 'POST').map((x) => x.body!);
    expect(bodies.every((x) => x.enforce_nonce === true && typeof x.nonce === 'string' && x.nonce.length <= 25)).toBe(true);
  });

  it('a log line with @everyone and a role mention pings nobody and renders as written', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const delivery = new DiscordDelivery({ token: fake.token, apiUrl: fake.apiUrl, log: silentLogger });
    const line = '12:00:01 ERROR @everyone <@&112233445566778899> ``` *boom* _x_ ~y~ |z|';
    await delivery.target.deliver(fake.channelId, reply([{ kind: 'heading', text: 'Crash: web' }, { kind: 'code', text: line }]), { idempotencyKey: 'k1' });
    const m = fake.channelMessages(fake.channelId)[0]!;
    expect(m.pings).toEqual([]);
    const desc = m.embeds[0]!.description!;
    // Still inside one code block: the backticks of the line cannot close it.
    expect(desc.startsWith('```\n')).toBe(true);
    expect(desc.endsWith('\n```')).toBe(true);
    expect(desc.slice(4, -4)).not.toContain('```');
    expect(desc).toContain('@everyone <@&112233445566778899>');
  });

  it('an alert too long for one message drops its log excerpt first and says how to read it', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const delivery = new DiscordDelivery({ token: fake.token, apiUrl: fake.apiUrl, log: silentLogger });
    const lines = Array.from({ length: 50 }, (_, i) => `2026-12-06T14:00:${String(i).padStart(2, '0')}Z ERROR ${'x'.repeat(180)}`).join('\n');
    const droppable = { readWith: '/ecs logs web --cluster prod --task abc --since 1h' };
    const alert = reply([
      { kind: 'heading', text: 'Crash: web exited 137' },
      { kind: 'fields', fields: [{ label: 'Service', value: 'web' }, { label: 'Stop code', value: 'EssentialContainerExited' }] },
      { kind: 'context', text: 'Last 50 log lines of web:', droppable },
      { kind: 'code', text: lines, droppable },
      { kind: 'actions', buttons: [{ label: 'Logs', action: 'run:/ecs logs web' }] },
    ]);
    await delivery.target.deliver(fake.channelId, alert, { idempotencyKey: 'long-1' });
    const m = fake.channelMessages(fake.channelId)[0]!;
    const t = text(m);
    expect(t).toContain('Crash: web exited 137');
    expect(t).toContain('Stop code: EssentialContainerExited');
    expect(t).toContain('Left out because the message was too long: read it with `/ecs logs web --cluster prod --task abc --since 1h`.');
    expect(t).not.toContain('ERROR xxx');
    expect(m.components[0]!.components[0]!.label).toBe('Logs');
  });

  it('final errors (50013, 10003, 50001, 50035) fail at once with what to do, and the lane moves on', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const delivery = new DiscordDelivery({ token: fake.token, apiUrl: fake.apiUrl, log: silentLogger });
    const noSend = snowflake();
    fake.addChannel(noSend, ['send']);
    const hidden = snowflake();
    fake.addChannel(hidden, ['view']);
    const r = reply([{ kind: 'text', text: 'alert' }]);
    const outcome = async (ch: string): Promise<{ permanent: boolean; message: string }> =>
      delivery.target.deliver(ch, r, { idempotencyKey: `k-${ch}` }).then(
        () => ({ permanent: false, message: 'delivered' }),
        (e: { permanent: boolean; message: string }) => e,
      );
    const a = await outcome(noSend);
    expect(a.permanent).toBe(true);
    expect(a.message).toContain('50013 Missing Permissions: give the bot Send Messages');
    const b = await outcome(snowflake());
    expect(b.permanent).toBe(true);
    expect(b.message).toContain('10003 Unknown Channel');
    const c = await outcome(hidden);
    expect(c.permanent).toBe(true);
    expect(c.message).toContain('50001 Missing Access');
    fake.fail(/^POST .*\/messages$/, 400, 50035, 'Invalid Form Body');
    const d = await outcome(fake.channelId);
    expect(d.permanent).toBe(true);
    fake.rateLimit(/^POST .*\/messages$/, 3);
    const e = await outcome(fake.channelId);
    expect(e).toMatchObject({ permanent: false });
    expect((e as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThanOrEqual(3_000);

    // Through the outbox: the failing channel's alert is marked failed and the next one still goes out.
    rig = await startRig({ routes: [{ discord: [noSend, fake.channelId] }], targets: [delivery.target] });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 25_000 } });
    for (let i = 0; i < 8; i++) await rig.step(10_000);
    const failed = await rig.outbox.history({ platform: 'discord', channelId: noSend });
    expect(failed.length).toBeGreaterThan(1);
    expect(failed.every((h) => h.status === 'failed' && h.attempts === 1)).toBe(true);
    expect(fake.channelMessages(fake.channelId).length).toBeGreaterThan(1);
  }, 60_000);

  it('a team quiz whose timer was running at a restart reveals into its Discord channel; solo sessions are not posted', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const adapter = new DiscordAdapter({ dispatcher: testCore().core, token: fake.token, apiUrl: fake.apiUrl });
    const team = adapter.quizTimerPost({ platform: 'discord', workspaceId: fake.guildId, channelId: fake.channelId, mode: 'team' });
    expect(adapter.quizTimerPost({ platform: 'discord', workspaceId: fake.guildId, channelId: fake.channelId, mode: 'solo' })).toBeUndefined();
    await team!(reply([{ kind: 'heading', text: 'Time is up: the answer was C' }, { kind: 'text', text: 'ana 1 · bob 0' }]));
    const m = fake.channelMessages(fake.channelId)[0]!;
    expect(text(m)).toContain('Time is up: the answer was C');
    expect(m.pings).toEqual([]);
  });

  it('a thread reply whose thread Discord does not find yet starts it, and 160004 (it exists already) is taken as started', async () => {
    fake = new FakeDiscord();
    await fake.start();
    const delivery = new DiscordDelivery({ token: fake.token, apiUrl: fake.apiUrl, log: silentLogger });
    const parent = await delivery.deliver(fake.channelId, reply([{ kind: 'heading', text: 'Crash loop: web' }]), { nonce: 'p1' });
    await delivery.deliver(fake.channelId, reply([{ kind: 'text', text: 'crash 2' }], { thread: { key: 'i1' } }), { threadOf: parent.id, nonce: 't1' });
    // The thread exists, but this once Discord answers as if it did not (10003), as another attempt may have just started it.
    fake.fail(new RegExp(`^POST /api/v10/channels/${parent.id}/messages$`), 404, 10003, 'Unknown Channel', 1);
    await delivery.deliver(fake.channelId, reply([{ kind: 'text', text: 'crash 3' }], { thread: { key: 'i1' } }), { threadOf: parent.id, nonce: 't2' });
    expect(fake.calls.filter((c) => c.path.endsWith(`/messages/${parent.id}/threads`)).map((c) => c.status)).toEqual([201, 400]);
    expect(fake.channelMessages(parent.id).map((m) => text(m))).toEqual(['crash 2', 'crash 3']);
  });
});
