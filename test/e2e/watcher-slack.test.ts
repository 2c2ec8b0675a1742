/**
 * Crash alerts into Slack: the watcher on the sandbox, the outbox, and the real Slack adapter's
 * delivery (Web API client) against the Slack stand-in, which first answers 503 and then 429 with
 * Retry-After. Every alert arrives once, in order, with later crashes threaded under the incident.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../src/adapters/slack/app.ts';
import { slackTarget } from '../../src/watcher/targets.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { testCore } from '../fakes/slack-core.ts';
import { crashedTaskIds, startRig, type WatchRig } from '../integration/watcher-harness.ts';

let rig: WatchRig | undefined;
let fake: FakeSlack | undefined;
afterEach(async () => {
  await rig?.close();
  await fake?.close();
  rig = undefined;
  fake = undefined;
});

describe('crash alerts into Slack', () => {
  it('survive a Slack outage (503, then 429 Retry-After) and arrive once, in order, threaded', async () => {
    fake = await FakeSlack.start();
    const adapter = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: 'secret-12345678', apiUrl: fake.apiUrl, channelGapMs: 0 }); // sandbox time runs fast; Slack's pace is tested in slack-pacing
    rig = await startRig({ routes: [{ slack: 'C0ALERTS' }], targets: [slackTarget(adapter)] });
    const { state } = rig.sandbox;
    state.createService('prod', { name: 'payments', taskDefinition: state.defineTaskDefinition({ family: 'payments' }), desiredCount: 2, logStyle: 'payments', failure: { kind: 'crash', runMs: 25_000, oomEvery: 3 } });
    fake.fail('chat.postMessage', { status: 503 }, 4);
    fake.fail('chat.postMessage', { status: 429, retryAfterSec: 20 }, 2);
    for (let i = 0; i < 30; i++) await rig.step(10_000);
    // By now the outage is over (about two minutes of failed attempts with backoff).
    state.setFailureMode('prod', 'payments', { kind: 'healthy' });
    for (let i = 0; i < 8; i++) await rig.step(10_000);
    for (let i = 0; i < 6; i++) await rig.step(60_000);

    const outcomes = fake.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.outcome);
    expect(outcomes.filter((o) => o === 'http_503')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'http_429')).toHaveLength(2);
    expect(await rig.outbox.stats()).toMatchObject({ pending: 0, failed: 0, folded: 0 });
    const posted = fake.messages.filter((m) => m.channel === 'C0ALERTS');
    // Each message names one task: in its Task field, its Logs button, or its thread line.
    const recovery = posted.filter((m) => /^✅ payments recovered: \d+ crashes/.test(m.text));
    expect(recovery).toHaveLength(1);
    const ids = posted.filter((m) => !recovery.includes(m)).map((m) => /[0-9a-f]{32}/.exec(JSON.stringify(m.blocks))?.[0]);
    expect(ids.filter((x) => x === undefined)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(crashedTaskIds(rig.sandbox, 'prod', 'payments')));
    // In the order the watcher wrote them, with every later crash in the incident's thread.
    const history = await rig.outbox.history({ platform: 'slack', channelId: 'C0ALERTS' });
    const order = history.filter((h) => !h.updateOf).map((h) => h.messageRef);
    expect(posted.map((m) => m.ts)).toEqual(order);
    const incident = posted.find((m) => /Crash loop: payments|Recovered: payments/.test(m.text))!;
    const after = posted.slice(posted.indexOf(incident) + 1);
    expect(after.length).toBeGreaterThan(3);
    for (const m of after) expect(m.threadTs).toBe(incident.ts);
    expect(rig.log.warnings.some((w) => /retry/.test(w))).toBe(true);
    // The parent was edited (chat.update) to show the final count and the recovery.
    expect(incident.edits).toBeGreaterThan(0);
    expect(incident.text).toMatch(/^✅ Recovered: payments crashed \d+ times/);
    expect(fake.calls.filter((c) => c.method === 'chat.update').length).toBeLessThan(history.filter((h) => h.updateOf).length);
  }, 60_000);

  it('pages the route\'s user group with a real <!subteam^…> mention when an incident opens, and only then', async () => {
    fake = await FakeSlack.start();
    const adapter = new SlackAdapter({ dispatcher: testCore().dispatcher, botToken: 'xoxb-test', signingSecret: 'secret-12345678', apiUrl: fake.apiUrl, channelGapMs: 0 }); // sandbox time runs fast; Slack's pace is tested in slack-pacing
    // The watcher's own Slack target, and the adapter's, each carry the route's mention to chat.postMessage.
    for (const target of [slackTarget(adapter), adapter.alertTarget]) {
      await rig?.close();
      fake.calls.length = 0;
      rig = await startRig({ routes: [{ slack: 'C0ONCALL', mention: { slack: 'S0ONCALL' } }], targets: [target] });
      const { state } = rig.sandbox;
      state.createService('prod', { name: 'payments', taskDefinition: state.defineTaskDefinition({ family: 'payments' }), desiredCount: 1, logStyle: 'payments', failure: { kind: 'crash', runMs: 25_000 } });
      for (let i = 0; i < 16; i++) await rig.step(10_000);

      const posts = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.outcome === 'ok').map((c) => c.params);
      const opening = posts.filter((p) => String(p.text).includes('Crash loop: payments'));
      expect(opening).toHaveLength(1);
      expect(String(opening[0]!.text).startsWith('<!subteam^S0ONCALL> ')).toBe(true);
      expect(JSON.stringify(opening[0]!.blocks)).toContain('<!subteam^S0ONCALL>');
      // Single crashes before the loop and the thread updates after it ping nobody.
      const others = posts.filter((p) => !opening.includes(p));
      expect(others.length).toBeGreaterThan(1);
      for (const p of others) expect(JSON.stringify(p)).not.toContain('subteam');
      // The incident message, edited as the count goes up, still shows who was paged.
      const updates = fake.calls.filter((c) => c.method === 'chat.update' && c.outcome === 'ok');
      expect(updates.length).toBeGreaterThan(0);
      for (const u of updates) expect(String(u.params.text).startsWith('<!subteam^S0ONCALL> ')).toBe(true);
    }
  }, 60_000);
});
