/**
 * Alert delivery through the SQLite outbox: a chat outage (5xx, then 429 with Retry-After),
 * order per channel, exactly-once, a storm folded into a summary, a platform that stays down
 * or hangs while another delivers, permanent errors, and a restart with messages still queued.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.ts';
import { reply, replyToPlainText } from '../../src/core/reply.ts';
import { openDatabase } from '../../src/db/client.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import { AlertDelivery } from '../../src/watcher/delivery.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { crashedTaskIds, FakeChat, FakeDeliveryError, startRig, taskIdOf, tempDbPath, type WatchRig } from './watcher-harness.ts';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const SEC = 1_000;
const MIN = 60_000;
const C1 = { platform: 'slack' as const, channelId: 'C1' };

describe('alert delivery', () => {
  it('delivers every alert once and in order after the chat side failed for 2 minutes (5xx, then 429)', async () => {
    rig = await startRig();
    const { state } = rig.sandbox;
    const td = state.defineTaskDefinition({ family: 'payments' });
    state.createService('prod', { name: 'payments', taskDefinition: td, desiredCount: 2, logStyle: 'payments', failure: { kind: 'crash', runMs: 25 * SEC, oomEvery: 3 } });
    const r = rig;
    const outageStart = r.sandbox.clock.now();
    const attempts: Array<{ at: number; retryAfter: boolean }> = [];
    r.chat.failWith = () => {
      const now = r.sandbox.clock.now();
      const in429 = now - outageStart >= MIN;
      attempts.push({ at: now, retryAfter: in429 });
      return in429 ? new FakeDeliveryError('Slack rate limit; retry after 20s', false, 20 * SEC) : new FakeDeliveryError('Slack answered HTTP 503; will retry', false);
    };
    for (let t = 0; t < 2 * MIN; t += 10 * SEC) await r.step(10 * SEC);
    // After each 429 the next attempt waited at least the 20 s the platform asked for.
    const after429 = attempts.slice(1).filter((_, i) => attempts[i]!.retryAfter);
    expect(after429.length).toBeGreaterThan(0);
    attempts.slice(1).forEach((a, i) => {
      if (attempts[i]!.retryAfter) expect(a.at - attempts[i]!.at).toBeGreaterThanOrEqual(20 * SEC);
    });
    expect(r.chat.received).toHaveLength(0);
    expect(r.chat.attempts).toBeGreaterThan(3);
    const queued = (await r.outbox.pending(C1)).length;
    expect(queued).toBeGreaterThan(4);
    // The chat comes back; crashes go on meanwhile.
    r.chat.failWith = null;
    for (let i = 0; i < 12; i++) await r.step(10 * SEC);
    state.setFailureMode('prod', 'payments', { kind: 'healthy' });
    for (let i = 0; i < 8; i++) await r.step(10 * SEC);
    const keys = r.chat.received.map((m) => m.opts.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    const history = await r.outbox.history(C1);
    expect(history.every((h) => h.status === 'sent')).toBe(true);
    expect(keys).toEqual(history.filter((h) => !h.updateOf).map((h) => `${h.alertKey}@slack:C1`));
    // Edits of the incident's parent queued behind the outage were folded into the newest one.
    expect(r.chat.edits.length).toBeLessThan(history.filter((h) => h.updateOf).length);
    const alerted = r.chat.received.map((m) => taskIdOf(m.text)).filter((x) => x !== undefined);
    expect([...alerted].sort()).toEqual(crashedTaskIds(r.sandbox, 'prod', 'payments').sort());
    // Thread replies went into the incident's thread, which was posted before them.
    const parent = r.chat.received.find((m) => m.text.startsWith('🔥'))!;
    for (const m of r.chat.received.slice(r.chat.received.indexOf(parent) + 1)) {
      if (m.reply.thread?.parent === false) expect(m.opts.threadOf).toBe(parent.ref);
    }
    // Each alert's log lines carry its request id, from the first failed attempt to its delivery.
    const delivered = r.log.lines.filter((l) => l.msg === 'alerts: delivered');
    expect(delivered.map((l) => l.fields.requestId).sort()).toEqual(history.filter((h) => h.messageRef).map((h) => `alert-${h.id}`).sort());
    const retries = r.log.lines.filter((l) => l.msg.startsWith('alerts: delivery failed, will retry'));
    expect(retries.length).toBeGreaterThan(3);
    for (const l of retries) expect(history.map((h) => `alert-${h.id}`)).toContain(l.fields.requestId);
  });

  it('folds an alert storm into one summary once the channel rate limit is reached', async () => {
    rig = await startRig({ watch: { rateLimit: { messages: 5, per: '1m' } } });
    const { state } = rig.sandbox;
    for (let i = 0; i < 12; i++) {
      const name = `svc${String(i).padStart(2, '0')}`;
      state.createService('prod', { name, taskDefinition: state.defineTaskDefinition({ family: name }), desiredCount: 1, logStyle: 'quiet', failure: { kind: 'crash', runMs: 30 * SEC } });
    }
    await rig.step(45 * SEC);
    const got = rig.chat.received.map((m) => m.text);
    expect(got).toHaveLength(5);
    for (const t of got.slice(0, 4)) expect(t).toMatch(/^💥 svc\d\d crashed — exit 1 \(prod\)/);
    expect(got[4]).toMatch(/^🌩️ 8 more alerts held back to keep this channel readable/);
    const summary = rig.chat.received[4]!;
    expect(replyToPlainText(summary.reply)).toMatch(/svc\d\d \| 1/);
    expect(await rig.outbox.stats()).toMatchObject({ pending: 0, sent: 5, folded: 8 });
    // The next minute has room again.
    await rig.step(60 * SEC);
    expect(rig.chat.received.length).toBeGreaterThan(5);
    expect(rig.chat.received.length).toBeLessThanOrEqual(10);
  });

  it('keeps delivering to a platform that works while another stays down or hangs', async () => {
    const discord = new FakeChat('discord');
    rig = await startRig({ routes: [{ slack: 'C1', discord: 'D1' }], targets: [discord] });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, failure: { kind: 'crash', runMs: 20 * SEC } });
    rig.chat.failWith = () => new FakeDeliveryError('Slack answered HTTP 502; will retry', false);
    for (let i = 0; i < 4; i++) await rig.step(30 * SEC);
    expect(rig.chat.received).toHaveLength(0);
    expect(discord.received.length).toBeGreaterThanOrEqual(3);
    // A hanging Slack call only holds up Slack's own lane.
    const delivery = new AlertDelivery({ outbox: rig.outbox, targets: [rig.chat, discord], clock: rig.sandbox.clock, log: rig.log, callTimeoutMs: 200 });
    rig.chat.failWith = null;
    rig.chat.hang = true;
    const before = discord.received.length;
    rig.sandbox.advance(2 * MIN);
    await rig.watcher.poll({ cluster: 'prod', region: 'us-east-1' });
    const started = Date.now();
    await delivery.flush();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(discord.received.length).toBeGreaterThan(before);
    expect((await rig.outbox.pending(C1))[0]?.lastError).toMatch(/no answer within 200 ms/);
    rig.chat.hang = false;
    await delivery.stop();
  });

  it('gives up on a permanent error, logs it, and goes on with the next message', async () => {
    rig = await startRig();
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, failure: { kind: 'crash', runMs: 20 * SEC } });
    let first = true;
    rig.chat.failWith = () => {
      if (!first) return new FakeDeliveryError('unexpected', false);
      first = false;
      rig!.chat.failWith = null;
      return new FakeDeliveryError('not_in_channel — the bot is not a member of the channel; invite it with /invite @dockhand', true);
    };
    for (let i = 0; i < 3; i++) await rig.step(30 * SEC);
    expect((await rig.outbox.stats()).failed).toBe(1);
    expect(rig.log.errors.some((e) => e.includes('not_in_channel'))).toBe(true);
    expect(rig.chat.received.length).toBeGreaterThanOrEqual(1);
  });

  it('keeps queued messages across a restart and sends each alert to a channel once', async () => {
    const path = tempDbPath();
    const a = openDatabase(path);
    const outbox = new SqliteOutbox(a);
    const msg = (k: string) => ({ alertKey: k, platform: 'slack' as const, channelId: 'C1', reply: { visibility: 'channel' as const, blocks: [{ kind: 'text' as const, text: k }], thread: { key: k, parent: true } } });
    expect(await outbox.enqueue(msg('crash:1'), 1)).toBe(true);
    expect(await outbox.enqueue(msg('crash:2'), 2)).toBe(true);
    expect(await outbox.enqueue(msg('crash:1'), 3)).toBe(false);
    a.close();
    const b = openDatabase(path);
    const chat = new FakeChat('slack');
    const clock = { now: () => 10, sleep: async () => undefined };
    const report = await new AlertDelivery({ outbox: new SqliteOutbox(b), targets: [chat], clock, log: rig?.log ?? { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } }).flush();
    expect(report.sent).toBe(2);
    expect(chat.received.map((m) => m.text)).toEqual(['crash:1', 'crash:2']);
    b.close();
  });

  it('keeps a folded incident\'s page and its later updates within the rate limit', async () => {
    const database = openDatabase(':memory:');
    const outbox = new SqliteOutbox(database);
    const clock = new FakeClock();
    const chat = new FakeChat('slack');
    const delivery = new AlertDelivery({ outbox, targets: [chat], clock, log: silentLogger, rateLimitMessages: 3, rateLimitWindowMs: MIN });
    const top = (key: string, service: string) => ({ alertKey: key, ...C1, service, reply: reply([{ kind: 'text', text: `${service} crashed` }], { summary: `${service} crashed`, thread: { key, parent: true } }) });
    const update = (n: number) => ({ alertKey: `inc:pay:crash:${n}`, ...C1, service: 'payments', reply: reply([{ kind: 'text', text: `Crash #${n} of payments` }], { thread: { key: 'inc:pay', parent: false } }) });
    await outbox.enqueue(top('crash:a', 'api'), clock.now());
    await outbox.enqueue(top('crash:b', 'web'), clock.now());
    await outbox.enqueue({ ...top('inc:pay', 'payments'), alertKey: 'incident:inc:pay:open', mention: 'S0ONCALL' }, clock.now());
    await outbox.enqueue(top('crash:c', 'worker'), clock.now());
    await delivery.flush();
    // Two alerts, then one summary standing for the incident opening and the last crash, paging on-call.
    expect(chat.received.map((m) => m.text.split('\n')[0])).toEqual(['api crashed', 'web crashed', '🌩️ 2 more alerts held back to keep this channel readable']);
    expect(chat.received[2]!.opts.mention).toBe('S0ONCALL');
    // The folded incident's later crashes have no thread to go to: they must not flood the channel.
    for (let n = 4; n <= 12; n++) await outbox.enqueue(update(n), clock.now());
    await delivery.flush();
    expect(chat.received).toHaveLength(3);
    for (let minute = 1; minute <= 3; minute++) {
      await clock.advance(MIN);
      await delivery.flush();
    }
    expect(chat.received.length).toBeGreaterThan(3);
    expect(await outbox.stats()).toMatchObject({ pending: 0 });
    // One update opened a new thread; the rest went into it.
    const after = chat.received.slice(3);
    expect(after.filter((m) => m.opts.threadOf === undefined)).toHaveLength(1);
    for (const m of after.slice(1)) expect(m.opts.threadOf).toBe(after[0]!.ref);
    database.close();
  });

  it('never runs two sends of one channel at once when delivery passes overlap, and keeps their order', async () => {
    const database = openDatabase(':memory:');
    const outbox = new SqliteOutbox(database);
    // A slow platform: each send takes a few milliseconds of real time, so passes started meanwhile overlap it.
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const slow = {
      platform: 'slack' as const,
      async deliver(channelId: string, r: Parameters<FakeChat['deliver']>[1]): Promise<{ messageRef: string }> {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`${channelId}:${replyToPlainText(r)}`);
        inFlight--;
        return { messageRef: `m${order.length}` };
      },
    };
    const delivery = new AlertDelivery({ outbox, targets: [slow], clock: new FakeClock(), log: silentLogger, rateLimitMessages: 100 });
    for (let n = 1; n <= 6; n++) await outbox.enqueue({ alertKey: `crash:${n}`, ...C1, reply: reply([{ kind: 'text', text: `alert ${n}` }]) }, n);
    // A poll's kick, the timer's pass and a shutdown flush arriving together.
    delivery.kick();
    await Promise.all([delivery.flush(), delivery.flush(), delivery.flush()]);
    await delivery.stop();
    expect(most).toBe(1);
    expect(order).toEqual([1, 2, 3, 4, 5, 6].map((n) => `C1:alert ${n}`));
    expect(await outbox.stats()).toMatchObject({ pending: 0, sent: 6 });
    database.close();
  });
});
