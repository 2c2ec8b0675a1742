/**
 * Escaping both ways against the stricter stand-in: command text arrives escaped (and, with
 * should_escape on, mentions as <@U…|name>) and reaches the core as typed; untrusted text in what
 * dockhand posts (log lines) pings nobody, while the mention an alert route names still pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quiz } from '../../commands/quiz.ts';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { decodeSlackText } from '../../src/adapters/slack/inbound.ts';
import { cut, renderReply, splitText } from '../../src/adapters/slack/render.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { reply, textReply } from '../../src/core/reply.ts';
import type { DispatchResult } from '../../src/core/dispatcher.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SqliteAuditLog } from '../../src/db/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { OpenDatabase } from '../../src/db/client.ts';
import { SqliteQuizStore } from '../../src/db/quiz-store.ts';
import { loadPacks } from '../../src/quiz/pack.ts';
import type { McqItem } from '../../src/quiz/pack.ts';
import { crashAlert } from '../../src/watcher/alerts.ts';
import { classifyStop } from '../../src/watcher/rules.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeSlack, pingsOf } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'escaping-secret-0123456789';

describe('Slack command text, decoded before parsing', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let url: string;
  let db: OpenDatabase;
  let store: SqliteQuizStore;
  const packs = loadPacks(`${import.meta.dirname}/../../quizzes`);

  beforeAll(async () => {
    fake = await FakeSlack.start();
    db = openDatabase(':memory:');
    store = new SqliteQuizStore(db.db);
    const test = testCore();
    const quizCore = new Dispatcher({ commands: [quiz], ports: { clock: new FakeClock(), audit: new SqliteAuditLog(db.db), quiz: store, packs }, settings: defaultSettings({}), log: silentLogger });
    // /ecs goes to the test commands, /quiz to the real quiz.
    const dispatcher = {
      run: (text: string, caller: Caller) => (text.startsWith('/quiz') ? quizCore.run(text, caller) : test.dispatcher.run(text, caller)),
      press: (action: string, caller: Caller) => test.dispatcher.press(action, caller),
    };
    adapter = new SlackAdapter({ dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  });
  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
    db?.close();
  });

  async function slash(command: string, typed: string, user: string, directory = {}): Promise<string> {
    const responseUrl = fake.newResponseUrl('C0GENERAL');
    const res = await postToApp(url, slashBody({ command, text: typed, user_id: user, response_url: responseUrl, directory }), { secret: SECRET });
    expect(res.status).toBe(200);
    const id = FakeSlack.responseId(responseUrl);
    const post = await fake.waitFor(() => fake.responses.find((r) => r.id === id));
    return JSON.stringify(post.body);
  }

  it('sends a filter typed with > and & to the command as typed', async () => {
    const answer = await slash('/ecs', 'logs web --filter "a > b && c < d"', 'U0BOB');
    // The reply shows it escaped once, as Slack needs it, never as &amp;gt;.
    expect(answer).toContain('filter for web: a &gt; b &amp;&amp; c &lt; d');
    expect(answer).not.toContain('&amp;gt;');
  });

  it('finds the teammate a /quiz score @mention names', async () => {
    const ana: Caller = { platform: 'slack', workspaceId: 'T0TEAM', channelId: 'C0GENERAL', userId: 'U0ANA', displayName: 'Ana Lima' };
    const d = new Dispatcher({ commands: [quiz], ports: { clock: new FakeClock(), audit: new SqliteAuditLog(db.db), quiz: store, packs }, settings: defaultSettings({}), log: silentLogger });
    await d.run('/quiz ecs --solo --questions 1', ana);
    const st = await store.activeSession('solo:slack:T0TEAM:C0GENERAL:U0ANA');
    const q = packs.packs.get(st!.state.pack)!.items.find((i) => i.id === st!.state.itemIds[st!.state.index]) as McqItem;
    await d.run(`/quiz answer ${'ABCDE'[q.answer]}`, ana);
    // Bob types her handle; Slack (should_escape on) sends <@U0ANA|ana.lima>.
    const answer = await slash('/quiz', 'score @ana.lima', 'U0BOB', { users: { 'ana.lima': 'U0ANA' } });
    expect(answer).toContain('Ana Lima: 1/1 right');
    expect(answer).not.toContain('nobody called');
  });

  it('reads control sequences first, then the three entities', () => {
    expect(decodeSlackText('score <@U0ANA|ana>')).toBe('score <@U0ANA>');
    expect(decodeSlackText('in <#C0OPS|ops> see <https://x.test/?a=1&amp;b=2|x.test>')).toBe('in #ops see https://x.test/?a=1&b=2');
    expect(decodeSlackText('&lt;@U0ANA&gt; a &amp;lt; b')).toBe('<@U0ANA> a &lt; b');
    expect(decodeSlackText('ping <!here> <!subteam^S0OPS|@ops>')).toBe('ping @here @ops');
  });
});

describe('what dockhand posts pings only whom it means to', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  beforeAll(async () => {
    fake = await FakeSlack.start();
    adapter = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, apiUrl: fake.apiUrl });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('a crash alert whose log lines say @channel, <!here> and <@U0CEO> pages the route\'s user group and nobody else', async () => {
    const task = {
      arn: 'arn:aws:ecs:us-east-1:1:task/prod/abc', id: 'abc', clusterArn: 'c', taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/web:1', group: 'service:web',
      lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited @here',
      containers: [{ name: 'web', image: 'web:1', exitCode: 1, reason: 'Error @everyone' }],
    };
    const lines = ['ERROR @channel the db is down', 'WARN <!here> retrying', 'contact <@U0CEO> or #ops-oncall https://evil.example'];
    const alert = crashAlert({ cluster: 'prod', service: 'web', task, verdict: classifyStop(task, new Set(['web'])), logLines: lines.map((message, i) => ({ timestamp: i, message, stream: 's' })) }, 'crash:abc');
    const { ts } = await adapter.deliver('C0ALERTS', alert, { mention: 'S0ONCALL' });
    const posted = fake.messages.find((m) => m.ts === ts);
    expect(posted?.pings).toEqual(['subteam:S0ONCALL']);
    expect(JSON.stringify(posted?.blocks)).toContain('WARN &lt;!here&gt; retrying');
  });

  it('a quiz answer or stop reason in plain text with @here pings nobody either', async () => {
    const { ts } = await adapter.deliver('C0ALERTS', reply([{ kind: 'text', text: 'you answered: @here is the answer' }, { kind: 'fields', fields: [{ label: 'Reason', value: '@channel' }] }]));
    expect(fake.messages.find((m) => m.ts === ts)?.pings).toEqual([]);
  });

  it('never cuts or splits inside &amp;, &lt; or &gt;', () => {
    const escaped = renderReply(reply([{ kind: 'fields', fields: [{ label: 'Reason', value: `${'x'.repeat(1_990)}<<<<<<<<<<` }] }]));
    const text = JSON.stringify(escaped.blocks);
    expect(text).not.toMatch(/&(a|am|l|g|amp|lt|gt)?…/);
    for (let n = 1; n < 8; n++) expect(cut(`${'x'.repeat(n)}&amp;&lt;&gt;`, n + 3)).toMatch(/^x+(&amp;|&lt;)?…$/);
    for (const part of splitText(`${'y'.repeat(2_998)}&amp;z`, 3_000)) expect(part).not.toMatch(/&(a|am|amp)?$/);
  });
});

describe('a chart\'s title and description ping nobody either', () => {
  const chart = reply([{ kind: 'image', png: new Uint8Array([137, 80, 78, 71]), title: 'web @channel', alt: 'Line chart <!here> & @everyone', filename: 'web.png' }]);

  it('in the message that says where the chart is', () => {
    for (const images of ['attached', 'left-out'] as const) {
      const msg = renderReply(chart, { images });
      expect(pingsOf(msg.text, msg.blocks)).toEqual([]);
    }
  });

  it('in the note posted when Slack refuses the upload', async () => {
    // Without files:write the upload is refused and dockhand says so in the channel instead.
    const fake = await FakeSlack.start({ scopes: ['commands', 'chat:write'] });
    const result: DispatchResult = { reply: { ...chart, thread: { key: 'c', parent: true } }, outcome: 'ok' };
    const adapter = new SlackAdapter({ dispatcher: { run: () => Promise.resolve(result), press: () => Promise.resolve({ reply: textReply('x'), outcome: 'ok' }) }, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl });
    try {
      await adapter.start();
      await postToApp(`http://127.0.0.1:${adapter.port}/slack/events`, slashBody({ command: '/ecs', text: 'metrics web', user_id: 'U0ANA', channel_id: 'C0OPS', response_url: fake.newResponseUrl('C0OPS') }), { secret: SECRET });
      const note = await fake.waitFor(() => fake.messages.find((m) => m.text.includes('could not be attached')));
      expect(note.text).toContain('&lt;!here&gt;');
      expect(note.pings).toEqual([]);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });
});
