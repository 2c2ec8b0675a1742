import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import type { ResponsePost } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { blockActionBody, postToApp, slashBody } from '../fakes/slack-requests.ts';
import type { SlashFields } from '../fakes/slack-requests.ts';

const SECRET = 'test-signing-secret-0123456789';

type Button = { type: string; action_id: string; value: string; style?: string; confirm?: { text: { text: string } } };

function buttonsOf(body: Record<string, unknown>): Button[] {
  const blocks = (body.blocks ?? []) as Array<{ type: string; elements?: Button[] }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

function textOf(body: Record<string, unknown>): string {
  return JSON.stringify(body.blocks ?? body.text ?? '');
}

describe('Slack adapter over HTTP (real Bolt, Web API stand-in)', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let url: string;
  let core: ReturnType<typeof testCore>;

  beforeAll(async () => {
    fake = await FakeSlack.start({ notInChannels: ['C0NOTIN'], missingChannels: ['C0GONE'], userGroups: { S0OPS: ['U0OPS'] } });
    core = testCore();
    adapter = new SlackAdapter({
      dispatcher: core.dispatcher,
      botToken: 'xoxb-test',
      signingSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      apiUrl: fake.apiUrl,
      userGroupRoles: new Map([['S0OPS', 'operator']]),
    });
    await adapter.start();
    url = `http://127.0.0.1:${adapter.port}/slack/events`;
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  /** Sends a signed slash command and returns its response_url id once the answer arrived there. */
  async function slash(f: Omit<SlashFields, 'response_url'>, extra: { retryNum?: number; body?: string } = {}): Promise<{ status: number; ms: number; responseId: string; body: string }> {
    const responseUrl = fake.newResponseUrl(f.channel_id ?? 'C0GENERAL');
    const body = extra.body ?? slashBody({ ...f, response_url: responseUrl });
    const res = await postToApp(url, body, { secret: SECRET, ...(extra.retryNum !== undefined ? { retryNum: extra.retryNum } : {}) });
    return { status: res.status, ms: res.ms, responseId: responseUrl.split('/').at(-1) ?? '', body };
  }

  function responsesTo(id: string): ResponsePost[] {
    return fake.responses.filter((r) => r.id === id);
  }

  async function firstResponse(id: string): Promise<Record<string, unknown>> {
    const r = await fake.waitFor(() => responsesTo(id)[0]);
    expect(r.outcome).toBe('ok');
    return r.body;
  }

  it('refuses requests with no, wrong or stale signatures with 401 and runs nothing', async () => {
    const runsBefore = core.dispatcher.runs.length;
    const body = slashBody({ command: '/ecs', text: 'whoami', user_id: 'U0ANA', response_url: fake.newResponseUrl() });
    const now = Math.floor(Date.now() / 1000);
    expect((await postToApp(url, body, { secret: undefined })).status).toBe(401);
    expect((await postToApp(url, body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await postToApp(url, body, { secret: SECRET, signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await postToApp(url, body, { secret: SECRET, ts: now - 6 * 60 })).status).toBe(401);
    expect((await postToApp(url, body, { secret: SECRET, ts: now + 6 * 60 })).status).toBe(401);
    // A signature over a different body (a tampered request) fails too.
    const tampered = body.replace('whoami', 'scale+web+50');
    const sig = (await import('../fakes/slack-requests.ts')).slackSignature(SECRET, now, body);
    expect((await postToApp(url, tampered, { secret: SECRET, ts: now, signature: sig })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(core.dispatcher.runs.length).toBe(runsBefore);
    // A correctly signed one, four minutes old, is still fine.
    expect((await postToApp(url, body, { secret: SECRET, ts: now - 4 * 60 })).status).toBe(200);
  });

  it('answers a slash command through response_url with the caller’s Slack identity', async () => {
    const r = await slash({ command: '/ecs', text: 'whoami', user_id: 'U0ANA', user_name: 'ana' });
    expect(r.status).toBe(200);
    const body = await firstResponse(r.responseId);
    expect(body.response_type).toBe('ephemeral');
    expect(textOf(body)).toContain('ana (U0ANA@T0TEAM) is operator');
  });

  it('maps Slack user groups to roles', async () => {
    const r = await slash({ command: '/ecs', text: 'whoami', user_id: 'U0OPS', user_name: 'opsy' });
    expect(textOf(await firstResponse(r.responseId))).toContain('opsy (U0OPS@T0TEAM) is operator');
    const v = await slash({ command: '/ecs', text: 'whoami', user_id: 'U0NEW', user_name: 'newbie' });
    expect(textOf(await firstResponse(v.responseId))).toContain('is viewer');
    expect(fake.callsOf('usergroups.users.list').length).toBe(1); // cached
  });

  it('grants no group role when the group cannot be read (fails closed)', async () => {
    const lines: string[] = [];
    const log = { debug() {}, info() {}, warn: (_o: object, m?: string) => void lines.push(m ?? ''), error() {}, child: () => log };
    const other = new SlackAdapter({
      dispatcher: core.dispatcher,
      botToken: 'xoxb-test',
      signingSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      apiUrl: fake.apiUrl,
      userGroupRoles: new Map([['S0GONE', 'admin']]),
      log,
    });
    await other.start();
    try {
      const responseUrl = fake.newResponseUrl();
      const res = await postToApp(`http://127.0.0.1:${other.port}/slack/events`, slashBody({ command: '/ecs', text: 'whoami', user_id: 'U0OPS', user_name: 'opsy', response_url: responseUrl }), { secret: SECRET });
      expect(res.status).toBe(200);
      expect(textOf(await firstResponse(FakeSlack.responseId(responseUrl)))).toContain('opsy (U0OPS@T0TEAM) is viewer');
      expect(lines.some((l) => l.includes('could not read user group; its role is not granted'))).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('acknowledges within 3 s however slow the command is, then answers', async () => {
    const r = await slash({ command: '/ecs', text: 'slow 3500', user_id: 'U0BOB' });
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(1000);
    expect(responsesTo(r.responseId)).toHaveLength(0);
    const body = await fake.waitFor(() => responsesTo(r.responseId)[0], 6000);
    expect(body.body.response_type).toBe('in_channel');
    expect(textOf(body.body)).toContain('done after 3500 ms');
  }, 10_000);

  it('does not run a request twice when Slack retries it', async () => {
    const runs = core.dispatcher.runs.length;
    const first = await slash({ command: '/ecs', text: 'slow 300', user_id: 'U0BOB' });
    const again = await postToApp(url, first.body, { secret: SECRET, retryNum: 1 });
    expect(again.status).toBe(200);
    await fake.waitFor(() => responsesTo(first.responseId)[0]);
    await adapter.idle();
    expect(core.dispatcher.runs.length).toBe(runs + 1);
    expect(responsesTo(first.responseId)).toHaveLength(1);
  });

  it('runs /ecs scale web 5 only after its caller confirms; another user is refused privately and audited', async () => {
    const channelMsg = { ts: '1764230000.000100' };
    const r = await slash({ command: '/ecs', text: 'scale web 5', user_id: 'U0ANA', user_name: 'ana' });
    const question = await firstResponse(r.responseId);
    expect(question.response_type).toBe('in_channel');
    expect(textOf(question)).toContain('Scale web from 2 to 5 tasks?');
    const [confirm, cancel] = buttonsOf(question);
    expect(confirm?.style).toBe('danger');
    expect(confirm?.confirm?.text.text).toContain('Scale web from 2 to 5 tasks?');
    expect(cancel?.value.startsWith('cancel:')).toBe(true);
    expect(core.effects.scaled).toHaveLength(0);

    // Bob presses Confirm on Ana's message.
    const bobUrl = fake.newResponseUrl();
    const bob = await postToApp(url, blockActionBody({ user_id: 'U0BOB', user_name: 'bob', action_id: confirm!.action_id, value: confirm!.value, response_url: bobUrl, message: channelMsg }), { secret: SECRET });
    expect(bob.status).toBe(200);
    const refusal = await firstResponse(bobUrl.split('/').at(-1)!);
    expect(refusal.response_type).toBe('ephemeral');
    expect(refusal.replace_original).toBe(false);
    expect(textOf(refusal)).toContain('only ana');
    expect(core.effects.scaled).toHaveLength(0);
    expect(core.audit.entries.some((e) => e.userId === 'U0BOB' && e.outcome === 'denied')).toBe(true);

    // Ana confirms: the message with the buttons is replaced by the result.
    const anaUrl = fake.newResponseUrl();
    await postToApp(url, blockActionBody({ user_id: 'U0ANA', user_name: 'ana', action_id: confirm!.action_id, value: confirm!.value, response_url: anaUrl, message: channelMsg }), { secret: SECRET });
    const done = await firstResponse(anaUrl.split('/').at(-1)!);
    expect(done.replace_original).toBe(true);
    expect(textOf(done)).toContain('Scaled web to 5.');
    expect(core.effects.scaled).toEqual([{ service: 'web', count: 5, by: 'U0ANA' }]);
  });

  it('lets two users answer a quiz question with buttons, each privately', async () => {
    const r = await slash({ command: '/quiz', text: 'ecs', user_id: 'U0ANA' });
    const q = await firstResponse(r.responseId);
    expect(q.response_type).toBe('in_channel');
    const buttons = buttonsOf(q);
    expect(buttons.map((b) => b.value)).toEqual(['run:/quiz answer q1 A', 'run:/quiz answer q1 B', 'run:/quiz answer q1 C']);
    const msg = { ts: '1764230000.000200' };
    const ana = fake.newResponseUrl();
    const bob = fake.newResponseUrl();
    await Promise.all([
      postToApp(url, blockActionBody({ user_id: 'U0ANA', user_name: 'ana', action_id: buttons[0]!.action_id, value: buttons[0]!.value, response_url: ana, message: msg }), { secret: SECRET }),
      postToApp(url, blockActionBody({ user_id: 'U0BOB', user_name: 'bob', action_id: buttons[1]!.action_id, value: buttons[1]!.value, response_url: bob, message: msg }), { secret: SECRET }),
    ]);
    const a = await firstResponse(ana.split('/').at(-1)!);
    const b = await firstResponse(bob.split('/').at(-1)!);
    expect([a.response_type, b.response_type]).toEqual(['ephemeral', 'ephemeral']);
    expect(textOf(a)).toContain('ana: correct');
    expect(textOf(b)).toContain('bob: not quite');
    expect(core.effects.answers).toEqual(expect.arrayContaining([{ user: 'U0ANA', choice: 'A' }, { user: 'U0BOB', choice: 'B' }]));
  });

  it('starts a thread where the reply asks for one, threads its follow-ups, and posts the rest to the channel', async () => {
    const before = fake.messages.length;
    await slash({ command: '/ecs', text: 'deploy web', user_id: 'U0BOB', channel_id: 'C0DEPLOYS' });
    const mine = (): typeof fake.messages => fake.messages.slice(before).filter((m) => m.channel === 'C0DEPLOYS');
    const msgs = await fake.waitFor(() => (mine().length >= 4 ? mine() : undefined));
    const [root, f1, f2, last] = msgs;
    expect(root?.channel).toBe('C0DEPLOYS');
    expect(root?.threadTs).toBeUndefined();
    expect(JSON.stringify(root?.blocks)).toContain('<@U0BOB> ran `/ecs deploy web`');
    expect(f1?.threadTs).toBe(root?.ts);
    expect(f2?.threadTs).toBe(root?.ts);
    expect(f2?.text).toBe('rollout COMPLETED');
    expect(last?.text).toBe('web is deployed');
    expect(last?.threadTs).toBeUndefined();
  });

  it('falls back to response_url in a channel the bot is not in', async () => {
    const r = await slash({ command: '/ecs', text: 'deploy api', user_id: 'U0BOB', channel_id: 'C0NOTIN' });
    const posts = await fake.waitFor(() => (responsesTo(r.responseId).length >= 4 ? responsesTo(r.responseId) : undefined));
    expect(posts.map((p) => p.body.text)).toEqual(['Following the deployment of api…', 'rollout 50%', 'rollout COMPLETED', 'api is deployed']);
    expect(fake.callsOf('chat.postMessage').some((c) => c.params.channel === 'C0NOTIN' && c.outcome === 'not_in_channel')).toBe(true);
  });

  it('runs any command through the catch-all /dockhand and tells about unknown slash commands', async () => {
    const r = await slash({ command: '/dockhand', text: 'ecs whoami', user_id: 'U0BOB', user_name: 'bob' });
    expect(textOf(await firstResponse(r.responseId))).toContain('bob (U0BOB@T0TEAM) is viewer');
    const u = await slash({ command: '/nope', text: '', user_id: 'U0BOB' });
    expect(textOf(await firstResponse(u.responseId))).toContain('dockhand has no command /nope');
  });

  it('answers health checks', async () => {
    const res = await fetch(`http://127.0.0.1:${adapter.port}/healthz`);
    expect(res.status).toBe(200);
  });
});
