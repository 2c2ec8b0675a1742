import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { blockActionPayload, newTriggerId } from '../fakes/slack-requests.ts';

function slashPayload(fake: FakeSlack, text: string, user = 'U0ANA'): { payload: Record<string, unknown>; responseId: string } {
  const response_url = fake.newResponseUrl();
  return {
    responseId: response_url.split('/').at(-1) ?? '',
    payload: {
      token: 'x',
      team_id: 'T0TEAM',
      channel_id: 'C0GENERAL',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/ecs',
      text,
      api_app_id: 'A0DOCKHAND',
      response_url,
      trigger_id: newTriggerId(),
    },
  };
}

describe('Slack adapter in Socket Mode (WebSocket stand-in)', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let core: ReturnType<typeof testCore>;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    core = testCore();
    adapter = new SlackAdapter({
      dispatcher: core.dispatcher,
      botToken: 'xoxb-test',
      appToken: 'xapp-test',
      apiUrl: fake.apiUrl,
      // Short ping timeout: it is also the client's reconnect back-off step.
      socketPingTimeoutMs: 200,
    });
    await adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  it('connects through apps.connections.open with the app token', async () => {
    expect(adapter.usesSocketMode).toBe(true);
    expect(adapter.port).toBeUndefined();
    const open = fake.callsOf('apps.connections.open');
    expect(open.at(-1)?.token).toBe('xapp-test');
    expect(fake.socketMode.openConnections).toBe(1);
  });

  it('acks a slash command envelope at once and answers through response_url', async () => {
    const { payload, responseId } = slashPayload(fake, 'slow 1500');
    const t0 = Date.now();
    const ack = await fake.socketMode.sendEnvelope('slash_commands', payload);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(ack.envelope_id).toMatch(/^env-/);
    const r = await fake.waitFor(() => fake.responses.find((x) => x.id === responseId), 5000);
    expect(JSON.stringify(r.body.blocks)).toContain('done after 1500 ms');
  });

  it('takes a button press over the socket, with the presser as caller', async () => {
    const { payload, responseId } = slashPayload(fake, 'scale web 3');
    await fake.socketMode.sendEnvelope('slash_commands', payload);
    const q = await fake.waitFor(() => fake.responses.find((x) => x.id === responseId));
    const btn = ((q.body.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')?.elements ?? [])[0]!;
    const response_url = fake.newResponseUrl();
    await fake.socketMode.sendEnvelope('interactive', blockActionPayload({ user_id: 'U0BOB', action_id: btn.action_id, value: btn.value, response_url, message: { ts: '1.2' } }));
    const refusal = await fake.waitFor(() => fake.responses.find((x) => x.id === response_url.split('/').at(-1)));
    expect(refusal.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(refusal.body.blocks)).toContain('only u0ana');
    expect(core.effects.scaled).toHaveLength(0);
  });

  it('reconnects when Slack asks it to, and keeps working', async () => {
    const before = fake.socketMode.connections.length;
    fake.socketMode.requestDisconnect();
    await fake.socketMode.waitForConnections(before + 1);
    const { payload, responseId } = slashPayload(fake, 'whoami', 'U0BOB');
    await fake.socketMode.sendEnvelope('slash_commands', payload);
    const r = await fake.waitFor(() => fake.responses.find((x) => x.id === responseId));
    expect(JSON.stringify(r.body.blocks)).toContain('is viewer');
  });

  it('reconnects after the connection drops without warning', async () => {
    const before = fake.socketMode.connections.length;
    fake.socketMode.dropConnections();
    await fake.socketMode.waitForConnections(before + 1);
    const { payload, responseId } = slashPayload(fake, 'whoami', 'U0ANA');
    await fake.socketMode.sendEnvelope('slash_commands', payload);
    const r = await fake.waitFor(() => fake.responses.find((x) => x.id === responseId));
    expect(JSON.stringify(r.body.blocks)).toContain('is operator');
    expect(fake.callsOf('apps.connections.open').length).toBeGreaterThanOrEqual(3);
  });
});
