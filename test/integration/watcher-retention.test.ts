/**
 * The watcher's tables do not grow forever: its hourly prune drops handled tasks after 3 hours,
 * finished outbox rows after 7 days (but not the parent of a still-open incident's thread) and
 * crashes after 30 days, and a restart after pruning neither repeats nor misses a crash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/core/reply.ts';
import { openDatabase } from '../../src/db/client.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import { watcherCrashes, watcherHandledTasks, outbox as outboxTable } from '../../src/db/watcher-schema.ts';
import { AlertDelivery } from '../../src/watcher/delivery.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';
import { startRig, taskIdOf, tempDbPath, type WatchRig } from './watcher-harness.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

function stoppedTaskIds(r: WatchRig): string[] {
  return [...r.sandbox.state.clusters.get('prod')!.tasks.values()].filter((t) => t.serviceName === 'api' && t.lastStatus === 'STOPPED').map((t) => t.id);
}

describe('watcher retention', () => {
  it('prunes old rows, keeps an open incident threading, and a restart after pruning neither repeats nor misses a crash', async () => {
    rig = await startRig({ dbPath: tempDbPath(), watch: { crashLoop: { crashes: 2, within: '3d' }, recoverAfter: '3d' } });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, logStyle: 'quiet', failure: { kind: 'crash', runMs: 20 * HOUR } });
    const { db } = rig.database;
    const t0 = rig.sandbox.clock.now();
    // An old crash from before this test's history, to be forgotten after 30 days.
    await rig.store.apply([{ op: 'recordCrash', crash: { cluster: 'prod', service: 'gone', taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/prod/old', taskId: 'old', kind: 'crash', at: t0 - 31 * DAY, reason: 'x' } }]);

    for (let t = 0; t < 9 * DAY; t += 30 * MIN) await rig.step(30 * MIN);

    const incident = (await rig.store.openIncidents())[0];
    expect(incident, 'expected an open crash-loop incident').toBeDefined();
    const now = rig.sandbox.clock.now();
    expect(now - incident!.openedAt).toBeGreaterThan(7 * DAY);
    const parent = rig.chat.received.find((m) => m.reply.thread?.key === incident!.id && m.reply.thread.parent);
    expect(parent).toBeDefined();

    const rows = db.select().from(outboxTable).all();
    expect(rows.filter((r) => now - r.createdAt > 7 * DAY + HOUR).map((r) => r.alertKey)).toEqual([rows.find((r) => r.threadKey === incident!.id && r.threadParent === 1)!.alertKey]);
    // The lone crash alert before the loop began is gone; the incident's edits of its parent older than 7 days too.
    expect(rig.chat.received[0]!.reply.thread?.key).toMatch(/^crash:/);
    expect(rows.some((r) => r.alertKey.startsWith('crash:'))).toBe(false);
    expect(rows.filter((r) => r.updateOf !== null).every((r) => now - r.createdAt <= 7 * DAY + HOUR)).toBe(true);
    expect(db.select().from(watcherHandledTasks).all().every((r) => now - r.handledAt <= 3 * HOUR + HOUR)).toBe(true);
    expect(db.select().from(watcherCrashes).all().map((c) => c.taskId)).not.toContain('old');
    // threadRef() has an index to use (migration 0004).
    const plan = rig.database.sqlite.prepare("EXPLAIN QUERY PLAN SELECT message_ref FROM outbox WHERE thread_key = 'x'").all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('outbox_thread');

    // Stop polling between two crashes, let ECS stop one more task, then restart on the same database.
    const before = new Set(stoppedTaskIds(rig));
    const alerted = new Set(rig.chat.received.map((m) => taskIdOf(m.text)).filter(Boolean));
    for (const id of before) expect(alerted.has(id), `crash ${id} alerted before the restart`).toBe(true);
    let fresh: string[] = [];
    for (let i = 0; i < 48 && fresh.length === 0; i++) {
      rig.sandbox.advance(30 * MIN);
      fresh = stoppedTaskIds(rig).filter((id) => !before.has(id));
    }
    expect(fresh).toHaveLength(1);
    const sentBefore = rig.chat.received.length;
    const watcher = new CrashWatcher({ containers: rig.aws.containers, logs: rig.aws.logs, store: rig.store, outbox: rig.outbox, clock: rig.sandbox.clock, log: rig.log, settings: rig.settings, clusters: [{ cluster: 'prod', region: 'us-east-1' }] });
    const delivery = new AlertDelivery({ outbox: rig.outbox, targets: [rig.chat], clock: rig.sandbox.clock, log: rig.log, rateLimitMessages: rig.settings.rateLimitMessages, rateLimitWindowMs: rig.settings.rateLimitWindowMs });
    try {
      await watcher.poll({ cluster: 'prod', region: 'us-east-1' });
      await delivery.flush();
      await watcher.poll({ cluster: 'prod', region: 'us-east-1' });
      await delivery.flush();
    } finally {
      await delivery.stop();
      await watcher.stop();
    }
    const after = rig.chat.received.slice(sentBefore);
    const about = after.map((m) => taskIdOf(m.text)).filter(Boolean);
    expect(about).toEqual([fresh[0]]);
    const update = after.find((m) => taskIdOf(m.text) === fresh[0])!;
    expect(update.opts.threadOf).toBe(parent!.ref);
    expect(rig.log.errors).toEqual([]);
  }, 120_000);

  it('keeps what an open thread threads under when its parent never went out, and never prunes pending messages', async () => {
    const database = openDatabase(':memory:');
    try {
      const box = new SqliteOutbox(database);
      const lane = { platform: 'slack' as const, channelId: 'C1' };
      const msg = (alertKey: string, thread: string, parent: boolean): { alertKey: string; platform: 'slack'; channelId: string; reply: Reply } => ({
        alertKey,
        ...lane,
        reply: { visibility: 'channel', thread: { key: thread, parent }, blocks: [{ kind: 'text', text: alertKey }] },
      });
      const old = 0;
      const row = async (key: string): Promise<number> => (await box.find(lane, key))!.id;
      await box.enqueue(msg('open', 'inc:a', true), old);
      await box.enqueue(msg('reply-1', 'inc:a', false), old);
      await box.enqueue(msg('reply-2', 'inc:a', false), old);
      await box.enqueue(msg('done', 'inc:b', true), old);
      await box.enqueue(msg('waiting', 'inc:c', true), old);
      await box.markFailed(await row('open'), 'channel_not_found');
      await box.markSent(await row('reply-1'), 'm-1', old);
      await box.markSent(await row('reply-2'), 'm-2', old);
      await box.markSent(await row('done'), 'm-3', old);
      expect(await box.threadRef(lane, 'inc:a')).toBe('m-1');
      expect(await box.prune(8 * DAY, ['inc:a'])).toBe(2);
      expect((await box.history(lane)).map((r) => r.alertKey)).toEqual(['open', 'reply-1', 'waiting']);
      expect(await box.threadRef(lane, 'inc:a')).toBe('m-1');
      expect(await box.threadRef(lane, 'inc:b')).toBeUndefined();
      expect((await box.find(lane, 'waiting'))?.status).toBe('pending');
    } finally {
      database.close();
    }
  });
});
