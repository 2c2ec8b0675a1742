/**
 * The incident store's contract, the same for every database: what an incident update keeps, and
 * the write sets the watcher hands it (all or nothing, guards, crashes referred to by task ARN,
 * idempotent enqueues). test/integration/incident-store.test.ts runs it on SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident, IncidentStore } from '../../src/ports/incident-store.ts';
import type { Outbox, OutboxMessage } from '../../src/ports/outbox.ts';
import type { Write } from '../../src/ports/write-set.ts';

/** A fresh store under test, with the outbox of the same database. */
export interface StoreUnderTest {
  /** The incident store. */
  store: IncidentStore;
  /** The outbox in the same database (write sets enqueue into it). */
  outbox: Outbox;
  /** Closes the database. */
  close(): void | Promise<void>;
}

const ARN = (n: number): string => `arn:aws:ecs:us-east-1:000000000000:task/prod/t${n}`;
const LANE = { platform: 'slack' as const, channelId: 'C1' };
const crash = (n: number, at: number) => ({ cluster: 'prod', service: 'web', taskArn: ARN(n), taskId: `t${n}`, kind: 'crash', at, reason: 'exit 1', exitCode: 1 });
const message = (alertKey: string): OutboxMessage => ({ alertKey, ...LANE, reply: { visibility: 'channel', blocks: [{ kind: 'text', text: alertKey }] }, service: 'web' });
const incident = (crashes: number): Incident => ({ id: 'inc:prod:web:300', cluster: 'prod', service: 'web', openedAt: 300, firstCrashAt: 100, lastCrashAt: 300, crashes, lastReason: 'exit 1', lastExitCode: 1, status: 'open' });

/**
 * Defines the incident store's contract tests (write sets included) for one implementation;
 * `open` gives a fresh, migrated, empty store and the outbox of the same database.
 */
