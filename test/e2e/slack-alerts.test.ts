import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import type { SlackAdapterOptions } from '../../src/adapters/slack/app.ts';
import { isSlackDeliveryError } from '../../src/adapters/slack/errors.ts';
import type { SlackDeliveryError } from '../../src/adapters/slack/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { reply } from '../../src/core/reply.ts';
import type { Reply } from '../../src/core/reply.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';

const crash: Reply = reply(
  [
    { kind: 'heading', text: '🔥 web is crash-looping in prod' },
    {
      kind: 'fields',
      fields: [
        { label: 'Stop code', value: 'EssentialContainerExited' },
        { label: 'Exit', value: '137 (OutOfMemoryError)' },
        { label: 'Restarts', value: '3 in 10 min' },
      ],
    },
    { kind: 'actions', buttons: [{ label: 'Tail logs', action: 'run:/ecs logs web --since 15m' }] },
  ],
  { summary: 'web is crash-looping in prod (exit 137)' },
);

/** A logger that keeps warn lines so the test can read what an operator would see. */
function recordingLogger(lines: string[]): Logger {
  const l: Logger = {
    debug() {},
    info() {},
    warn(_o, msg) {
      lines.push(msg ?? '');
    },
    error(_o, msg) {
      lines.push(msg ?? '');
    },
    child() {
      return l;
    },
  };
  return l;
}

async function deliveryError(p: Promise<unknown>): Promise<SlackDeliveryError> {
  try {
    await p;
  } catch (e) {
    if (isSlackDeliveryError(e)) return e;
    throw e;
  }
  throw new Error('expected the delivery to fail');
}

