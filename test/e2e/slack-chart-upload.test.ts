/**
 * `/ecs metrics` from Slack (real Bolt over signed HTTP, the Web API stand-in) against the demo
 * sandbox: the PNG chart goes up through files.getUploadURLExternal → upload URL →
 * files.completeUploadExternal into the channel; where it cannot (bot not in the channel, no
 * files:write), the reply says so instead.
 */
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'chart-signing-secret-0123456789';
let sandbox: Sandbox;
let aws: AwsPorts;

async function rig(scopes?: string[]): Promise<{ fake: FakeSlack; adapter: SlackAdapter; url: string }> {
  const fake = await FakeSlack.start({ notInChannels: ['C0NOTIN'], ...(scopes ? { scopes } : {}) });
  const dispatcher = new Dispatcher({
    commands: [ecs],
    ports: { clock: sandbox.clock, audit: new MemoryAudit(), containers: aws.containers, images: aws.images, logs: aws.logs, metrics: aws.metrics },
    settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
    log: silentLogger,
  });
  const adapter = new SlackAdapter({ dispatcher, botToken: 'xoxb-test', signingSecret: SECRET, port: 0, host: '127.0.0.1', apiUrl: fake.apiUrl });
  await adapter.start();
  return { fake, adapter, url: `http://127.0.0.1:${adapter.port}/slack/events` };
}

async function slash(url: string, fake: FakeSlack, channel: string, text: string): Promise<string> {
  const responseUrl = fake.newResponseUrl(channel);
  const res = await postToApp(url, slashBody({ command: '/ecs', text, user_id: 'U0VIEW', channel_id: channel, response_url: responseUrl }), { secret: SECRET });
  expect(res.status).toBe(200);
  return FakeSlack.responseId(responseUrl);
}

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 13 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

describe('a chart uploaded to Slack', () => {
  it('posts the metrics and shares the PNG into the channel through the three-step upload', async () => {
    const { fake, adapter, url } = await rig();
    try {
      await slash(url, fake, 'C0OPS', 'metrics payments');
      const file = await fake.waitFor(() => fake.files.find((f) => f.completed), 15_000);
      const calls = fake.calls.map((c) => c.method).filter((m) => m.startsWith('files.') || m === 'chat.postMessage');
      expect(calls).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
      expect(file).toMatchObject({ filename: 'payments-metrics.png', channel: 'C0OPS', title: 'payments — CPU and memory, last 1h' });
      expect(file.altText).toMatch(/^Line chart of payments: CPU \(min \d+%, avg \d+%, max \d+%\) and memory/);
      expect(file.bytes?.length).toBe(file.length);
      const png = PNG.sync.read(file.bytes!);
      expect([png.width, png.height]).toEqual([800, 360]);
      // The message says the chart follows, and carries the table with sparklines.
      const msg = fake.messages.find((m) => m.channel === 'C0OPS')!;
      const text = JSON.stringify(msg.blocks);
      expect(text).toContain('chart attached below');
      expect(text).toMatch(/Memory +\d+% +\d+% +\d+% +[▁▂▃▄▅▆▇█]+/);
      expect(text).toContain('ran');
    } finally {
      await adapter.stop();
      await fake.close();
    }
  }, 30_000);

  it('where the bot is not in the channel, answers through response_url with the chart left out and said so', async () => {
    const { fake, adapter, url } = await rig();
    try {
      const id = await slash(url, fake, 'C0NOTIN', 'metrics web');
      const post = await fake.waitFor(() => fake.responses.find((r) => r.id === id), 15_000);
      const text = JSON.stringify(post.body);
      expect(text).toContain('chart left out');
      expect(text).toContain('Line chart of web');
      expect(fake.callsOf('files.getUploadURLExternal')).toHaveLength(0);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  }, 30_000);

  it('without the files:write scope, says in the channel that the chart could not be attached and why', async () => {
    const { fake, adapter, url } = await rig(['commands', 'chat:write']);
    try {
      await slash(url, fake, 'C0OPS', 'metrics web');
      const note = await fake.waitFor(() => fake.messages.find((m) => m.text.includes('could not be attached')), 15_000);
      expect(note.text).toContain('files:write');
      expect(fake.callsOf('files.getUploadURLExternal')[0]?.outcome).toBe('missing_scope');
    } finally {
      await adapter.stop();
      await fake.close();
    }
  }, 30_000);
});
