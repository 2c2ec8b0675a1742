/**
 * Two dockhand replicas behind one Slack app (a load balancer in front of the HTTP endpoint, or two
 * Socket Mode connections) with one database between them: a request Slack retries is run once even
 * when the retry reaches the other replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { sqliteCoordination } from '../../src/db/coordination.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';
import { tempDb } from './cli.ts';

const SECRET = 'test-signing-secret-0123456789';

describe('two Slack replicas on one database', () => {
  let fake: FakeSlack;
  const replicas: Array<{ adapter: SlackAdapter; core: ReturnType<typeof testCore>; url: string; database: OpenDatabase }> = [];

  beforeAll(async () => {
    fake = await FakeSlack.start();
    const path = tempDb();
    for (let n = 0; n < 2; n++) {
      const database = openDatabase(path);
      // Each replica opens the file itself and keeps its audit log and confirmations there, as main.ts does.
      const core = testCore({ audit: new SqliteAuditLog(database.db), confirmations: sqliteCoordination(database.db).confirmations });
      const adapter = new SlackAdapter({ dispatcher: core.dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl, coordination: sqliteCoordination(database.db) });
      await adapter.start();
      replicas.push({ adapter, core, database, url: `http://127.0.0.1:${adapter.port}/slack/events` });
    }
  });

  afterAll(async () => {
    for (const r of replicas) {
      await r.adapter.stop();
      r.database.close();
    }
    await fake?.close();
  });

  it('runs a slash command once when Slack retries it and the retry reaches the other replica', async () => {
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    const responseUrl = fake.newResponseUrl('C0GENERAL');
    const body = slashBody({ command: '/ecs', text: 'slow 300', user_id: 'U0BOB', response_url: responseUrl });
    expect((await postToApp(a.url, body, { secret: SECRET })).status).toBe(200);
    const again = await postToApp(b.url, body, { secret: SECRET, retryNum: 1 });
    expect(again.status).toBe(200);
    const id = responseUrl.split('/').at(-1);
    await fake.waitFor(() => fake.responses.find((r) => r.id === id));
    await a.adapter.idle();
    await b.adapter.idle();
    expect(a.core.dispatcher.runs).toEqual(['/ecs slow 300']);
    expect(b.core.dispatcher.runs).toEqual([]);
    expect(fake.responses.filter((r) => r.id === id)).toHaveLength(1);
  });

  it('runs a confirmed command once when Confirm is pressed on the replica that did not ask, and refuses a second press on either', async () => {
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    const responseUrl = fake.newResponseUrl('C0GENERAL');
    await postToApp(a.url, slashBody({ command: '/ecs', text: 'scale web 5', user_id: 'U0ANA', user_name: 'ana', response_url: responseUrl }), { secret: SECRET });
    const asked = await fake.waitFor(() => fake.responses.find((r) => r.id === responseUrl.split('/').at(-1)));
    const blocks = (asked.body.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
    const confirm = blocks.filter((x) => x.type === 'actions').flatMap((x) => x.elements ?? []).find((e) => e.value.startsWith('confirm:'))!;
    expect(confirm).toBeDefined();
    const press = (to: string): Promise<unknown> => {
      const url = fake.newResponseUrl('C0GENERAL');
      return postToApp(to, blockActionBody({ user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0GENERAL', action_id: confirm.action_id, value: confirm.value, response_url: url }), { secret: SECRET }).then(() => url.split('/').at(-1));
    };
    const onB = await press(b.url);
    await fake.waitFor(() => fake.responses.find((r) => r.id === onB));
    await b.adapter.idle();
    expect(b.core.effects.scaled).toEqual([{ service: 'web', count: 5, by: 'U0ANA' }]);
    // Pressed again on either replica: nothing runs a second time, and the presser is told why.
    const again = await Promise.all([press(a.url), press(b.url)]);
    for (const id of again) {
      const r = await fake.waitFor(() => fake.responses.find((x) => x.id === id));
      expect(JSON.stringify(r.body)).toContain('already answered');
    }
    expect([...a.core.effects.scaled, ...b.core.effects.scaled]).toHaveLength(1);
  });
});
