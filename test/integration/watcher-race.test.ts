/**
 * Two watchers on one store, as two leaders are for a moment during a hand-over: both poll the same
 * sandbox at the same time, describe the same stopped tasks and decide about them concurrently.
 * The write sets' claim on each task (and their check of the incident they were decided on) make
 * every crash land once: one alert per crash, one incident per crash loop, counted right.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentStore } from '../../src/ports/incident-store.ts';
import type { WriteSet } from '../../src/ports/write-set.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';
import { crashedTaskIds, startRig, taskIdOf, type WatchRig } from './watcher-harness.ts';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const SEC = 1_000;
const TARGET = { cluster: 'prod', region: 'us-east-1' };

describe('two watchers on one store', () => {
  it('alert each crash exactly once, open one incident per crash loop and count it right, while polling concurrently', async () => {
    // A rate limit high enough that no alert is folded into a summary: each one is seen on its own.
    rig = await startRig({ watch: { crashLoop: { crashes: 3 }, rateLimit: { messages: 100 } } });
    const { state } = rig.sandbox;
    for (const name of ['api', 'web', 'worker']) {
      state.createService('prod', { name, taskDefinition: state.defineTaskDefinition({ family: name }), desiredCount: 2, logStyle: 'quiet', failure: { kind: 'crash', runMs: 20 * SEC, exitCode: 1 } });
    }
    const second = new CrashWatcher({ containers: rig.aws.containers, logs: rig.aws.logs, store: rig.store, outbox: rig.outbox, clock: rig.sandbox.clock, log: rig.log, settings: rig.settings, clusters: [TARGET] });
    let bothDescribed = 0;
    let handled = 0;
    for (let i = 0; i < 12; i++) {
      rig.sandbox.advance(30 * SEC);
      const [a, b] = await Promise.all([rig.watcher.poll(TARGET), second.poll(TARGET)]);
      // Both read the same stopped tasks before either wrote: the race this test is about.
      if (a.described > 0 && b.described > 0) bothDescribed++;
      handled += a.handled + b.handled;
      await rig.delivery.flush();
    }
    expect(bothDescribed).toBeGreaterThan(5);

    // Each stopped task was decided by one of the two, never by both.
    const rows = rig.database.sqlite.prepare('select count(*) as n from watcher_handled_tasks').get() as { n: number };
    expect(handled).toBe(rows.n);
    expect(handled).toBeGreaterThan(60);
    for (const service of ['api', 'web', 'worker']) {
      const crashed = crashedTaskIds(rig.sandbox, 'prod', service);
      expect(crashed.length).toBeGreaterThan(10);
      const alerted = rig.chat.received.filter((m) => m.reply.blocks.some((b) => (b.kind === 'heading' || b.kind === 'text') && b.text.includes(service))).map((m) => taskIdOf(m.text));
      // Every crash in the channel exactly once: as a lone alert, the incident's opening, or a reply in its thread.
      expect([...alerted].sort()).toEqual([...crashed].sort());
      const openings = rig.chat.received.filter((m) => m.text.startsWith(`🔥 Crash loop: ${service} `));
      expect(openings).toHaveLength(1);
      const incident = await rig.store.openIncident('prod', service);
      const crashes = await rig.store.crashesSince('prod', service, 0);
      expect(crashes.map((c) => c.taskId).sort()).toEqual([...crashed].sort());
      // The loop took in every crash of the service, and no count was lost between the two watchers.
      expect(crashes.every((c) => c.incidentId === incident?.id)).toBe(true);
      expect(incident?.crashes).toBe(crashes.length);
    }
    expect(rig.log.warnings.filter((w) => w.includes('recording task'))).toEqual([]);
    await second.stop();
  }, 60_000);

  it('decides again when another watcher counted a crash of the incident between its reads and its writes', async () => {
    rig = await startRig({ watch: { crashLoop: { crashes: 3 }, rateLimit: { messages: 100 } } });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'api', taskDefinition: state.defineTaskDefinition({ family: 'api' }), desiredCount: 1, logStyle: 'quiet', failure: { kind: 'crash', runMs: 20 * SEC, exitCode: 1 } });
    for (let i = 0; i < 4; i++) await rig.step(30 * SEC);
    const before = await rig.store.openIncident('prod', 'api');
    expect(before, 'expected the crash loop to be open').not.toBeNull();

    // A store that, the first time this watcher writes a crash into the open incident, lets "the
    // other leader" count a crash of its own first, so the decision about to land is stale.
    const real = rig.store;
    let interfered = false;
    const racing = new Proxy(real, {
      get(target, key) {
        if (key === 'apply') {
          return async (writes: WriteSet) => {
            const guard = writes.find((w) => w.op === 'openIncident');
            if (!interfered && guard?.op === 'openIncident' && guard.id !== null) {
              interfered = true;
              const inc = (await real.openIncident('prod', 'api'))!;
              const other = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0therleader0000000000000000000';
              await real.apply([
                { op: 'claimTask', cluster: 'prod', taskArn: other, at: rig!.sandbox.clock.now() },
                { op: 'recordCrash', crash: { cluster: 'prod', service: 'api', taskArn: other, taskId: '0therleader', kind: 'crash', at: inc.lastCrashAt, reason: 'exit 1', exitCode: 1 } },
                { op: 'updateIncident', incident: { ...inc, crashes: inc.crashes + 1 } },
                { op: 'attachCrash', crash: { taskArn: other }, incidentId: inc.id },
              ]);
            }
            return real.apply(writes);
          };
        }
        const v: unknown = Reflect.get(target, key);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as IncidentStore;
    const watcher = new CrashWatcher({ containers: rig.aws.containers, logs: rig.aws.logs, store: racing, outbox: rig.outbox, clock: rig.sandbox.clock, log: rig.log, settings: rig.settings, clusters: [TARGET] });
    rig.sandbox.advance(30 * SEC);
    const report = await watcher.poll(TARGET);
    await rig.delivery.flush();
    expect(interfered).toBe(true);
    expect(report.crashes).toBeGreaterThan(0);
    const after = (await rig.store.openIncident('prod', 'api'))!;
    const crashes = await rig.store.crashesSince('prod', 'api', 0);
    // Neither crash is lost from the count, and the thread reply numbers the crash as it is now.
    expect(after.crashes).toBe(crashes.filter((c) => c.incidentId === after.id).length);
    const last = rig.chat.received[rig.chat.received.length - 1]!;
    expect(last.text).toMatch(new RegExp(`^Crash #${after.crashes} of api`));
    expect(rig.log.warnings.filter((w) => w.includes('recording task'))).toEqual([]);
  });
});
