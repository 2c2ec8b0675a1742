/**
 * The alert lane of a Slack channel against the stricter stand-in: a final error (even a code
 * dockhand does not know) takes its message out at once so the next alert goes out; retryable
 * errors hold the lane only until watch.delivery.giveUpAfter; a message refused as too long goes
 * again without its log excerpt; and `/ecs alerts` shows what was given up and why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import type { Logger } from '../../src/core/logger.ts';
import { replyToPlainText, textReply } from '../../src/core/reply.ts';
import type { Reply } from '../../src/core/reply.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { OpenDatabase } from '../../src/db/client.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import { crashAlert } from '../../src/watcher/alerts.ts';
import { classifyStop } from '../../src/watcher/rules.ts';
import { AlertDelivery } from '../../src/watcher/delivery.ts';
import { watcherSettings } from '../../src/watcher/config.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';

const HOUR = 60 * 60_000;
const LANE = { platform: 'slack' as const, channelId: 'C0ALERTS' };

function logger(errors: string[]): Logger {
  const l: Logger = { debug() {}, info() {}, warn() {}, error: (_o, m) => void errors.push(m ?? ''), child: () => l };
  return l;
}

const task = {
  arn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef',
  id: '0123456789abcdef0123456789abcdef',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
  group: 'service:web',
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'web', image: 'web:1.4.1', exitCode: 1, reason: 'Error' }],
};

function crash(lines: number): Reply {
  return crashAlert(
    { cluster: 'prod', service: 'web', task, verdict: classifyStop(task, new Set(['web'])), logLines: Array.from({ length: lines }, (_, i) => ({ timestamp: i, message: `boom ${i}`, stream: 's' })) },
    'crash:t1',
  );
}

describe('a Slack channel\'s alert lane', () => {
  let fake: FakeSlack;
  let db: OpenDatabase;
  let outbox: SqliteOutbox;
  let clock: FakeClock;
  let errors: string[];
  let delivery: AlertDelivery;

  beforeEach(async () => {
    fake = await FakeSlack.start();
    db = openDatabase(':memory:');
    outbox = new SqliteOutbox(db);
    clock = new FakeClock();
    errors = [];
    const adapter = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: 'secret-12345678', apiUrl: fake.apiUrl, channelGapMs: 0 }); // sandbox time runs fast; Slack's pace is tested in slack-pacing
    delivery = new AlertDelivery({ outbox, targets: [adapter.alertTarget], clock, log: logger(errors), backoffBaseMs: 1_000, backoffMaxMs: 60_000, giveUpAfterMs: watcherSettings(undefined, undefined).deliveryGiveUpAfterMs });
  });
  afterEach(async () => {
    await delivery.stop();
    await fake.close();
    db.close();
  });

  it('gives up at once on an error code dockhand does not know, logs it, and sends the next alert', async () => {
    await outbox.enqueue({ alertKey: 'a1', ...LANE, reply: textReply('first alert') }, clock.now());
    await outbox.enqueue({ alertKey: 'a2', ...LANE, reply: textReply('second alert') }, clock.now());
    fake.fail('chat.postMessage', { error: 'brand_new_refusal' });
    const report = await delivery.flush();
    expect(report).toMatchObject({ sent: 1, failed: 1, retried: 0 });
    expect(fake.messages.map((m) => m.text)).toEqual(['second alert']);
    expect(await outbox.find(LANE, 'a1')).toMatchObject({ status: 'failed' });
    expect((await outbox.find(LANE, 'a1'))?.lastError).toContain('brand_new_refusal');
    expect(errors.join('\n')).toMatch(/brand_new_refusal.*does not know/);
    // An operator sees it where undeliverable alerts are listed.
    const core = new Dispatcher({
      commands: [ecs],
      ports: { clock, audit: new SqliteAuditLog(db.db), incidents: new SqliteIncidentStore(db), alertOutbox: outbox },
      settings: defaultSettings({ clusters: [{ name: 'prod', region: 'us-east-1' }] }),
      log: logger([]),
    });
    const listed = replyToPlainText((await core.run('/ecs alerts', { platform: 'slack', workspaceId: 'T0', channelId: 'C0OPS', userId: 'U0ANA', displayName: 'ana' })).reply);
    expect(listed).toContain('Undeliverable alerts (latest 1)');
    expect(listed).toMatch(/slack C0ALERTS \| .* \| .*brand_new_refusal — Slack refused it with a code dockhand does not know/);
  });

  it('gives up on not_in_channel at once, saying to invite the bot', async () => {
    await outbox.enqueue({ alertKey: 'a1', ...LANE, reply: textReply('first alert') }, clock.now());
    fake.fail('chat.postMessage', { error: 'not_in_channel' });
    await delivery.flush();
    expect((await outbox.failures(5))[0]?.lastError).toMatch(/not_in_channel — the bot is not a member of the channel; invite it/);
  });

  it('holds the lane through a Slack outage only until watch.delivery.giveUpAfter (6h), then fails that message and sends the next', async () => {
    await outbox.enqueue({ alertKey: 'a1', ...LANE, reply: textReply('first alert') }, clock.now());
    await outbox.enqueue({ alertKey: 'a2', ...LANE, reply: textReply('second alert') }, clock.now());
    fake.fail('chat.postMessage', { status: 503 }, 10_000);
    await delivery.flush();
    expect(await outbox.find(LANE, 'a1')).toMatchObject({ status: 'pending', attempts: 1 });
    // Hours of retrying: the second alert waits behind the first, to keep order.
    for (let t = 0; t < 5 * HOUR; t += 10 * 60_000) {
      await clock.advance(10 * 60_000);
      await delivery.flush();
    }
    expect((await outbox.find(LANE, 'a1'))?.status).toBe('pending');
    expect((await outbox.find(LANE, 'a2'))?.status).toBe('pending');
    expect(fake.messages).toHaveLength(0);
    while ((await outbox.find(LANE, 'a1'))?.status === 'pending') {
      await clock.advance(10 * 60_000);
      await delivery.flush();
    }
    expect(clock.now() - (await outbox.find(LANE, 'a1'))!.firstFailedAt!).toBeGreaterThanOrEqual(6 * HOUR);
    expect(clock.now() - (await outbox.find(LANE, 'a1'))!.firstFailedAt!).toBeLessThan(6 * HOUR + 20 * 60_000);
    expect((await outbox.find(LANE, 'a1'))?.lastError).toMatch(/gave up after 6h of retrying \(watch\.delivery\.giveUpAfter is 6h\): .*HTTP 503/);
    expect(errors.some((e) => e.includes('gave up after'))).toBe(true);
    // The next alert was tried right after (Slack was still down), not 6 hours later; once Slack is
    // back it goes out at its next retry.
    expect(await outbox.find(LANE, 'a2')).toMatchObject({ status: 'pending', attempts: 1 });
    fake.clearFailures('chat.postMessage');
    await clock.advance(2 * 60_000);
    await delivery.flush();
    expect(fake.messages.map((m) => m.text)).toEqual(['second alert']);
  });

  it('sends a crash alert refused as too long again without its log excerpt, saying where to read it', async () => {
    await outbox.enqueue({ alertKey: 'crash1', ...LANE, reply: crash(20) }, clock.now());
    fake.fail('chat.postMessage', { error: 'msg_blocks_too_long' });
    const report = await delivery.flush();
    expect(report.sent).toBe(1);
    const posted = JSON.stringify(fake.messages[0]?.blocks);
    expect(posted).not.toContain('boom 19');
    expect(posted).toContain('Left out because the message was too long: read it with `/ecs logs web --cluster prod --task 0123456789abcdef0123456789abcdef --since 1h`');
    expect(posted).toContain('/ecs mute web 1h --cluster prod');
  });
});
