/**
 * Long output through Slack's Web API is not cut: chat.postMessage and chat.postEphemeral refuse a
 * message whose blocks carry about 12,000 characters of text, so dockhand posts each message under
 * 10,000 (counted after escaping) and continues the rest in thread replies or the next messages.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import type { SlackDispatcher } from '../../src/adapters/slack/app.ts';
import { blockTextCount, WEB_API_BLOCK_TEXT_BUDGET } from '../../src/adapters/slack/block-text.ts';
import type { DispatchResult } from '../../src/core/dispatcher.ts';
import type { Logger } from '../../src/core/logger.ts';
import { reply, textReply } from '../../src/core/reply.ts';
import { FakeSlack, RESPONSE_URL_TTL_MS } from '../fakes/slack-api.ts';
import type { RecordedCall } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'long-output-secret-0123456789';

/** Log lines whose `<`, `>` and `&` Slack needs escaped, so the escaped text is longer than the typed one. */
function lines(n: number): string {
  return Array.from({ length: n }, (_, i) => `line ${i} <${'x'.repeat(90)}> & done`).join('\n');
}

/** Which of the numbered lines a set of posted messages carries, in order. */
function linesIn(calls: readonly RecordedCall[]): number[] {
  return calls.flatMap((c) => [...JSON.stringify(c.params.blocks).matchAll(/line (\d+) &lt;/g)].map((m) => Number(m[1])));
}

/** Commands that answer with long output the ways dockhand's do: a thread parent, a follow batch, a private answer. */
function longCommands(): SlackDispatcher {
  const result = (r: DispatchResult['reply'], followUp?: DispatchResult['followUp']): DispatchResult => ({ reply: r, outcome: 'ok', ...(followUp ? { followUp } : {}) });
  return {
    press: () => Promise.resolve(result(textReply('pressed'))),
    run: (text) => {
      const [, what, n] = /^\/ecs (\w+) (\d+)\b/.exec(text) ?? [];
      const body = lines(Number(n));
      switch (what) {
        case 'parent':
          return Promise.resolve(result(reply([{ kind: 'heading', text: 'Deployment of web' }, { kind: 'code', text: body }], { thread: { key: `t:${n}`, parent: true } })));
        case 'follow':
          return Promise.resolve(
            result(textReply('Following logs of web…', { thread: { key: `f:${n}`, parent: true } }), async (post) => {
              await post(reply([{ kind: 'code', text: body }], { thread: { key: `f:${n}` } }));
              return 'ok';
            }),
          );
        case 'rows':
          // Many small blocks, so the first message fills up to its last few characters.
          return Promise.resolve(result(reply(body.split('\n').map((l) => ({ kind: 'text' as const, text: `${l} ${'y'.repeat(100)}` })), { thread: { key: `r:${n}`, parent: true } })));
        case 'mine':
          return Promise.resolve(result(reply([{ kind: 'code', text: body }], { visibility: 'ephemeral' })));
        default:
          return Promise.resolve(result(textReply(`no ${text}`)));
      }
    },
  };
}

