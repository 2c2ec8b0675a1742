/**
 * `npm start` with only Discord configured: the real discord.js client as main.ts wires it, against
 * the Discord stand-in through DISCORD_API_URL alone. It runs as a server, answers a slash command,
 * stops cleanly on SIGTERM, and a refused token stops the start with one line and exit code 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/adapters/discord/register-cli.ts';
import { FakeDiscord, snowflake, type FakeUser } from '../fakes/discord-api.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';
import { repoRoot, tempDb } from './cli.ts';
import { freePort } from './server-process.ts';

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function start(env: Record<string, string>): { child: ChildProcess; out: { stdout: string; stderr: string } } {
  // main.ts under node itself (what `npm start` runs), so a signal reaches dockhand once, as from `docker stop`.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: tempDb(), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return { child, out };
}

describe('npm start with Discord configured (the real discord.js client as wired by main.ts)', () => {
  let fake: FakeDiscord;
  let run: ReturnType<typeof start>;
  const viewer: FakeUser = { id: snowflake(), username: 'vera' };
  let healthPort = 0;

  beforeAll(async () => {
    fake = new FakeDiscord();
    await fake.start();
    await registerCommands({ token: fake.token, apiUrl: fake.apiUrl, guildId: fake.guildId });
    healthPort = await freePort();
    run = start({ DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, HEALTH_PORT: String(healthPort) });
    await waitFor('the banner', () => (run.out.stderr.includes('adapters: discord') ? true : undefined), 40_000);
  }, 60_000);

  afterAll(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      process.kill(-run.child.pid!, 'SIGTERM');
      await new Promise((r) => run.child.once('close', r));
    }
    await fake.stop();
  });

  it('names Discord in the banner, runs as a server, and never logs the token', () => {
    expect(run.out.stderr).toContain('adapters: discord (gateway)');
    expect(run.out.stderr).not.toContain('terminal');
    expect(run.out.stderr + run.out.stdout).not.toContain(fake.token);
    expect(fake.ready).toBe(1);
    // Interactions need no gateway intents, so dockhand asks for none.
    expect(fake.identified).toEqual([0]);
  });

  it('answers /ecs services with sandbox data', async () => {
    const it = fake.slash(viewer, 'ecs', 'services');
    const m = await fake.waitFor(() => [it.original, ...it.followUps].find((x) => x && FakeDiscord.text(x).includes('payments')), 20_000, 'the services reply');
    expect(FakeDiscord.text(m)).toContain('sandbox data');
    // Its first callback was counted on /metrics, per platform.
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    expect(metrics).toMatch(/^dockhand_ack_duration_seconds_count\{platform="discord"\} [1-9]/m);
  }, 30_000);

  it('stops cleanly on SIGTERM and closes the gateway', async () => {
    process.kill(-run.child.pid!, 'SIGTERM');
    const code = await new Promise<number | null>((r) => run.child.once('close', (c) => r(c)));
    expect(code).toBe(0);
    expect(run.out.stderr).toContain('dockhand stopped');
    await fake.waitFor(() => (fake.ready === 0 ? true : undefined), 10_000, 'the gateway closed');
    expect(run.out.stderr).not.toMatch(/level":50|\n\s+at /);
  }, 60_000);

  it('a token Discord refuses stops the start with one clear line and exit code 1', async () => {
    const bad = start({ DISCORD_TOKEN: 'not-the-token', DISCORD_API_URL: fake.apiUrl });
    const exit = await new Promise<number | null>((r) => bad.child.once('close', (c) => r(c)));
    expect(exit).toBe(1);
    expect(bad.out.stderr).toContain('dockhand: Discord did not start: Discord refused the bot token (DISCORD_TOKEN); copy it again from the Developer Portal (Bot → Reset Token)');
    expect(bad.out.stderr).not.toContain('not-the-token');
    expect(bad.out.stderr).not.toMatch(/\n\s+at /);
  }, 40_000);
});

describe('Discord next to Slack and the terminal, in one process', () => {
  it('at a terminal (a TTY through script(1)) answers a typed command, a Discord slash command and a Slack slash command, and exits on `exit`', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    const slack = await FakeSlack.start();
    await registerCommands({ token: fake.token, apiUrl: fake.apiUrl, guildId: fake.guildId });
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      TERM: 'dumb',
      NO_COLOR: '1',
      DOCKHAND_DB: tempDb(),
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'tty-test-signing-secret',
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
      HEALTH_PORT: String(await freePort()),
    };
    // script(1) gives dockhand a terminal of its own, as when a person runs npm start.
    const child = spawn('script', ['-qfec', `${process.execPath} --import tsx src/main.ts`, '/dev/null'], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the prompt', () => (out.includes('Type /help') ? true : undefined), 60_000);
      expect(out).toMatch(/adapters: [^\n]*slack[^\n]*discord \(gateway\)[^\n]*terminal/);
      child.stdin!.write('/ecs services\n');
      await waitFor('the typed answer', () => (/payments/.test(out) ? true : undefined), 20_000);
      const it = fake.slash({ id: snowflake(), username: 'vera' }, 'ecs', 'status', { service: 'web' });
      await fake.waitFor(() => [it.original, ...it.followUps].find((m) => m && FakeDiscord.text(m).includes('web')), 20_000, 'the Discord answer');
      const url = slack.newResponseUrl('C0TTY');
      await postToApp(`http://127.0.0.1:${port}/slack/events`, slashBody({ command: '/ecs', text: 'services', user_id: 'U0TTY', channel_id: 'C0TTY', response_url: url }), { secret: env.SLACK_SIGNING_SECRET });
      const answer = await waitFor('the Slack answer', () => slack.responses.find((r) => r.id === FakeSlack.responseId(url)), 20_000);
      expect(JSON.stringify(answer.body)).toContain('payments');
      child.stdin!.write('exit\n');
      const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
      expect(code).toBe(0);
      await fake.waitFor(() => (fake.ready === 0 ? true : undefined), 10_000, 'the gateway closed');
      expect(out).not.toMatch(/\n\s+at /);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      await slack.close();
      await fake.stop();
    }
  }, 120_000);
});
