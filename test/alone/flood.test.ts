/**
 * Reliability: a flood of 1,000 signed Slack slash commands and 1,000 Discord interactions sent
 * within 10 seconds to one dockhand process (real Bolt over HTTP, real discord.js over the gateway
 * stand-in): every one is acknowledged — Slack's HTTP ack, Discord's first interaction callback —
 * within the 3 seconds each platform allows, and every one is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/adapters/discord/register-cli.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { startServerProcess, type ServerProcess } from '../e2e/server-process.ts';
import { FakeDiscord, snowflake, type FakeInteraction, type FakeUser } from '../fakes/discord-api.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';

const SECRET = 'flood-signing-secret-0123456789';
const N = 1_000;

describe('a flood of commands from Slack and Discord at once', () => {
  let sandbox: Sandbox;
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let server: ServerProcess;
  const users: FakeUser[] = Array.from({ length: 20 }, (_, i) => ({ id: snowflake(), username: `u${i}` }));

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', seed: 3 });
    slack = await FakeSlack.start();
    discord = new FakeDiscord({ users });
    await discord.start();
    await registerCommands({ token: discord.token, apiUrl: discord.apiUrl, guildId: discord.guildId });
    server = await startServerProcess({
      AWS_ENDPOINT_URL: sandbox.endpoint,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      LOG_LEVEL: 'warn',
    });
    await discord.waitFor(() => (discord.ready > 0 ? true : undefined), 20_000, 'the Discord gateway session');
  }, 90_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await discord?.stop();
    await slack?.close();
    await sandbox?.stop();
  });

  it('1,000 Slack slash commands and 1,000 Discord interactions within 10 s: each acknowledged within 3 s and answered', async () => {
    const url = `http://127.0.0.1:${server.port}/slack/events`;
    const slackAcks: number[] = [];
    const slackBad: string[] = [];
    const responseIds: string[] = [];
    const its: FakeInteraction[] = [];
    const sends: Array<Promise<unknown>> = [];
    const t0 = Date.now();
    // Spread over 8 seconds, both platforms interleaved: 125 a second each.
    for (let i = 0; i < N; i++) {
      const wait = t0 + Math.floor((i * 8_000) / N) - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const sub = i % 2 === 0 ? 'packs' : 'leaderboard';
      const responseUrl = slack.newResponseUrl('C0GENERAL');
      responseIds.push(responseUrl.split('/').at(-1)!);
      sends.push(
        postToApp(url, slashBody({ command: '/quiz', text: sub, user_id: `U0F${i % 50}`, response_url: responseUrl }), { secret: SECRET }).then(
          (r) => (r.status === 200 ? slackAcks.push(r.ms) : slackBad.push(`HTTP ${r.status}`)),
          (e: unknown) => slackBad.push(`${String(e)} (${String((e as { cause?: { code?: string; message?: string } }).cause?.code ?? (e as { cause?: { message?: string } }).cause?.message)})`),
        ),
      );
      its.push(discord.slash(users[i % users.length]!, 'quiz', sub, {}));
    }
    const sentWithin = Date.now() - t0;
    await Promise.all(sends);
    const discordAcks = await Promise.all(its.map((it) => discord.answered(it, 20_000).then((cb) => cb.perfAt - it.sentAt, () => Infinity)));
    expect(sentWithin).toBeLessThanOrEqual(10_000);
    expect(slackBad.slice(0, 5), `${slackBad.length} Slack requests failed`).toEqual([]);
    expect(slackAcks.length).toBe(N);
    const slow = (xs: number[]): string => `${xs.filter((ms) => ms > 3_000).length} over 3 s; p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms, max ${pct(xs, 100)} ms`;
    console.log(`flood: Slack acks ${slow(slackAcks)}; Discord callbacks ${slow(discordAcks)}; sent within ${sentWithin} ms`);
    // Slack shows the user an error when the ack takes over 3 s (Slack, "Enabling interactivity with slash commands");
    // Discord fails an interaction whose first callback comes later than 3 s (Discord docs, "Receiving and Responding").
    expect(slackAcks.filter((ms) => ms > 3_000).length, `Slack acks: ${slow(slackAcks)}`).toBe(0);
    expect(discordAcks.filter((ms) => ms > 3_000).length, `Discord callbacks: ${slow(discordAcks)}`).toBe(0);
    // And every one was answered, not only acknowledged.
    await slack.waitFor(() => responseIds.every((id) => slack.responses.some((r) => r.id === id)) || undefined, 60_000);
    await discord.waitFor(() => its.every((it) => it.callback?.type === 4 || it.original) || undefined, 60_000, 'every Discord answer');
  }, 180_000);
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN);
}
