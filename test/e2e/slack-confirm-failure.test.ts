/**
 * A command that fails after its caller pressed Confirm: the public question is replaced by a
 * public "did not complete" line, and the reason goes to the caller alone (Slack's
 * replace_original would otherwise show a private error to the whole channel).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'confirm-secret-0123456789';

describe('a failure after Confirm in Slack', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let url: string;
  beforeAll(async () => {
    fake = await FakeSlack.start();
    adapter = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  });
  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  it('tells the channel the command did not complete and only the caller why', async () => {
    const askUrl = fake.newResponseUrl('C0OPS');
    await postToApp(url, slashBody({ command: '/ecs', text: 'scale gone 5', user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0OPS', response_url: askUrl }), { secret: SECRET });
    const question = await fake.waitFor(() => fake.messages.find((m) => m.channel === 'C0OPS' && m.text.includes('Scale gone')));
    const confirm = (question.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements![0]!;
    const pressUrl = fake.newResponseUrl('C0OPS', question.ts);
    await postToApp(url, blockActionBody({ user_id: 'U0ANA', user_name: 'ana', channel_id: 'C0OPS', action_id: confirm.action_id, value: confirm.value, response_url: pressUrl, message: { ts: question.ts } }), { secret: SECRET });
    const ephemeral = await fake.waitFor(() => fake.callsOf('chat.postEphemeral')[0]);
    // What the channel sees now, in place of the question:
    const publicText = JSON.stringify(question.blocks);
    expect(publicText).toContain('`/ecs scale gone 5` did not complete; nothing more was done. ana was shown why.');
    expect(publicText).not.toContain('no longer exists');
    expect(question.edits).toBe(1);
    // The reason, to Ana alone:
    expect(ephemeral.params.user).toBe('U0ANA');
    expect(JSON.stringify(ephemeral.params.blocks)).toContain("service 'gone' no longer exists in cluster prod");
    expect(fake.messages.filter((m) => m.channel === 'C0OPS' && JSON.stringify(m.blocks).includes('no longer exists'))).toHaveLength(0);
  });
});
