/**
 * `/ecs deploy` through Slack: real Bolt over signed HTTP to the Slack stand-in, the sandbox's demo
 * world, SQLite with the real migrations. The question carries Confirm, the steady note carries Undo,
 * and Undo asks again before it puts the old revision back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteDeployStore } from '../../src/db/deploy-store.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack-api.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'deploy-signing-secret-0123456789';

type Btn = { action_id: string; value: string; style?: string };

function buttonsOf(m: { blocks: unknown[] }): Btn[] {
  return (m.blocks as Array<{ type: string; elements?: Btn[] }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

const shown = (m: { blocks: unknown[] }): string => JSON.stringify(m.blocks);

describe('/ecs deploy over Slack', () => {
  let fake: FakeSlack;
  let sandbox: Sandbox;
  let aws: AwsPorts;
  let database: OpenDatabase;
  let adapter: SlackAdapter;
  let url: string;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    sandbox = await startSandbox({ scenario: 'demo', speed: 100, seed: 5 });
    aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
    database = openDatabase(':memory:');
    const dispatcher = new Dispatcher({
      commands: [ecs],
      ports: { clock: sandbox.clock, audit: new SqliteAuditLog(database.db), containers: aws.containers, images: aws.images, logs: aws.logs, deploys: new SqliteDeployStore(database.db) },
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

  async function press(channel: string, user: string, msg: StoredMessage, btn: Btn): Promise<void> {
    const responseUrl = fake.newResponseUrl(channel, msg.ts);
    const body = blockActionBody({ user_id: user, user_name: user.slice(2).toLowerCase(), channel_id: channel, action_id: btn.action_id, value: btn.value, response_url: responseUrl, message: { ts: msg.ts, blocks: msg.blocks } });
    expect((await postToApp(url, body, { secret: SECRET })).status).toBe(200);
  }

  const inChannel = (): StoredMessage[] => fake.messages.filter((m) => m.channel === 'C0REL');
  const reportsTd = (): string | undefined => sandbox.state.clusters.get('demo')?.services.get('reports')?.taskDefinitionArn;

  it('deploys reports 0.5.0 on Confirm, says when steady with an Undo button, and Undo (confirmed) restores reports:1', async () => {
    const responseUrl = fake.newResponseUrl('C0REL');
    const res = await postToApp(url, slashBody({ command: '/ecs', text: 'deploy reports 0.5.0', user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0REL', response_url: responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    const question = await fake.waitFor(() => inChannel().find((m) => shown(m).includes('Deploy reports 0.5.0 to reports')), 20_000);
    expect(shown(question)).toContain('Scan of reports 0.5.0: 1 MEDIUM, 1 LOW.');
    const confirm = buttonsOf(question).find((b) => b.value.startsWith('confirm:'))!;
    expect(confirm.style).toBe('danger');
    expect(reportsTd()).toMatch(/reports:1$/);

    await press('C0REL', 'U0ANA', question, confirm);
    await fake.waitFor(() => question.edits >= 1, 20_000);
    expect(shown(question)).toContain('reports:1 → reports:2');
    expect(reportsTd()).toMatch(/reports:2$/);

    const steady = await fake.waitFor(() => inChannel().find((m) => shown(m).includes('reports is steady')), 30_000);
    const undo = buttonsOf(steady).find((b) => b.value.startsWith('run:/ecs undo '));
    expect(undo, shown(steady)).toBeDefined();

    await press('C0REL', 'U0ANA', steady, undo!);
    const ask = await fake.waitFor(() => inChannel().find((m) => shown(m).includes('Undo the deploy of 0.5.0 to reports')), 20_000);
    expect(shown(ask)).toContain('reports:2 → reports:1?');
    expect(reportsTd()).toMatch(/reports:2$/);
    await press('C0REL', 'U0ANA', ask, buttonsOf(ask).find((b) => b.value.startsWith('confirm:'))!);
    await fake.waitFor(() => ask.edits >= 1, 20_000);
    expect(shown(ask)).toContain('Undoing the deploy of 0.5.0 to reports');
    expect(reportsTd()).toMatch(/reports:1$/);
  }, 60_000);
});
