/**
 * The real commands through Slack: `/ecs scale web 5` with its confirm button against the sandbox,
 * a `/quiz ecs` question answered by two users with buttons, and a crash alert from the watcher
 * delivered through the outbox, all over real Bolt and HTTP to the Slack stand-in.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../commands/audit.ts';
import { ecs } from '../../commands/ecs.ts';
import { quiz } from '../../commands/quiz.ts';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../../src/aws/index.ts';
import type { AwsPorts } from '../../src/aws/index.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { OpenDatabase } from '../../src/db/client.ts';
import { SqliteQuizStore } from '../../src/db/quiz-store.ts';
import { loadPacks } from '../../src/quiz/pack.ts';
import type { McqItem, PackCatalog } from '../../src/quiz/pack.ts';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import type { StoredMessage } from '../fakes/slack-api.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';
import { startRig } from '../integration/watcher-harness.ts';

const SECRET = 'scenario-signing-secret-0123456789';
const L = ['A', 'B', 'C', 'D', 'E'];

type Btn = { action_id: string; value: string; style?: string; confirm?: { text: { text: string } } };

function buttonsOf(m: { blocks: unknown[] }): Btn[] {
  return (m.blocks as Array<{ type: string; elements?: Btn[] }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

function shown(m: { blocks: unknown[]; text?: string }): string {
  return JSON.stringify(m.blocks);
}

describe('Slack scenarios with the real commands', () => {
  let fake: FakeSlack;
  let sandbox: Sandbox;
  let aws: AwsPorts;
  let database: OpenDatabase;
  let store: SqliteQuizStore;
  let packs: PackCatalog;
  let adapter: SlackAdapter;
  let url: string;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    // A fast sandbox clock: a rollout of minutes takes a second or two of real time.
    sandbox = await startSandbox({ scenario: 'demo', speed: 100, seed: 7 });
    aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
    database = openDatabase(':memory:');
    store = new SqliteQuizStore(database.db);
    packs = loadPacks(join(import.meta.dirname, '..', '..', 'quizzes'));
    const dispatcher = new Dispatcher({
      commands: [ecs, quiz, audit],
      ports: { clock: sandbox.clock, audit: new SqliteAuditLog(database.db), containers: aws.containers, images: aws.images, logs: aws.logs, quiz: store, packs },
      settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true, userRoles: new Map([['slack:U0ANA', 'operator']]) }),
      log: silentLogger,
    });
    adapter = new SlackAdapter({ dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  }, 60_000);

  afterAll(async () => {
    await adapter?.stop();
    aws?.destroy();
    database?.close();
    await sandbox?.stop();
    await fake?.close();
  });

  async function slash(channel: string, user: string, command: string, text: string): Promise<string> {
    const responseUrl = fake.newResponseUrl(channel);
    const res = await postToApp(url, slashBody({ command, text, user_id: user, user_name: user.slice(2).toLowerCase(), channel_id: channel, response_url: responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    return FakeSlack.responseId(responseUrl);
  }

  async function press(channel: string, user: string, msg: StoredMessage, btn: Btn): Promise<string> {
    const responseUrl = fake.newResponseUrl(channel, msg.ts);
    const body = blockActionBody({ user_id: user, user_name: user.slice(2).toLowerCase(), channel_id: channel, action_id: btn.action_id, value: btn.value, response_url: responseUrl, message: { ts: msg.ts, blocks: msg.blocks } });
    const res = await postToApp(url, body, { secret: SECRET });
    expect(res.status).toBe(200);
    return FakeSlack.responseId(responseUrl);
  }

  const inChannel = (channel: string): StoredMessage[] => fake.messages.filter((m) => m.channel === channel);
  const desiredOfWeb = (): number | undefined => sandbox.state.clusters.get('demo')?.services.get('web')?.desiredCount;

  it('/ecs scale web 5: asks with a confirm dialog, refuses another user privately, scales on the caller’s confirm, then says when steady', async () => {
    expect(desiredOfWeb()).toBe(2);
    await slash('C0OPS', 'U0ANA', '/ecs', 'scale web 5');
    const question = await fake.waitFor(() => inChannel('C0OPS').find((m) => shown(m).includes('More than double') || shown(m).includes('more than double')), 10_000);
    expect(shown(question)).toContain('Scale web in cluster demo (us-east-1, sandbox) from 2 to 5 tasks?');
    const confirm = buttonsOf(question).find((b) => b.value.startsWith('confirm:'))!;
    expect(confirm.style).toBe('danger');
    expect(confirm.confirm?.text.text).toContain('from 2 to 5 tasks');

    const bobAnswer = await press('C0OPS', 'U0BOB', question, confirm);
    const refusal = await fake.waitFor(() => fake.responses.find((r) => r.id === bobAnswer));
    expect(refusal.body.response_type).toBe('ephemeral');
    expect(shown(refusal.body as { blocks: unknown[] })).toContain('only ana');
    expect(question.edits).toBe(0);
    expect(desiredOfWeb()).toBe(2);

    await press('C0OPS', 'U0ANA', question, confirm);
    await fake.waitFor(() => question.edits === 1);
    expect(shown(question)).toContain('Scaling web 2 → 5');
    expect(buttonsOf(question)).toHaveLength(0);
    expect(desiredOfWeb()).toBe(5);

    const steady = await fake.waitFor(() => inChannel('C0OPS').find((m) => m.text.includes('steady')), 20_000);
    expect(shown(steady)).toMatch(/web is steady: 5\/5 running/);
    const auditRows = await new SqliteAuditLog(database.db).latest(20);
    expect(auditRows.some((r) => r.userId === 'U0BOB' && r.outcome === 'denied')).toBe(true);
    expect(auditRows.some((r) => r.userId === 'U0ANA' && r.command === '/ecs scale web 5' && r.outcome === 'ok')).toBe(true);
  }, 40_000);

  it('/quiz ecs: two users answer one question with buttons, privately, and the reveal names both', async () => {
    await slash('C0STUDY', 'U0ANA', '/quiz', 'ecs --questions 1 --timer 60s');
    const question = await fake.waitFor(() => inChannel('C0STUDY').find((m) => buttonsOf(m).length > 0), 10_000);
    const session = await store.activeSession('team:slack:T0TEAM:C0STUDY');
    expect(session).not.toBeNull();
    const item = packs.packs.get(session!.state.pack)!.items.find((i) => i.id === session!.state.itemIds[session!.state.index]) as McqItem;
    const buttons = buttonsOf(question);
    expect(buttons.map((b) => b.value)).toEqual(item.choices.map((_, i) => `run:/quiz answer ${L[i]}`));
    const rightBtn = buttons[item.answer]!;
    const wrongBtn = buttons[(item.answer + 1) % buttons.length]!;

    const a = await press('C0STUDY', 'U0ANA', question, rightBtn);
    const b = await press('C0STUDY', 'U0BOB', question, wrongBtn);
    const ra = await fake.waitFor(() => fake.responses.find((r) => r.id === a));
    const rb = await fake.waitFor(() => fake.responses.find((r) => r.id === b));
    expect(ra.body.response_type).toBe('ephemeral');
    expect(rb.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(ra.body)).toContain(`Got it, ana: ${L[item.answer]}`);
    expect(JSON.stringify(rb.body)).toContain(`Got it, bob: ${L[(item.answer + 1) % buttons.length]}`);

    const reveal = await fake.waitFor(() => inChannel('C0STUDY').find((m) => shown(m).includes('Answer: ')), 20_000);
    expect(shown(reveal)).toContain(`Answer: ${L[item.answer]})`);
    expect(shown(reveal)).toMatch(/Right: ana/);
    expect(shown(reveal)).toContain(`Missed: bob (${L[(item.answer + 1) % buttons.length]})`);
  }, 40_000);

  it('posts a crash alert from the watcher to its channel, retries after Slack’s 429, and threads the incident’s updates', async () => {
    const rig = await startRig({ targets: [adapter.alertTarget] });
    try {
      const { state } = rig.sandbox;
      const td = state.defineTaskDefinition({ family: 'payments' });
      state.createService('prod', { name: 'payments', taskDefinition: td, desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 25_000, oomEvery: 1 } });
      fake.fail('chat.postMessage', { status: 429, retryAfterSec: 30 });
      for (let i = 0; i < 12 && inChannel('C1').length === 0; i++) await rig.step(10_000);
      const alert = inChannel('C1')[0];
      expect(alert, 'a crash alert in C1').toBeDefined();
      expect(shown(alert!)).toMatch(/payments/);
      expect(shown(alert!)).toMatch(/137|OutOfMemory/);
      expect(fake.callsOf('chat.postMessage').some((c) => c.params.channel === 'C1' && c.outcome === 'http_429')).toBe(true);
      expect(rig.log.warnings.some((w) => /retry after 30s/.test(w))).toBe(true);

      // The crashes go on: a crash-loop incident opens and its updates go into its thread.
      for (let i = 0; i < 30 && !inChannel('C1').some((m) => m.threadTs); i++) await rig.step(10_000);
      const incident = inChannel('C1').find((m) => m.text.includes('Crash loop'));
      expect(incident, 'a crash-loop incident message').toBeDefined();
      const replies = inChannel('C1').filter((m) => m.threadTs === incident!.ts);
      expect(replies.length).toBeGreaterThan(0);
      expect(replies[0]!.text).toMatch(/Crash #\d+ of payments/);
    } finally {
      await rig.close();
    }
  }, 60_000);
});
