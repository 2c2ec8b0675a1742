import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';
import { startServerProcess, waitFor, type ServerProcess } from './server-process.ts';

const SECRET = 'shutdown-signing-secret-0123456789';

describe('graceful shutdown of dockhand running as a server', () => {
  let sandbox: Sandbox;
  let slack: FakeSlack;
  let running: ServerProcess | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo' });
    slack = await FakeSlack.start();
  });
  afterAll(async () => {
    await sandbox.stop();
    await slack.close();
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
  });

  const start = (): Promise<ServerProcess> =>
    startServerProcess({
      DOCKHAND_BACKEND: 'aws',
      AWS_ENDPOINT_URL: sandbox.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      DOCKHAND_CLUSTERS: 'demo',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'warn',
    });

  const slash = (r: ServerProcess, text: string, channel: string): Promise<unknown> => {
    const url = slack.newResponseUrl(channel);
    return postToApp(`http://127.0.0.1:${r.port}/slack/events`, slashBody({ command: '/ecs', text, user_id: 'U0VIEW', channel_id: channel, response_url: url }), { secret: SECRET }).then(
      () => url,
    );
  };

  it('on SIGTERM finishes the answer in flight, tells a new command it is restarting, says stopping on /readyz, and exits 0', async () => {
    running = await start();
    const r = running;
    // Every ECS call now takes 1.5 s, so /ecs services is still being answered when the signal comes.
    sandbox.faults.set('ListServices', { latencyMs: 1_500 });
    try {
      const inFlight = (await slash(r, 'services', 'C0FIRST')) as string;
      await new Promise((res) => setTimeout(res, 300));
      r.child.kill('SIGTERM');
      await new Promise((res) => setTimeout(res, 200));
      const ready = await fetch(`http://127.0.0.1:${r.healthPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('stopping');
      const late = (await slash(r, 'clusters', 'C0LATE')) as string;
      const refused = await waitFor('the late reply', () => slack.responses.find((x) => x.id === FakeSlack.responseId(late)));
      expect(JSON.stringify(refused.body)).toContain('dockhand is restarting and takes no new commands now');
      const answered = await waitFor('the reply in flight', () => slack.responses.find((x) => x.id === FakeSlack.responseId(inFlight)));
      expect(JSON.stringify(answered.body)).toContain('Services in cluster demo');
      expect(await r.exited).toBe(0);
      expect(r.out.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    } finally {
      sandbox.faults.clear('ListServices');
    }
  }, 60_000);

  it('exits at once on a second signal while it is still finishing', async () => {
    running = await start();
    const r = running;
    sandbox.faults.set('ListServices', { latencyMs: 8_000 });
    try {
      await slash(r, 'services', 'C0SLOW');
      await new Promise((res) => setTimeout(res, 300));
      r.child.kill('SIGTERM');
      // A second signal within a second is the same request (npm forwards the group's signal); later, it insists.
      await new Promise((res) => setTimeout(res, 200));
      r.child.kill('SIGTERM');
      await new Promise((res) => setTimeout(res, 1_300));
      expect(r.child.exitCode).toBeNull();
      const t0 = Date.now();
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(1);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(r.out.stderr).toContain('stopping at once (second signal)');
    } finally {
      sandbox.faults.clear('ListServices');
    }
  }, 60_000);
});
