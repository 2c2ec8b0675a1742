/**
 * The contracts of the outbox, the audit log and the deploy store, the same for every database.
 * test/integration/store-contract.test.ts runs them on SQLite and on a real PostgreSQL server.
 */
import { describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src/ports/audit-log.ts';
import type { DeployStore, NewDeployRecord, UndoToken } from '../../src/ports/deploy-store.ts';
import type { Outbox, OutboxMessage } from '../../src/ports/outbox.ts';

const LANE = { platform: 'slack' as const, channelId: 'C1' };
const OTHER = { platform: 'discord' as const, channelId: '123456789012345678' };

function message(alertKey: string, over: Partial<OutboxMessage> & { thread?: { key: string; parent?: boolean } } = {}): OutboxMessage {
  const { thread, ...rest } = over;
  return { alertKey, ...LANE, reply: { visibility: 'channel', blocks: [{ kind: 'text', text: `about ${alertKey}` }], ...(thread ? { thread } : {}) }, service: 'web', ...rest };
}

/** Defines the outbox's contract tests; `open` gives a fresh, migrated, empty outbox. */
export function outboxContract(label: string, open: () => Promise<Outbox>): void {
  describe(`${label}: outbox`, () => {
    it('writes an alert once per channel and hands out each channel\'s pending messages in the order written', async () => {
      const o = await open();
      expect(await o.enqueue(message('crash:1'), 100)).toBe(true);
      expect(await o.enqueue(message('crash:1'), 101)).toBe(false);
      expect(await o.enqueue(message('crash:1', OTHER), 102)).toBe(true);
      expect(await o.enqueue(message('crash:2', { mention: 'S0ONCALL', updateOf: 'crash:1' }), 103)).toBe(true);
      expect((await o.lanes()).map((l) => `${l.platform}:${l.channelId}`).sort()).toEqual(['discord:123456789012345678', 'slack:C1']);
      const pending = await o.pending(LANE);
      expect(pending.map((p) => [p.alertKey, p.status, p.attempts, p.createdAt])).toEqual([
        ['crash:1', 'pending', 0, 100],
        ['crash:2', 'pending', 0, 103],
      ]);
      expect(pending[1]).toMatchObject({ mention: 'S0ONCALL', updateOf: 'crash:1', service: 'web', reply: { blocks: [{ kind: 'text', text: 'about crash:2' }] } });
      expect(await o.stats()).toEqual({ pending: 3, sent: 0, failed: 0, folded: 0, oldestPendingAt: 100 });
    });

    it('records deliveries, retries and failures, and finds delivered messages and thread parents', async () => {
      const o = await open();
      await o.enqueue(message('inc:1', { thread: { key: 'inc:1', parent: true } }), 100);
      await o.enqueue(message('inc:1:crash:2', { thread: { key: 'inc:1' } }), 101);
      await o.enqueue(message('crash:9'), 102);
      const [parent, reply, lone] = await o.pending(LANE);
      await o.markSent(parent!.id, '1700000000.000100', 200);
      await o.markRetry(reply!.id, 5_000, 'http_503', 300);
      await o.markRetry(reply!.id, 9_000, 'http_503 again', 400);
      await o.markFailed(lone!.id, 'not_in_channel', 500);
      expect(await o.messageRef(LANE, 'inc:1')).toBe('1700000000.000100');
      expect(await o.messageRef(LANE, 'crash:9')).toBeUndefined();
      expect(await o.threadRef(LANE, 'inc:1')).toBe('1700000000.000100');
      expect(await o.find(LANE, 'inc:1:crash:2')).toMatchObject({ status: 'pending', attempts: 2, nextAt: 9_000, lastError: 'http_503 again', firstFailedAt: 300 });
      expect((await o.failures(10)).map((f) => [f.alertKey, f.lastError, f.failedAt])).toEqual([['crash:9', 'not_in_channel', 500]]);
      expect(await o.sentSince(LANE, 0)).toEqual([200]);
      expect(await o.stats()).toEqual({ pending: 1, sent: 1, failed: 1, folded: 0, oldestPendingAt: 101 });
    });

    it('folds pending messages into one summary atomically, and prunes old finished rows but keeps live threads\' parents', async () => {
      const o = await open();
      for (let i = 1; i <= 4; i++) await o.enqueue(message(`crash:${i}`), 100 + i);
      const ids = (await o.pending(LANE)).slice(1).map((p) => p.id);
      const summary = await o.fold(ids, message('fold:1'), 200);
      expect((await o.pending(LANE)).map((p) => p.alertKey)).toEqual(['crash:1', 'fold:1']);
      expect((await o.pending(LANE)).find((p) => p.alertKey === 'fold:1')?.id).toBe(summary);
      expect((await o.stats()).folded).toBe(3);

      await o.enqueue(message('inc:7', { thread: { key: 'inc:7', parent: true } }), 300);
      await o.enqueue(message('inc:8', { thread: { key: 'inc:8', parent: true } }), 301);
      for (const p of await o.pending(LANE)) await o.markSent(p.id, `ref-${p.alertKey}`, 400);
      // Everything is finished and older than 1,000; only inc:7's parent is still threaded under.
      expect(await o.prune(1_000, ['inc:7'])).toBe(6);
      expect((await o.history(LANE)).map((r) => r.alertKey)).toEqual(['inc:7']);
      expect(await o.threadRef(LANE, 'inc:7')).toBe('ref-inc:7');
    });
  });
}

/** Defines the audit log's contract tests; `open` gives a fresh, migrated, empty log. */
export function auditLogContract(label: string, open: () => Promise<AuditLog>): void {
  describe(`${label}: audit log`, () => {
    it('records an attempt before it runs and how it ended, newest first, and per service', async () => {
      const log = await open();
      const who = { platform: 'slack' as const, workspaceId: 'T1', channelId: 'C1', userId: 'U1', userName: 'ann' };
      const a = await log.begin({ ...who, at: 1_000, command: '/ecs services' });
      const b = await log.begin({ ...who, at: 2_000, command: '/ecs scale web 3' });
      await log.target?.(b, 'prod', 'web');
      await log.finish(a, 'ok', 12.6);
      await log.finish(b, 'denied', -1, 'needs the operator role');
      const latest = await log.latest(10);
      expect(latest.map((e) => [e.command, e.outcome, e.durationMs, e.detail])).toEqual([
        ['/ecs scale web 3', 'denied', 0, 'needs the operator role'],
        ['/ecs services', 'ok', 13, null],
      ]);
      expect(latest[0]).toMatchObject({ ...who, at: 2_000, cluster: 'prod', service: 'web' });
      expect((await log.forService?.('prod', 'web', 5))?.map((e) => e.id)).toEqual([b]);
      expect(await log.latest(1)).toHaveLength(1);
    });
  });
}

const deploy = (over: Partial<NewDeployRecord> = {}): NewDeployRecord => ({
  kind: 'deploy',
  cluster: 'prod',
  region: 'eu-west-1',
  service: 'web',
  container: 'app',
  fromTaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
  toTaskDefinition: null,
  registered: false,
  fromImage: 'web:1.4.0',
  toImage: 'web:1.5.0',
  digest: 'sha256:' + 'a'.repeat(64),
  forced: false,
  status: 'registering',
  detail: null,
  platform: 'slack',
  userId: 'U1',
  userName: 'ann',
  createdAt: 1_000,
  ...over,
});

/** Defines the deploy store's contract tests; `open` gives a fresh, migrated, empty store. */
export function deployStoreContract(label: string, open: () => Promise<DeployStore>): void {
  describe(`${label}: deploy store`, () => {
    it('keeps deploy records from registering to updated, and finds the unfinished ones', async () => {
      const s = await open();
      const a = await s.create(deploy());
      const b = await s.create(deploy({ service: 'api', createdAt: 2_000, forced: true }));
      await s.update(a, { toTaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8', registered: true, status: 'registered' }, 1_500);
      expect((await s.unfinished()).map((r) => [r.id, r.status, r.registered])).toEqual([
        [a, 'registered', true],
        [b, 'registering', false],
      ]);
      await s.update(a, { status: 'updated' }, 1_600);
      expect((await s.unfinished()).map((r) => r.id)).toEqual([b]);
      expect(await s.forService('prod', 'web', 5)).toEqual([
        expect.objectContaining({ id: a, status: 'updated', updatedAt: 1_600, createdAt: 1_000, forced: false, toImage: 'web:1.5.0' }),
      ]);
      expect((await s.forService('prod', 'api', 5))[0]).toMatchObject({ forced: true, registered: false });
    });

    it('lets an Undo token be used once', async () => {
      const s = await open();
      const token: UndoToken = { token: 'u-1', kind: 'scale', cluster: 'prod', region: 'eu-west-1', service: 'web', before: '{"desired":2}', after: '{"desired":5}', summary: 'scale web 2 → 5', createdAt: 1_000, expiresAt: 3_601_000, usedAt: null };
      await s.saveUndo(token);
      expect(await s.getUndo('u-1')).toEqual(token);
      expect(await s.getUndo('nope')).toBeUndefined();
      const presses = await Promise.all([s.useUndo('u-1', 2_000), s.useUndo('u-1', 2_001)]);
      expect(presses.filter(Boolean)).toHaveLength(1);
      expect((await s.getUndo('u-1'))?.usedAt).toBeGreaterThanOrEqual(2_000);
    });
  });
}