export function incidentStoreContract(label: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${label}: incident store and write sets`, () => {
    let current: StoreUnderTest | undefined;
    const fresh = async (): Promise<StoreUnderTest> => (current = await open());
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    it('keeps every field an incident update changes, including an earlier first crash', async () => {
      const { store } = await fresh();
      const i: Incident = { id: 'inc:prod:web:3', cluster: 'prod', service: 'web', openedAt: 300, firstCrashAt: 100, lastCrashAt: 300, crashes: 3, lastReason: 'exit 1', lastExitCode: 1, status: 'open' };
      await store.apply([{ op: 'createIncident', incident: i, crashes: [] }]);
      // A task that settled late turns out to have crashed before the ones that opened the incident.
      await store.apply([{ op: 'updateIncident', incident: { ...i, firstCrashAt: 40, lastCrashAt: 400, crashes: 4, lastReason: 'exit 137 — OutOfMemoryError', lastExitCode: 137 } }]);
      expect(await store.openIncident('prod', 'web')).toMatchObject({ firstCrashAt: 40, lastCrashAt: 400, crashes: 4, lastReason: 'exit 137 — OutOfMemoryError', lastExitCode: 137 });
      await store.apply([{ op: 'updateIncident', incident: { ...i, firstCrashAt: 40, lastCrashAt: 400, crashes: 4, status: 'recovered', recoveredAt: 700 } }]);
      expect(await store.openIncident('prod', 'web')).toBeNull();
      expect(await store.recoveredSince(600)).toMatchObject([{ id: i.id, recoveredAt: 700, firstCrashAt: 40 }]);
    });

    it('opens an incident over crashes stored earlier and one recorded in the same set, referred to by its task ARN', async () => {
      const { store, outbox } = await fresh();
      await store.apply([{ op: 'claimTask', cluster: 'prod', taskArn: ARN(1), at: 100 }, { op: 'recordCrash', crash: crash(1, 100) }]);
      await store.apply([{ op: 'claimTask', cluster: 'prod', taskArn: ARN(2), at: 200 }, { op: 'recordCrash', crash: crash(2, 200) }]);
      const earlier = await store.crashesSince('prod', 'web', 0);
      const r = await store.apply([
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(3), at: 300 },
        { op: 'openIncident', cluster: 'prod', service: 'web', id: null },
        { op: 'recordCrash', crash: crash(3, 300) },
        { op: 'createIncident', incident: incident(3), crashes: [...earlier.map((c) => c.id), { taskArn: ARN(3) }] },
        { op: 'enqueue', message: message('incident:inc:prod:web:300:open'), now: 300 },
      ]);
      expect(r).toEqual({ applied: true, enqueued: 1 });
      expect((await store.crashesSince('prod', 'web', 0)).map((c) => [c.taskId, c.incidentId])).toEqual([
        ['t1', 'inc:prod:web:300'],
        ['t2', 'inc:prod:web:300'],
        ['t3', 'inc:prod:web:300'],
      ]);
      expect((await outbox.pending(LANE)).map((m) => m.alertKey)).toEqual(['incident:inc:prod:web:300:open']);
      // A later crash is tied to the open incident by its ARN too.
      await store.apply([{ op: 'recordCrash', crash: crash(4, 400) }, { op: 'attachCrash', crash: { taskArn: ARN(4) }, incidentId: 'inc:prod:web:300' }]);
      expect((await store.crashesSince('prod', 'web', 400))[0]?.incidentId).toBe('inc:prod:web:300');
    });

    it('writes nothing of a set whose task was handled already, and says so', async () => {
      const { store, outbox } = await fresh();
      const set: Write[] = [{ op: 'claimTask', cluster: 'prod', taskArn: ARN(1), at: 100 }, { op: 'recordCrash', crash: crash(1, 100) }, { op: 'enqueue', message: message(`crash:${ARN(1)}`), now: 100 }];
      expect(await store.apply(set)).toEqual({ applied: true, enqueued: 1 });
      // The same decision taken again (another watcher that read before the first one wrote), with an extra write.
      const again = await store.apply([...set.slice(0, 2), { op: 'enqueue', message: message('crash:other'), now: 100 }, { op: 'putCondition', condition: { key: 'under:prod/web', cluster: 'prod', service: 'web', since: 1, detail: '0/1' } }]);
      expect(again).toEqual({ applied: false, guard: 'claimTask' });
      expect((await outbox.history(LANE)).map((m) => m.alertKey)).toEqual([`crash:${ARN(1)}`]);
      expect(await store.conditions('under:')).toEqual([]);
      expect(await store.crashesSince('prod', 'web', 0)).toHaveLength(1);
    });

    it('refuses a set decided on a stale incident, rolling back its claim too', async () => {
      const { store, outbox } = await fresh();
      await store.apply([{ op: 'createIncident', incident: incident(3), crashes: [] }]);
      const stale: Write[] = [
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(5), at: 500 },
        { op: 'openIncident', cluster: 'prod', service: 'web', id: 'inc:prod:web:300', crashes: 2 },
        { op: 'recordCrash', crash: crash(5, 500) },
        { op: 'updateIncident', incident: incident(3) },
        { op: 'enqueue', message: message('incident:inc:prod:web:300:crash:5'), now: 500 },
      ];
      expect(await store.apply(stale)).toEqual({ applied: false, guard: 'openIncident' });
      // "No open incident" is stale as well once one is open.
      expect(await store.apply([{ op: 'claimTask', cluster: 'prod', taskArn: ARN(5), at: 500 }, { op: 'openIncident', cluster: 'prod', service: 'web', id: null }])).toEqual({ applied: false, guard: 'openIncident' });
      expect(await store.handledAmong('prod', [ARN(5)])).toEqual(new Set());
      expect(await store.crashesSince('prod', 'web', 0)).toEqual([]);
      expect(await outbox.history(LANE)).toEqual([]);
      // Decided again on what is stored now, it lands.
      expect(await store.apply([stale[0]!, { op: 'openIncident', cluster: 'prod', service: 'web', id: 'inc:prod:web:300', crashes: 3 }, ...stale.slice(2)])).toEqual({ applied: true, enqueued: 1 });
    });

    it('lets exactly one of two concurrent sets claim a task or open a service\'s incident', async () => {
      const { store, outbox } = await fresh();
      // Two watchers (two leaders in a hand-over) write the same decision at the same moment.
      const decision = (n: number): Write[] => [
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(n), at: 100 },
        { op: 'recordCrash', crash: crash(n, 100) },
        { op: 'enqueue', message: message(`crash:${ARN(n)}`), now: 100 },
      ];
      const same = await Promise.all([store.apply(decision(1)), store.apply(decision(1))]);
      expect(same.filter((r) => r.applied)).toHaveLength(1);
      expect(same.filter((r) => !r.applied)).toEqual([{ applied: false, guard: 'claimTask' }]);
      // Two different crashes that would each open the service's crash loop: one incident opens, the other is refused.
      const earlier = (await store.crashesSince('prod', 'web', 0)).map((c) => c.id);
      const opening = (n: number): Write[] => [
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(n), at: 300 },
        { op: 'openIncident', cluster: 'prod', service: 'web', id: null },
        { op: 'recordCrash', crash: crash(n, 300) },
        { op: 'createIncident', incident: { ...incident(2), id: `inc:prod:web:${n}` }, crashes: [...earlier, { taskArn: ARN(n) }] },
        { op: 'enqueue', message: message(`incident:inc:prod:web:${n}:open`), now: 300 },
      ];
      const both = await Promise.all([store.apply(opening(2)), store.apply(opening(3))]);
      expect(both.filter((r) => r.applied)).toHaveLength(1);
      expect(both.filter((r) => !r.applied)).toEqual([{ applied: false, guard: 'openIncident' }]);
      expect((await store.openIncidents()).map((i) => i.service)).toEqual(['web']);
      expect((await outbox.history(LANE)).map((m) => m.alertKey)).toHaveLength(2);
    });

    it('leaves nothing written when a write fails half-way through a set', async () => {
      const { store, outbox } = await fresh();
      await store.apply([{ op: 'createIncident', incident: incident(3), crashes: [] }]);
      // The second createIncident of the same id breaks the primary key after the claim, a crash and a message were written.
      const failing = store.apply([
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(7), at: 700 },
        { op: 'recordCrash', crash: crash(7, 700) },
        { op: 'enqueue', message: message(`crash:${ARN(7)}`), now: 700 },
        { op: 'putCondition', condition: { key: 'deploy:d1', cluster: 'prod', service: 'web', since: 700, alertedAt: 700, detail: 'FAILED' } },
        { op: 'createIncident', incident: incident(1), crashes: [{ taskArn: ARN(7) }] },
      ]);
      await expect(failing).rejects.toThrow(/UNIQUE constraint failed: watcher_incidents\.id|duplicate key value violates unique constraint/);
      expect(await store.handledAmong('prod', [ARN(7)])).toEqual(new Set());
      expect(await store.crashesSince('prod', 'web', 0)).toEqual([]);
      expect(await store.condition('deploy:d1')).toBeNull();
      expect(await outbox.stats()).toEqual({ pending: 0, sent: 0, failed: 0, folded: 0 });
      expect(await store.openIncident('prod', 'web')).toMatchObject({ crashes: 3 });
      // The store is usable afterwards: the same task's decision, written right, lands.
      expect(await store.apply([{ op: 'claimTask', cluster: 'prod', taskArn: ARN(7), at: 700 }, { op: 'recordCrash', crash: crash(7, 700) }])).toEqual({ applied: true, enqueued: 0 });
    });

    it('counts only new outbox messages: an alert already in the channel is not written twice', async () => {
      const { store, outbox } = await fresh();
      expect(await store.apply([{ op: 'enqueue', message: message('crash:a'), now: 1 }])).toEqual({ applied: true, enqueued: 1 });
      expect(await store.apply([{ op: 'enqueue', message: message('crash:a'), now: 2 }, { op: 'enqueue', message: message('crash:b'), now: 2 }])).toEqual({ applied: true, enqueued: 1 });
      expect((await outbox.history(LANE)).map((m) => [m.alertKey, m.createdAt])).toEqual([
        ['crash:a', 1],
        ['crash:b', 2],
      ]);
    });
  });
}

/**
 * Defines the sandbox-world contract: two stores on one database, each serving its own world (two
 * sandbox runs whose seeded task ids repeat), see only their own rows, and the watcher's start
 * prunes the other world's. `open(world)` gives the incident store and outbox of one shared database.
 */
export function worldContract(label: string, fresh: () => Promise<(world: string) => Promise<StoreUnderTest>>): void {
  describe(`${label}: sandbox worlds`, () => {
    const opened: StoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it("keeps one sandbox run's crash history out of the next: its rows are ignored, then pruned", async () => {
      const open = await fresh();
      const earlier = await open('sandbox-1');
      const later = await open('sandbox-2');
      opened.push(earlier, later);
      const i = incident(3);
      const firstRun: Write[] = [
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(1), at: 100 },
        { op: 'recordCrash', crash: crash(1, 100) },
        { op: 'createIncident', incident: i, crashes: [{ taskArn: ARN(1) }] },
        { op: 'putCondition', condition: { key: 'seen:prod', cluster: 'prod', service: '', since: 100, detail: 'first poll done' } },
        { op: 'enqueue', message: message(`crash:${ARN(1)}`), now: 100 },
      ];
      expect(await earlier.store.apply(firstRun)).toEqual({ applied: true, enqueued: 1 });

      // The next run's watcher sees none of it, though its task ids are the same.
      expect(await later.store.handledAmong('prod', [ARN(1)])).toEqual(new Set());
      expect(await later.store.crashesSince('prod', 'web', 0)).toEqual([]);
      expect(await later.store.openIncident('prod', 'web')).toBeNull();
      expect(await later.store.openIncidents()).toEqual([]);
      expect(await later.store.condition('seen:prod')).toBeNull();
      expect(await later.outbox.lanes()).toEqual([]);
      expect(await later.outbox.find(LANE, `crash:${ARN(1)}`)).toBeUndefined();
      expect((await later.outbox.stats()).pending).toBe(0);
      // …and handles the same task id as a new crash of its own world.
      const again = await later.store.apply([
        { op: 'claimTask', cluster: 'prod', taskArn: ARN(1), at: 200 },
        { op: 'recordCrash', crash: crash(1, 200) },
        { op: 'enqueue', message: message(`crash:${ARN(1)}`), now: 200 },
      ]);
      expect(again).toEqual({ applied: true, enqueued: 1 });
      expect(await later.store.crashesSince('prod', 'web', 0)).toMatchObject([{ at: 200 }]);

      // Pruning removes the earlier world's rows (all five tables) and keeps this one's.
      expect(await later.store.pruneOtherWorlds()).toBe(5);
      expect(await earlier.store.openIncidents()).toEqual([]);
      expect(await earlier.store.handledAmong('prod', [ARN(1)])).toEqual(new Set());
      expect(await earlier.outbox.lanes()).toEqual([]);
      expect(await later.store.handledAmong('prod', [ARN(1)])).toEqual(new Set([ARN(1)]));
      expect(await later.outbox.pending(LANE)).toHaveLength(1);
    });
  });
}