describe('long output through the Web API continues instead of being cut', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let url: string;
  let clock = Date.now();
  beforeEach(async () => {
    clock = Date.now();
    fake = await FakeSlack.start({ now: () => clock });
    adapter = new SlackAdapter({ dispatcher: longCommands(), botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl, channelGapMs: 20 });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  });
  afterEach(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  const run = async (text: string, channel: string, responseUrl = fake.newResponseUrl(channel)): Promise<void> => {
    await postToApp(url, slashBody({ command: '/ecs', text, user_id: 'U0ANA', channel_id: channel, response_url: responseUrl }), { secret: SECRET });
    await fake.waitFor(() => fake.calls.some((c) => c.params.channel === channel));
    await adapter.idle();
  };

  it('posts a thread parent of 24,000 escaped characters whole: the first message in the channel, the rest as thread replies under it', async () => {
    await run('parent 200', 'C0DEPLOY');
    const posts = fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0DEPLOY');
    expect(posts.map((c) => c.outcome).every((o) => o === 'ok')).toBe(true);
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const p of posts) expect(blockTextCount(p.params.blocks as unknown[])).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    expect(linesIn(posts)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const [first, ...rest] = fake.messages.filter((m) => m.channel === 'C0DEPLOY');
    expect(first?.threadTs).toBeUndefined();
    expect(rest.every((m) => m.threadTs === first?.ts)).toBe(true);
    expect(JSON.stringify(first?.blocks)).toContain(`Continued in ${rest.length} thread replies under this message.`);
    expect(JSON.stringify(rest[0]?.blocks)).toContain(`continued (2/${rest.length + 1})`);
    expect(JSON.stringify(posts.map((p) => p.params.blocks))).not.toContain('Output cut');
  });

  it('continues a long --follow batch in the next messages of the same thread, in order', async () => {
    await run('follow 150', 'C0LOGS');
    const [parent, ...batch] = fake.messages.filter((m) => m.channel === 'C0LOGS');
    expect(parent?.text).toBe('Following logs of web…');
    expect(batch.length).toBeGreaterThanOrEqual(2);
    expect(batch.every((m) => m.threadTs === parent?.ts)).toBe(true);
    const posts = fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0LOGS').slice(1);
    for (const p of posts) expect(blockTextCount(p.params.blocks as unknown[])).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    expect(linesIn(posts)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(JSON.stringify(batch[0]?.blocks)).toContain(`Continued in the next ${batch.length - 1} message`);
  });

  it('sends a long private answer as several ephemeral messages when the response_url is refused', async () => {
    const stale = fake.newResponseUrl('C0PRIV');
    clock += RESPONSE_URL_TTL_MS + 1_000; // Slack refuses a response_url after 30 minutes
    await run('mine 200', 'C0PRIV', stale);
    expect(fake.responses.at(-1)?.outcome).toBe('expired_url');
    const eph = fake.callsOf('chat.postEphemeral');
    expect(eph.length).toBeGreaterThanOrEqual(3);
    expect(eph.every((c) => c.outcome === 'ok' && c.params.user === 'U0ANA')).toBe(true);
    for (const p of eph) expect(blockTextCount(p.params.blocks as unknown[])).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    expect(linesIn(eph)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(fake.callsOf('chat.postMessage')).toEqual([]);
  });

  it('stops at what one response_url answer could carry, saying what was left out in the last part', async () => {
    await run('parent 600', 'C0HUGE');
    const posts = fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0HUGE');
    expect(posts.every((c) => c.outcome === 'ok')).toBe(true);
    const total = posts.reduce((n, p) => n + blockTextCount(p.params.blocks as unknown[]), 0);
    expect(total).toBeLessThanOrEqual(38_000 + 1_000);
    expect(total).toBeGreaterThan(30_000);
    const shown = linesIn(posts);
    expect(shown).toEqual(Array.from({ length: shown.length }, (_, i) => i));
    expect(JSON.stringify(posts.at(-1)?.params.blocks)).toMatch(/Output cut to fit Slack: \d+ more parts \(\d+ characters\) not shown/);
  });

  it('does not post the first part twice when Slack refuses a later one: the rest ends there and is logged', async () => {
    const warned: string[] = [];
    const log: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_o, m) => warned.push(m ?? ''), child: () => log };
    const paced = new SlackAdapter({ dispatcher: longCommands(), botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl, channelGapMs: 400, log });
    await paced.start();
    try {
      const responseUrl = fake.newResponseUrl('C0ARCH');
      await postToApp(`http://127.0.0.1:${paced.port}/slack/events`, slashBody({ command: '/ecs', text: 'parent 200', user_id: 'U0ANA', channel_id: 'C0ARCH', response_url: responseUrl }), { secret: SECRET });
      await fake.waitFor(() => fake.messages.some((m) => m.channel === 'C0ARCH'));
      fake.fail('chat.postMessage', { error: 'is_archived' }, 5);
      await paced.idle();
      expect(fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0ARCH').map((c) => c.outcome)).toEqual(['ok', 'is_archived']);
      expect(fake.messages.filter((m) => m.channel === 'C0ARCH')).toHaveLength(1);
      expect(fake.responses.filter((r) => r.id === FakeSlack.responseId(responseUrl))).toEqual([]);
      expect(warned.some((w) => /the rest of a long answer could not be posted: chat\.postMessage to C0ARCH: is_archived — the channel is archived/.test(w))).toBe(true);
    } finally {
      await paced.stop();
    }
  });

  it('keeps the "ran by" note within the budget however many & the command had, cutting it after escaping', async () => {
    await run(`rows 150 ${'&'.repeat(300)}`, 'C0AMP');
    const posts = fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0AMP');
    expect(posts.every((c) => c.outcome === 'ok')).toBe(true);
    for (const p of posts) expect(blockTextCount(p.params.blocks as unknown[])).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    const ranBy = JSON.stringify(posts[0]?.params.blocks).match(/<@U0ANA> ran `([^`]*)`/)?.[1] ?? '';
    expect(ranBy).toMatch(/^\/ecs rows 150 (&amp;)+…$/);
    expect(ranBy.length).toBeLessThanOrEqual(200);
    expect(linesIn(posts)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });
});
