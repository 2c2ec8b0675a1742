/**
 * `/ecs alerts`, `/ecs mute` and `/ecs unmute` through the real dispatcher, on the sandbox's demo
 * world after the watcher's first poll (which finds the crash-looping `payments`), with the alert
 * buttons pressed as a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertSubcommands } from '../../commands/ecs-alerts.ts';
import { ecs } from '../../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller, CommandDef } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { watcherSettings } from '../../src/watcher/config.ts';
import { AlertDelivery } from '../../src/watcher/delivery.ts';
import { firstPollKey } from '../../src/watcher/rules.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';
import { FakeChat } from './watcher-harness.ts';

const alice: Caller = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U1', displayName: 'alice' };
const vic: Caller = { ...alice, userId: 'U2', displayName: 'vic' };

let sandbox: Sandbox;
let aws: AwsPorts;
let database: OpenDatabase;
let d: Dispatcher;
let watcher: CrashWatcher;
let delivery: AlertDelivery;
const chat = new FakeChat('slack');
const demo = { cluster: 'demo', region: 'us-east-1' };

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 7 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
  database = openDatabase(':memory:');
  const incidents = new SqliteIncidentStore(database);
  const alertOutbox = new SqliteOutbox(database);
  const settings = watcherSettings({ rateLimit: { messages: 100 } }, [{ slack: 'C1' }]);
  watcher = new CrashWatcher({ containers: aws.containers, logs: aws.logs, store: incidents, outbox: alertOutbox, clock: sandbox.clock, log: silentLogger, settings, clusters: [demo] });
  delivery = new AlertDelivery({ outbox: alertOutbox, targets: [chat], clock: sandbox.clock, log: silentLogger, rateLimitMessages: 100 });
  const ecsWithAlerts: CommandDef = { ...ecs, subcommands: [...ecs.subcommands, ...alertSubcommands] };
  d = new Dispatcher({
    commands: [ecsWithAlerts],
    ports: { clock: sandbox.clock, audit: new SqliteAuditLog(database.db), containers: aws.containers, images: aws.images, logs: aws.logs, incidents, alertOutbox },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true, userRoles: new Map([['slack:U1', 'operator']]) }),
    log: silentLogger,
  });
  await watcher.poll(demo);
  await delivery.flush();
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  database?.close();
  await sandbox?.stop();
});

describe('/ecs alerts, mute and unmute', () => {
  it("sums up the demo's hour of history in its first poll: one message per crash loop", () => {
    const texts = chat.received.map((m) => m.text);
    expect(texts).toHaveLength(3);
    expect(texts.filter((t) => t.startsWith('🔥 Crash loop: payments'))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('🔥 Crash loop: search'))).toHaveLength(1);
    const opened = texts.find((t) => t.startsWith('🔥 Crash loop: payments'))!;
    expect(opened).toMatch(/exit (1|137)/);
    expect(opened).toMatch(/Last \d+ log lines of payments/);
    expect(texts.filter((t) => t.startsWith('🔥 Crash loop: reports failed to start'))).toHaveLength(1);
    expect(texts.find((t) => t.startsWith('🔥 Crash loop: reports'))).toContain('CannotPullContainerError');
  });

  it('lists open incidents', async () => {
    const r = await d.run('/ecs alerts', vic);
    const t = replyToPlainText(r.reply);
    expect(t).toContain('Open incidents');
    expect(t).toMatch(/payments \| demo \| \d+/);
    expect(t).toContain('No service is muted.');
    expect(t).toMatch(/outbox: 0 waiting, 0 undeliverable/);
  });

  it('mutes from the alert button, holds alerts back but records crashes, and unmutes', async () => {
    const opened = chat.received.find((m) => m.text.startsWith('🔥 Crash loop: payments'))!;
    const actions = opened.reply.blocks.find((b) => b.kind === 'actions');
    const mute = actions?.kind === 'actions' ? actions.buttons.find((b) => b.label === 'Mute 1h') : undefined;
    expect(mute?.action).toBe('run:/ecs mute payments 1h --cluster demo');
    const denied = await d.press(mute!.action, vic);
    expect(replyToPlainText(denied.reply)).toMatch(/operator/i);
    const r = await d.press(mute!.action, alice);
    expect(replyToPlainText(r.reply)).toMatch(/^🔕 payments in cluster demo \(us-east-1, sandbox\) is muted for 1h/);
    const listed = replyToPlainText((await d.run('/ecs alerts', vic)).reply);
    expect(listed).toMatch(/payments \| demo \| .*left\) \| slack:alice/);

    const before = chat.received.length;
    const incidents = (watcher as unknown as { d: { store: SqliteIncidentStore } }).d.store;
    const crashesBefore = (await incidents.openIncident('demo', 'payments'))!.crashes;
    for (let i = 0; i < 6; i++) {
      sandbox.advance(30_000);
      await watcher.poll(demo);
      await delivery.flush();
    }
    expect(chat.received.slice(before).filter((m) => m.text.includes('payments'))).toHaveLength(0);
    expect((await incidents.openIncident('demo', 'payments'))!.crashes).toBeGreaterThan(crashesBefore);

    const un = await d.run('/ecs unmute payments', alice);
    expect(replyToPlainText(un.reply)).toContain('payments in cluster demo (us-east-1, sandbox) is no longer muted');
    const again = await d.run('/ecs unmute payments', alice);
    expect(replyToPlainText(again.reply)).toContain('payments is not muted in cluster demo');
  });

  it('refuses a mute of a service that does not exist, with a suggestion', async () => {
    const r = await d.run('/ecs mute paymnets 30m', alice);
    expect(replyToPlainText(r.reply)).toMatch(/no service 'paymnets'.*did you mean 'payments'/);
  });

  it("shows the crashed task's log lines when the alert's Logs button is pressed half an hour later", async () => {
    const opened = chat.received.find((m) => m.text.startsWith('🔥 Crash loop: payments'))!;
    const actions = opened.reply.blocks.find((b) => b.kind === 'actions');
    const logs = actions?.kind === 'actions' ? actions.buttons.find((b) => b.label === 'Logs') : undefined;
    const evidence = opened.reply.blocks.find((b) => b.kind === 'code');
    const lastLine = evidence?.kind === 'code' ? evidence.text.split('\n').at(-1)! : '';
    expect(lastLine.length).toBeGreaterThan(0);
    sandbox.advance(30 * 60_000);
    const r = await d.press(logs!.action, vic);
    const t = replyToPlainText(r.reply);
    expect(t).not.toContain('No log lines');
    expect(t).toContain(lastLine);
  });
});

describe('/ecs alerts before the watcher has polled', () => {
  it('says the watcher has not looked yet instead of "no service is crash-looping"', async () => {
    const db = openDatabase(':memory:');
    const incidents = new SqliteIncidentStore(db);
    const fresh = new Dispatcher({
      commands: [{ ...ecs, subcommands: [...ecs.subcommands, ...alertSubcommands] }],
      ports: { clock: sandbox.clock, audit: new SqliteAuditLog(db.db), incidents, alertOutbox: new SqliteOutbox(db) },
      settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
      log: silentLogger,
    });
    const before = replyToPlainText((await fresh.run('/ecs alerts', vic)).reply);
    expect(before).toContain('The crash watcher has not polled cluster demo yet');
    expect(before).not.toContain('no service is crash-looping');
    await incidents.apply([{ op: 'putCondition', condition: { key: firstPollKey('demo'), cluster: 'demo', service: '', since: 0, detail: 'first poll done' } }]);
    const after = replyToPlainText((await fresh.run('/ecs alerts', vic)).reply);
    expect(after).toContain('No open incidents: no service is crash-looping.');
    expect(after).not.toContain('has not polled');
    db.close();
  });
});


describe('/ecs alerts and undeliverable alerts', () => {
  it('lists the alerts given up on, with the channel and what to do', async () => {
    const db = openDatabase(':memory:');
    const box = new SqliteOutbox(db);
    const fresh = new Dispatcher({
      commands: [{ ...ecs, subcommands: [...ecs.subcommands, ...alertSubcommands] }],
      ports: { clock: sandbox.clock, audit: new SqliteAuditLog(db.db), incidents: new SqliteIncidentStore(db), alertOutbox: box },
      settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
      log: silentLogger,
    });
    expect(replyToPlainText((await fresh.run('/ecs alerts', vic)).reply)).not.toContain('Undeliverable');
    await box.enqueue({ alertKey: 'crash:t1', platform: 'slack', channelId: 'C0OPS', reply: { visibility: 'channel', blocks: [{ kind: 'text', text: 'web crashed' }] } }, 0);
    const id = (await box.pending({ platform: 'slack', channelId: 'C0OPS' }))[0]!.id;
    await box.markFailed(id, 'slack chat.postMessage to C0OPS: not_in_channel — the bot is not a member of the channel; invite it with /invite @dockhand', Date.UTC(2026, 10, 27, 9, 30));
    const t = replyToPlainText((await fresh.run('/ecs alerts', vic)).reply);
    expect(t).toContain('Undeliverable alerts (latest 1)');
    expect(t).toMatch(/slack C0OPS \| 2026-11-27 09:30 UTC \| .*not_in_channel — the bot is not a member of the channel; invite it with \/invite @dockhand/);
    expect(t).toContain('outbox: 0 waiting, 1 undeliverable');
    db.close();
  });
});
