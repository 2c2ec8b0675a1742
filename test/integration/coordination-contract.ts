/**
 * What every coordination store must do, whichever database holds it: the same cases run against
 * SQLite (coordination-store.test.ts) and PostgreSQL. Each case is something a user of several
 * replicas would notice: a command run twice, a Confirm that scales twice, a follow that nobody finishes.
 */
import { describe, expect, it } from 'vitest';
import type { Coordination, ConversationHandle } from '../../src/ports/coordination.ts';

/** Opens a fresh, empty store set (and how to close it). */
export type OpenCoordination = () => Promise<{ coordination: Coordination; close: () => Promise<void> }>;

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const caller = { platform: 'slack' as const, workspaceId: 'T1', channelId: 'C1', userId: 'U1', displayName: 'ana', platformRoles: ['operator'] };
const handle: ConversationHandle = { platform: 'slack', channelId: 'C1', responseUrl: 'https://hooks.slack.com/actions/T1/1/x', userId: 'U1' };

/** Runs the contract cases under `name`. */
export function coordinationContract(name: string, open: OpenCoordination): void {
  describe(`${name} coordination store`, () => {
    async function withStore(fn: (c: Coordination) => Promise<void>): Promise<void> {
      const { coordination, close } = await open();
      try {
        await fn(coordination);
      } finally {
        await close();
      }
    }

    it('claims an interaction id once: a second replica that sees the same id loses; an ended claim can be pruned', () =>
      withStore(async ({ claims }) => {
        const first = await Promise.all([claims.claim('discord:i-1', T0, 60_000), claims.claim('discord:i-1', T0 + 1, 60_000)]);
        expect(first.filter(Boolean)).toHaveLength(1);
        expect(await claims.claim('discord:i-2', T0, 60_000)).toBe(true);
        expect(await claims.claim('discord:i-1', T0 + 30_000, 60_000)).toBe(false);
        expect(await claims.prune(T0 + 60_001)).toBe(2);
        // Pruned, the id is free again (a platform never reuses one within the claim's hour).
        expect(await claims.claim('discord:i-1', T0 + 60_002, 60_000)).toBe(true);
      }));

    it('answers a confirmation exactly once when two replicas get a press at the same moment, and keeps who asked', () =>
      withStore(async ({ confirmations }) => {
        await confirmations.save({ token: 'cABC', caller, text: '/ecs scale web 5', question: 'Scale web to 5?', expiresAt: T0 + 120_000, auditId: 7, startedAt: T0, approvalCluster: null });
        expect(await confirmations.get('cABC')).toMatchObject({ caller, text: '/ecs scale web 5', auditId: 7, state: 'pending', approvalCluster: null });
        const presses = await Promise.all([confirmations.take('cABC', T0 + 5_000), confirmations.take('cABC', T0 + 5_001)]);
        expect(presses.filter(Boolean)).toHaveLength(1);
        expect((await confirmations.get('cABC'))?.state).toBe('answered');
        expect(await confirmations.take('cABC', T0 + 6_000)).toBe(false);
        expect(await confirmations.take('nope', T0)).toBe(false);
      }));

    it('expires a confirmation once its time is up: a late press loses, the expiry is reported to one sweeper only', () =>
      withStore(async ({ confirmations }) => {
        await confirmations.save({ token: 'c1', caller, text: '/ecs scale web 5', question: 'q', expiresAt: T0 + 1_000, auditId: 1, startedAt: T0, approvalCluster: 'prod' });
        await confirmations.save({ token: 'c2', caller, text: '/ecs restart web', question: 'q', expiresAt: T0 + 9_000, auditId: 2, startedAt: T0, approvalCluster: null });
        expect(await confirmations.take('c1', T0 + 1_000)).toBe(false);
        const sweeps = await Promise.all([confirmations.expireDue(T0 + 2_000), confirmations.expireDue(T0 + 2_000)]);
        expect(sweeps.flat().map((c) => c.token)).toEqual(['c1']);
        expect(await confirmations.get('c1')).toMatchObject({ state: 'expired', approvalCluster: 'prod' });
        expect((await confirmations.expireAll(T0 + 3_000)).map((c) => c.token)).toEqual(['c2']);
        expect(await confirmations.prune(T0 + 10_000)).toBe(2);
        expect(await confirmations.get('c1')).toBeUndefined();
      }));

    it('hands a job whose replica stopped renewing to exactly one other replica, and an unfollow on any replica reaches it', () =>
      withStore(async ({ jobs }) => {
        await jobs.create({ id: 'j1', kind: 'logs-follow', args: { service: 'web', untilMs: T0 + 600_000 }, handle, channelKey: 'slack:T1:C1', service: 'web', owner: 'r1', leaseUntil: T0 + 15_000, createdAt: T0 });
        expect(await jobs.renew('r1', ['j1'], T0 + 30_000)).toEqual([{ id: 'j1', stopRequested: false }]);
        // Nothing to take while the owner renews.
        expect(await jobs.takeOver('r2', T0 + 20_000, T0 + 35_000, 10)).toEqual([]);
        const [a, b] = await Promise.all([jobs.takeOver('r2', T0 + 30_000, T0 + 45_000, 10), jobs.takeOver('r3', T0 + 30_000, T0 + 45_000, 10)]);
        const taken = [...a, ...b];
        expect(taken).toHaveLength(1);
        expect(taken[0]).toMatchObject({ id: 'j1', kind: 'logs-follow', args: { service: 'web' }, handle, leaseUntil: T0 + 45_000 });
        const newOwner = taken[0]!.owner;
        // The old owner, back from a pause, no longer holds it.
        expect(await jobs.renew('r1', ['j1'], T0 + 60_000)).toEqual([]);
        expect((await jobs.running('slack:T1:C1', ['logs-follow'])).map((j) => j.id)).toEqual(['j1']);
        expect(await jobs.requestStop('slack:T1:C1', 'api', ['logs-follow'])).toBe(0);
        expect(await jobs.requestStop('slack:T1:C1', 'web', ['logs-follow'])).toBe(1);
        expect(await jobs.renew(newOwner, ['j1'], T0 + 60_000)).toEqual([{ id: 'j1', stopRequested: true }]);
        await jobs.finish('j1', newOwner, 'stopped');
        expect(await jobs.get('j1')).toMatchObject({ state: 'stopped' });
        expect(await jobs.takeOver('r2', T0 + 999_000, T0 + 999_999, 10)).toEqual([]);
        expect(await jobs.prune(T0 + 1)).toBe(1);
      }));

    it("leaves a quiz timer handed to the leader for the leader: a take-over of other kinds passes it by", () =>
      withStore(async ({ jobs }) => {
        // Handed over: no owner, a lease that ended when it was recorded.
        await jobs.create({ id: 'q1', kind: 'quiz-timer', args: { params: { sessionId: 's1' } }, handle, channelKey: 'slack:T1:C1', service: null, owner: '', leaseUntil: T0, createdAt: T0 });
        await jobs.create({ id: 'f1', kind: 'logs-follow', args: {}, handle, channelKey: 'slack:T1:C1', service: 'web', owner: 'r1', leaseUntil: T0, createdAt: T0 });
        expect((await jobs.takeOver('follower', T0 + 1, T0 + 15_000, 10, { except: ['quiz-timer'] })).map((j) => j.id)).toEqual(['f1']);
        expect(await jobs.takeOver('follower', T0 + 1, T0 + 15_000, 10, { except: ['quiz-timer'] })).toEqual([]);
        expect(await jobs.takeOver('leader', T0 + 1, T0 + 15_000, 10, { only: [] })).toEqual([]);
        const [taken] = await jobs.takeOver('leader', T0 + 1, T0 + 15_000, 10, { only: ['quiz-timer'] });
        expect(taken).toMatchObject({ id: 'q1', owner: 'leader', leaseUntil: T0 + 15_000, args: { params: { sessionId: 's1' } } });
        expect(await jobs.takeOver('leader', T0 + 1, T0 + 15_000, 10, { only: ['quiz-timer'] })).toEqual([]);
      }));

    it('remembers a Slack thread parent for every replica; the newest parent of a key wins', () =>
      withStore(async ({ threads }) => {
        expect(await threads.find('C1', 'logs:web')).toBeUndefined();
        await threads.remember('C1', 'logs:web', '1700000000.000100', T0);
        await threads.remember('C1', 'logs:web', '1700000000.000200', T0 + 1);
        await threads.remember('C2', 'logs:web', '1700000000.000300', T0 + 2);
        expect(await threads.find('C1', 'logs:web')).toBe('1700000000.000200');
        expect(await threads.prune(T0 + 2)).toBe(1);
        expect(await threads.find('C2', 'logs:web')).toBe('1700000000.000300');
      }));
  });
}
