/**
 * The Slack stand-in refuses what Slack refuses (block text over ~12,000 characters, a spent or
 * expired response_url, rate limits), and dockhand's Slack adapter stays inside those rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { blockTextCount, SLACK_BLOCK_TEXT_LIMIT, WEB_API_BLOCK_TEXT_BUDGET } from '../../src/adapters/slack/block-text.ts';
import { renderReply } from '../../src/adapters/slack/render.ts';
import { crashAlert } from '../../src/watcher/alerts.ts';
import type { CrashEvidence } from '../../src/watcher/alerts.ts';
import { classifyStop } from '../../src/watcher/rules.ts';
import { FakeSlack, RESPONSE_URL_TTL_MS } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { slackCommandText } from '../fakes/slack-requests.ts';

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
  startedAt: Date.UTC(2026, 10, 27, 9, 0, 0),
  stoppedAt: Date.UTC(2026, 10, 27, 9, 12, 30),
  containers: [{ name: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.1', exitCode: 1, reason: 'Error' }],
};

/** A crash with `watch.logLines: 50` worth of log lines, each `width` characters long (Java stack lines, JSON logs). */
function evidence(lines: number, width: number): CrashEvidence {
  return {
    cluster: 'prod',
    service: 'web',
    task,
    verdict: classifyStop(task, new Set(['web'])),
    logLines: Array.from({ length: lines }, (_, i) => ({ timestamp: i, message: `line ${i} <${'x'.repeat(width)}>`, stream: 's' })),
  };
}

async function slackCall(fake: FakeSlack, method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${fake.apiUrl}${method}`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-test' }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

function sections(n: number, width: number): unknown[] {
  return Array.from({ length: n }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(width) } }));
}

describe('the Slack stand-in refuses what Slack refuses', () => {
  let fake: FakeSlack;
  let clock = Date.now();
  beforeAll(async () => {
    fake = await FakeSlack.start({ now: () => clock });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('answers msg_blocks_too_long to chat.postMessage and chat.update above 12,000 characters of block text, but not to a response_url', async () => {
    const over = sections(5, 2_500); // 12,500: every section within its own 3,000
    expect(blockTextCount(over)).toBeGreaterThan(SLACK_BLOCK_TEXT_LIMIT);
    expect(await slackCall(fake, 'chat.postMessage', { channel: 'C0ALERTS', text: 'x', blocks: over })).toMatchObject({ ok: false, error: 'msg_blocks_too_long' });
    const ok = await slackCall(fake, 'chat.postMessage', { channel: 'C0ALERTS', text: 'x', blocks: sections(4, 2_900) });
    expect(ok.ok).toBe(true);
    expect(await slackCall(fake, 'chat.update', { channel: 'C0ALERTS', ts: ok.ts, text: 'x', blocks: over })).toMatchObject({ ok: false, error: 'msg_blocks_too_long' });
    // Assumed, not documented (see the stand-in's blocksTooLong): chat.postEphemeral is held to the same total.
    expect(await slackCall(fake, 'chat.postEphemeral', { channel: 'C0ALERTS', user: 'U0ANA', text: 'x', blocks: over })).toMatchObject({ ok: false, error: 'msg_blocks_too_long' });
    const url = fake.newResponseUrl('C0ALERTS');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'in_channel', text: 'x', blocks: over }) });
    expect(res.status).toBe(200);
  });

  it('counts button labels and confirm dialogs as block text, not the fallback text', () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'abc' } },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Scale' }, value: 'run:/ecs scale web 5', confirm: { title: { type: 'plain_text', text: 'Sure?' }, text: { type: 'plain_text', text: 'Go' } } }] },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*a*' }, { type: 'mrkdwn', text: 'b' }] },
    ];
    expect(blockTextCount(blocks)).toBe(3 + 5 + 5 + 2 + 3 + 1);
  });

  it('refuses a response_url after 30 minutes, and after its fifth use', async () => {
    const post = (url: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
    const old = fake.newResponseUrl();
    clock += RESPONSE_URL_TTL_MS + 1_000;
    expect((await post(old)).status).toBe(404);
    expect(fake.responses.at(-1)?.outcome).toBe('expired_url');
    const fresh = fake.newResponseUrl();
    for (let i = 0; i < 5; i++) expect((await post(fresh)).status).toBe(200);
    expect((await post(fresh)).status).toBe(404);
    expect(fake.responses.at(-1)?.outcome).toBe('used_url');
  });

  it('answers 429 with Retry-After to a channel posted to faster than its pace', async () => {
    const paced = await FakeSlack.start({ channelPostLimit: { messages: 1, perMs: 1_000 } });
    try {
      const first = await fetch(`${paced.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' }, body: JSON.stringify({ channel: 'C1', text: 'a' }) });
      expect(first.status).toBe(200);
      const second = await fetch(`${paced.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' }, body: JSON.stringify({ channel: 'C1', text: 'b' }) });
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('1');
      const other = await fetch(`${paced.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' }, body: JSON.stringify({ channel: 'C2', text: 'c' }) });
      expect(other.status).toBe(200);
    } finally {
      await paced.close();
    }
  });

  it('sends command text escaped, with mentions, channels and links as control sequences', () => {
    expect(slackCommandText('logs web --filter "a > b && c < d"')).toBe('logs web --filter "a &gt; b &amp;&amp; c &lt; d"');
    expect(slackCommandText('score @ana in #ops see https://x.test/a?b=1&c=2', { users: { ana: 'U0ANA' }, channels: { ops: 'C0OPS' } })).toBe(
      'score <@U0ANA|ana> in <#C0OPS|ops> see <https://x.test/a?b=1&amp;c=2>',
    );
    expect(slackCommandText('score @ana', { users: { ana: 'U0ANA' } }, false)).toBe('score @ana');
  });
});

describe('crash alerts fit what chat.postMessage accepts', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  beforeAll(async () => {
    fake = await FakeSlack.start();
    adapter = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: 'secret-12345678', apiUrl: fake.apiUrl });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('posts a crash alert with watch.logLines: 50 of long lines, trimming the oldest lines and saying how many and where to read them', async () => {
    const alert = crashAlert(evidence(50, 2_900), 'crash:a');
    const { ts } = await adapter.deliver('C0ALERTS', alert, { mention: 'S0ONCALL' });
    const posted = fake.messages.find((m) => m.ts === ts);
    expect(posted).toBeDefined();
    expect(blockTextCount(posted?.blocks ?? [])).toBeLessThanOrEqual(WEB_API_BLOCK_TEXT_BUDGET);
    const json = JSON.stringify(posted?.blocks);
    expect(json).toContain('line 49 &lt;x'); // the newest line stays
    expect(json).not.toContain('line 0 &lt;x');
    expect(json).toMatch(/\d+ earlier log lines left out to fit Slack; read them with `\/ecs logs web --cluster prod --task 0123456789abcdef0123456789abcdef --since 1h`/);
    // The buttons and the page stay.
    expect(json).toContain('/ecs mute web 1h --cluster prod');
    expect(json).toContain('<!subteam^S0ONCALL>');
  });

  it('keeps the same alert whole through a response_url, which has no such limit', () => {
    const alert = crashAlert(evidence(10, 900), 'crash:b');
    expect(JSON.stringify(renderReply(alert).blocks)).not.toContain('left out');
  });
});
