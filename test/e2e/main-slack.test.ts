import { spawn, type ChildProcess } from 'node:child_process';
import { PNG } from 'pngjs';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';
import { repoRoot, tempDb } from './cli.ts';

const SECRET = 'e2e-signing-secret-0123456789';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start with Slack configured (the real Bolt app as wired by main.ts)', () => {
  let slack: FakeSlack;
  let child: ChildProcess;
  let port: number;
  let healthPort: number;
  let stderr = '';
  let stdout = '';

  beforeAll(async () => {
    slack = await FakeSlack.start();
    port = await freePort();
    healthPort = await freePort();
    child = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DOCKHAND_DB: tempDb(),
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        HEALTH_PORT: String(healthPort),
        DOCKHAND_OPERATORS: 'slack:U0OPS',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a signal reaches npm, tsx and node together, as Ctrl-C or `docker stop` does.
      detached: true,
    });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor('the banner', () => (stderr.includes('adapters: slack') ? true : undefined), 40_000);
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
    await slack.close();
  });

  it('names Slack in the banner, runs as a server (no terminal on a pipe), and never logs the secrets', () => {
    expect(stderr).toContain(`adapters: slack (HTTP on :${port})`);
    expect(stderr).not.toContain('terminal');
    expect(stderr + stdout).not.toContain(SECRET);
    expect(stderr + stdout).not.toContain('xoxb-test');
  });

  it('serves /healthz and /readyz (database and Slack ready) on HEALTH_PORT, apart from the public Slack port', async () => {
    const alive = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(alive.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { database: 'ok', slack: 'ok' } });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).not.toBe(200);
  });

  it('answers a signed /ecs services through response_url with sandbox data', async () => {
    const url = slack.newResponseUrl('C0OPS');
    const res = await postToApp(`http://127.0.0.1:${port}/slack/events`, slashBody({ command: '/ecs', text: 'services', user_id: 'U0VIEW', response_url: url }), { secret: SECRET });
    expect(res.status).toBe(200);
    const post = await waitFor('the reply', () => slack.responses.find((r) => r.id === FakeSlack.responseId(url)));
    const body = JSON.stringify(post.body);
    expect(body).toContain('Services in cluster demo');
    expect(body).toContain('sandbox data');
    expect(body).toContain('payments');
  });

  it('shares the /ecs metrics PNG chart into the channel through the three-step upload Slack documents', async () => {
    const url = slack.newResponseUrl('C0CHART');
    const res = await postToApp(`http://127.0.0.1:${port}/slack/events`, slashBody({ command: '/ecs', text: 'metrics payments', user_id: 'U0VIEW', channel_id: 'C0CHART', response_url: url }), { secret: SECRET });
    expect(res.status).toBe(200);
    const file = await waitFor('the chart upload to complete', () => slack.files.find((f) => f.completed && f.channel === 'C0CHART'), 30_000);
    // files.upload is retired: getUploadURLExternal, a POST of the bytes to the URL it gave, then completeUploadExternal.
    const steps = slack.calls.map((c) => c.method).filter((m) => m.startsWith('files.'));
    expect(steps).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
    expect(file).toMatchObject({ filename: 'payments-metrics.png', title: 'payments — CPU and memory, last 1h' });
    expect(file.altText).toMatch(/^Line chart of payments: CPU \(min \d+%, avg \d+%, max \d+%\) and memory/);
    expect(file.bytes?.length).toBe(file.length);
    // The bytes are a PNG the size the renderer draws, with ink on it (the shipped font and the lines).
    const png = PNG.sync.read(file.bytes!);
    expect([png.width, png.height]).toEqual([800, 360]);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(4);
    const msg = slack.messages.find((m) => m.channel === 'C0CHART')!;
    expect(JSON.stringify(msg.blocks)).toContain('chart attached below');
  }, 40_000);

  it('refuses an unsigned request with 401 and runs nothing', async () => {
    const url = slack.newResponseUrl();
    const res = await postToApp(`http://127.0.0.1:${port}/slack/events`, slashBody({ command: '/ecs', text: 'scale web 4', user_id: 'U0OPS', response_url: url }), { secret: 'wrong-secret' });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.responses.find((r) => r.id === FakeSlack.responseId(url))).toBeUndefined();
  });

  it('counts commands by name and outcome and AWS calls by operation on /metrics, which only HEALTH_PORT serves', async () => {
    const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^dockhand_commands_total\{command="\/ecs services",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^dockhand_aws_calls_total\{service="ECS",operation="ListServices",error=""\} [1-9]/m);
    expect(text).toMatch(/^dockhand_outbox_pending 0$/m);
    // Every slash command above was acknowledged, and its latency counted per platform.
    expect(text).toMatch(/^dockhand_ack_duration_seconds_count\{platform="slack"\} [1-9]/m);
    expect(text).toMatch(/^dockhand_leader 1$/m);
    expect(text).toContain('dockhand_process_resident_memory_bytes');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).not.toBe(200);
  });

  it('stops cleanly on SIGTERM: the port closes and nothing is left running', async () => {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child.once('close', r));
    await waitFor('dockhand to stop listening', () => (stderr.includes('dockhand stopped') ? true : undefined), 10_000);
    const refused = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' }).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
    const groupGone = (): true | undefined => {
      try {
        process.kill(-child.pid!, 0);
        return undefined;
      } catch {
        return true;
      }
    };
    expect(await waitFor('every process of the group to exit', groupGone, 10_000)).toBe(true);
    expect(stderr).not.toMatch(/Error|level":50/);
  });
});
