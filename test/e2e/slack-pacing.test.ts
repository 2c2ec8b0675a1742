/**
 * Where the Slack stand-in's limits meet long-running commands: a follow in a channel the bot was
 * not invited to lives on the response_url's 5 uses and ends at the fifth saying to invite the bot;
 * a 429 on one channel's follow holds back neither a modal nor another channel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import type { DispatchResult } from '../../src/core/dispatcher.ts';
import { reply, textReply } from '../../src/core/reply.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'pacing-secret-0123456789';

describe('long-running commands within Slack\'s limits', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let core: ReturnType<typeof testCore>;
  let url: string;
  beforeEach(async () => {
    fake = await FakeSlack.start({ notInChannels: ['C0NOTIN'], botName: 'opsbot' });
    core = testCore();
    adapter = new SlackAdapter({ dispatcher: core.dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl, channelGapMs: 50 });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  });
  afterEach(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  it('ends a follow in an uninvited channel at the fifth response_url use, saying to invite the bot by its own name', async () => {
    const responseUrl = fake.newResponseUrl('C0NOTIN');
    const id = FakeSlack.responseId(responseUrl);
    await postToApp(url, slashBody({ command: '/ecs', text: 'logs web --follow --batches 9', user_id: 'U0BOB', channel_id: 'C0NOTIN', response_url: responseUrl }), { secret: SECRET });
    await fake.waitFor(() => fake.responses.filter((r) => r.id === id).length >= 5);
    await adapter.idle();
    const uses = fake.responses.filter((r) => r.id === id);
    // Five uses and no sixth: Slack would have refused it and the lines would have gone nowhere.
    expect(uses.map((u) => u.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(JSON.stringify(uses[0]?.body)).toContain('Following logs of web');
    expect(JSON.stringify(uses[4]?.body)).toContain('this follow stops here: invite @opsbot (/invite @opsbot) to follow logs here');
    expect(core.effects.followed).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify(uses[4]?.body)).toContain('web line batch 4');
    // Slack said not_in_channel once; dockhand did not keep asking.
    expect(fake.callsOf('chat.postMessage').map((c) => c.outcome)).toEqual(['not_in_channel']);
    // Nothing said "could not answer" or posted an error id.
    expect(JSON.stringify(uses)).not.toMatch(/could not answer|error id/);
  });

  it('keeps a modal within its 3-second trigger while a follow in a busy channel waits out a 429', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfterSec: 4 }, 1);
    const responseUrl = fake.newResponseUrl('C0BUSY');
    await postToApp(url, slashBody({ command: '/ecs', text: 'logs web --follow --batches 2', user_id: 'U0BOB', channel_id: 'C0BUSY', response_url: responseUrl }), { secret: SECRET });
    await fake.waitFor(() => fake.callsOf('chat.postMessage').some((c) => c.outcome === 'http_429'));
    const t0 = Date.now();
    await postToApp(
      url,
      blockActionBody({ user_id: 'U0ANA', channel_id: 'C0OTHER', action_id: 'dockhand:0', value: 'ask:/quiz answer\nYour answer', text: 'Answer', response_url: fake.newResponseUrl('C0OTHER') }),
      { secret: SECRET },
    );
    await fake.waitFor(() => fake.views.length > 0, 3_000);
    expect(Date.now() - t0).toBeLessThan(1_500);
    // Another channel's command posts at once too.
    const other = fake.newResponseUrl('C0QUIET');
    await postToApp(url, slashBody({ command: '/ecs', text: 'deploy api', user_id: 'U0BOB', channel_id: 'C0QUIET', response_url: other }), { secret: SECRET });
    await fake.waitFor(() => fake.messages.some((m) => m.channel === 'C0QUIET'), 1_500);
    // The follow waited what Slack asked, then went on: no line was lost.
    await fake.waitFor(() => core.effects.followed.length === 2, 10_000);
    const busy = fake.messages.filter((m) => m.channel === 'C0BUSY').map((m) => m.text);
    expect(busy).toEqual(['Following logs of web…', 'web line batch 1', 'web line batch 2']);
  }, 20_000);

  it('says at the fifth use of any command\'s response_url in an uninvited channel that the bot must be invited for more, and uses it no sixth time', async () => {
    // A command with more to say than five messages (a deploy's progress), not a --follow.
    const posted: number[] = [];
    const result: DispatchResult = {
      reply: textReply('Deploying web…'),
      outcome: 'ok',
      followUp: async (post) => {
        for (let i = 1; i <= 7; i++) {
          await post(textReply(`step ${i}`));
          posted.push(i);
        }
        return 'ok';
      },
    };
    const own = new SlackAdapter({ dispatcher: { run: () => Promise.resolve(result), press: () => Promise.resolve(result) }, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl, channelGapMs: 10 });
    await own.start();
    try {
      const responseUrl = fake.newResponseUrl('C0NOTIN');
      const id = FakeSlack.responseId(responseUrl);
      await postToApp(`http://127.0.0.1:${own.port}/slack/events`, slashBody({ command: '/ecs', text: 'deploy web', user_id: 'U0BOB', channel_id: 'C0NOTIN', response_url: responseUrl }), { secret: SECRET });
      await fake.waitFor(() => fake.responses.filter((r) => r.id === id).length >= 5);
      await own.idle();
      const uses = fake.responses.filter((r) => r.id === id);
      expect(uses.map((u) => u.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(JSON.stringify(uses[4]?.body)).toContain('step 4');
      expect(JSON.stringify(uses[4]?.body)).toContain('and this was the last: invite @opsbot (/invite @opsbot) for more.');
      expect(posted).toEqual([1, 2, 3, 4]);
    } finally {
      await own.stop();
    }
  });

  it('keeps a follow-up and an alert to one channel at Slack\'s pace of about one message a second, so Slack answers no 429', async () => {
    const paced = await FakeSlack.start({ channelPostLimit: { messages: 1, perMs: 1_000 } });
    const own = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: paced.apiUrl });
    await own.start();
    try {
      await postToApp(`http://127.0.0.1:${own.port}/slack/events`, slashBody({ command: '/ecs', text: 'deploy web', user_id: 'U0BOB', channel_id: 'C0PACE', response_url: paced.newResponseUrl('C0PACE') }), { secret: SECRET });
      await paced.waitFor(() => paced.messages.some((m) => m.channel === 'C0PACE'));
      // An alert for the same channel arrives in the middle of the deploy's progress messages.
      await own.deliver('C0PACE', textReply('🚨 web crashed'));
      await own.idle();
      await paced.waitFor(() => paced.messages.filter((m) => m.channel === 'C0PACE').length === 5, 10_000);
      const posts = paced.callsOf('chat.postMessage');
      expect(posts.map((c) => c.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(paced.messages.map((m) => m.text)).toContain('🚨 web crashed');
    } finally {
      await own.stop();
      await paced.close();
    }
  }, 20_000);

  it('goes on in the channel, in a thread of its own, when someone deletes the thread a follow posts into', async () => {
    let deleted!: () => void;
    const parentGone = new Promise<void>((r) => (deleted = r));
    const result: DispatchResult = {
      reply: textReply('Following logs of web…', { thread: { key: 'follow:web', parent: true } }),
      outcome: 'ok',
      followUp: async (post) => {
        await post(reply([{ kind: 'code', text: 'web line batch 1' }], { thread: { key: 'follow:web' } }));
        await parentGone;
        await post(reply([{ kind: 'code', text: 'web line batch 2' }], { thread: { key: 'follow:web' } }));
        await post(reply([{ kind: 'code', text: 'web line batch 3' }], { thread: { key: 'follow:web' } }));
        return 'ok';
      },
    };
    const own = new SlackAdapter({ dispatcher: { run: () => Promise.resolve(result), press: () => Promise.resolve(result) }, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl, channelGapMs: 10 });
    await own.start();
    try {
      await postToApp(`http://127.0.0.1:${own.port}/slack/events`, slashBody({ command: '/ecs', text: 'logs web --follow 5m', user_id: 'U0BOB', channel_id: 'C0DEL', response_url: fake.newResponseUrl('C0DEL') }), { secret: SECRET });
      const first = await fake.waitFor(() => fake.messages.find((m) => m.channel === 'C0DEL' && m.text === 'web line batch 1'));
      // The user deletes the follow's first message; Slack then answers thread_not_found for its thread.
      fake.messages.splice(fake.messages.findIndex((m) => m.ts === first.threadTs), 1);
      fake.messages.splice(fake.messages.indexOf(first), 1);
      deleted();
      await own.idle();
      const [second, third] = fake.messages.filter((m) => m.channel === 'C0DEL');
      expect(second?.text).toMatch(/^web line batch 2/);
      expect(second?.threadTs).toBeUndefined();
      expect(JSON.stringify(second?.blocks)).toContain('The thread this was posted to is gone (its first message was deleted), so it continues here.');
      expect(third?.text).toBe('web line batch 3');
      expect(third?.threadTs).toBe(second?.ts);
      expect(fake.callsOf('chat.postEphemeral')).toEqual([]);
    } finally {
      await own.stop();
    }
  });
});