describe('Slack alert delivery (chat.postMessage / chat.update against the stand-in)', () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  const logLines: string[] = [];

  function makeAdapter(extra: Partial<SlackAdapterOptions> = {}): SlackAdapter {
    return new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: 'secret-12345678', apiUrl: fake.apiUrl, log: recordingLogger(logLines), channelGapMs: 0, ...extra }); // pacing has its own test (slack-pacing)
  }

  beforeAll(async () => {
    fake = await FakeSlack.start({ notInChannels: ['C0NOTIN'], missingChannels: ['C0GONE'] });
    adapter = makeAdapter();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('posts a crash alert, threads an update under it and edits the original', async () => {
    const { ts } = await adapter.deliver('C0ALERTS', crash);
    const posted = fake.messages.find((m) => m.ts === ts);
    expect(posted?.channel).toBe('C0ALERTS');
    expect(posted?.text).toBe('web is crash-looping in prod (exit 137)');
    expect(JSON.stringify(posted?.blocks)).toContain('137 (OutOfMemoryError)');

    const update = await adapter.deliver('C0ALERTS', reply([{ kind: 'text', text: 'Task 4f2a restarted; running again.' }]), { threadTs: ts });
    expect(fake.messages.find((m) => m.ts === update.ts)?.threadTs).toBe(ts);

    const edited = await adapter.deliver('C0ALERTS', reply([{ kind: 'heading', text: '✅ web recovered' }]), { updateTs: ts });
    expect(edited.ts).toBe(ts);
    expect(posted?.edits).toBe(1);
    expect(JSON.stringify(posted?.blocks)).toContain('web recovered');
  });

  it('reports a 429 with its Retry-After and does not wait or retry by itself', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfterSec: 7 });
    const before = fake.callsOf('chat.postMessage').length;
    const t0 = Date.now();
    const e = await deliveryError(adapter.deliver('C0ALERTS', crash));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.permanent).toBe(false);
    expect(e.retryAfterMs).toBe(7000);
    expect(fake.callsOf('chat.postMessage').length).toBe(before + 1);
    expect(logLines.at(-1)).toMatch(/slack delivery failed: .*rate limit; retry after 7s/);
  });

  it('reports 5xx and network failures as worth retrying', async () => {
    fake.fail('chat.postMessage', { status: 503 });
    const e = await deliveryError(adapter.deliver('C0ALERTS', crash));
    expect([e.code, e.permanent]).toEqual(['http_503', false]);

    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const offline = makeAdapter({ apiUrl: `http://127.0.0.1:${closed}/api/` });
    const n = await deliveryError(offline.deliver('C0ALERTS', crash));
    expect([n.code, n.permanent]).toEqual(['network', false]);
  });

  it('reports channel_not_found, not_in_channel and invalid_auth as permanent, with what to do', async () => {
    const gone = await deliveryError(adapter.deliver('C0GONE', crash));
    expect([gone.code, gone.permanent]).toEqual(['channel_not_found', true]);
    const notIn = await deliveryError(adapter.deliver('C0NOTIN', crash));
    expect([notIn.code, notIn.permanent]).toEqual(['not_in_channel', true]);
    expect(logLines.at(-1)).toContain('invite it with /invite @dockhand');
    const badToken = makeAdapter({ botToken: 'xoxb-revoked' });
    const auth = await deliveryError(badToken.deliver('C0ALERTS', crash));
    expect([auth.code, auth.permanent]).toEqual(['invalid_auth', true]);
    expect(logLines.at(-1)).toContain('SLACK_BOT_TOKEN is not valid');
  });

  it('pings the routed user group, user or @here in text and blocks', async () => {
    const { ts } = await adapter.deliver('C0ALERTS', crash, { mention: 'S0ONCALL' });
    const posted = fake.messages.find((m) => m.ts === ts);
    expect(posted?.text.startsWith('<!subteam^S0ONCALL> ')).toBe(true);
    expect(JSON.stringify(posted?.blocks[0])).toContain('<!subteam^S0ONCALL>');
    const here = await adapter.alertTarget.deliver('C0ALERTS', crash, { idempotencyKey: 'k1', mention: 'here' });
    expect(fake.messages.find((m) => m.ts === here.messageRef)?.text.startsWith('<!here> ')).toBe(true);
    const odd = await adapter.deliver('C0ALERTS', crash, { mention: 'not a token' });
    expect(fake.messages.find((m) => m.ts === odd.ts)?.text).toBe('web is crash-looping in prod (exit 137)');
  });

  it('refuses to start with a bot token Slack does not accept, saying what to do', async () => {
    const bad = makeAdapter({ botToken: 'xoxb-revoked', port: 0, host: '127.0.0.1' });
    await expect(bad.start()).rejects.toThrow(/Slack would not accept the bot token: .*SLACK_BOT_TOKEN is not valid/);
  });

  it('delivers an oversized alert that Slack accepts, cut with a note', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `2026-11-27T10:00:00Z task/${i} java.lang.OutOfMemoryError: Java heap space at line ${i}`);
    const { ts } = await adapter.deliver('C0ALERTS', reply([{ kind: 'heading', text: 'web logs' }, { kind: 'code', text: lines.join('\n') }]));
    const posted = fake.messages.find((m) => m.ts === ts);
    expect(posted?.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(posted?.blocks)).toContain('Output cut to fit Slack');
  });

  it('keeps the buttons and the cut note of a full-size alert when a mention takes a block', async () => {
    const blocks = Array.from({ length: 80 }, (_, i) => ({ kind: 'text' as const, text: `evidence line ${i}` }));
    const big = reply([{ kind: 'heading', text: '🔥 web is crash-looping in prod' }, ...blocks, { kind: 'actions', buttons: [{ label: 'Logs', action: 'run:/ecs logs web' }] }]);
    const { ts } = await adapter.deliver('C0ALERTS', big, { mention: 'S0ONCALL' });
    const posted = fake.messages.find((m) => m.ts === ts)!;
    expect(posted.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(posted.blocks[0])).toContain('<!subteam^S0ONCALL>');
    expect(JSON.stringify(posted.blocks.at(-1))).toContain('run:/ecs logs web');
    expect(JSON.stringify(posted.blocks)).toContain('Output cut to fit Slack');
  });
});
