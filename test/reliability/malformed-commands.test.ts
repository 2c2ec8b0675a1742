/**
 * Reliability: malformed commands through all three paths of one real dockhand process — the
 * terminal (piped), Slack (signed HTTP requests to the real Bolt app) and Discord (interactions from
 * the gateway stand-in to the real discord.js client) — every caller an admin, so nothing is refused
 * by role before the input itself is judged. Each one must get a clear message (what was wrong and
 * what would be right), never a stack trace or an internal value; the process must stay up and
 * healthy; and no AWS call that changes anything may reach AWS (a recording proxy sits in front of
 * the sandbox and sees every call).
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/adapters/discord/register-cli.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { repoRoot, tempDb } from '../e2e/cli.ts';
import { startServerProcess, waitFor, type ServerProcess } from '../e2e/server-process.ts';
import { FakeDiscord, snowflake, type FakeInteraction, type FakeUser } from '../fakes/discord-api.ts';
import { FakeSlack } from '../fakes/slack-api.ts';
import { postToApp, slashBody } from '../fakes/slack-requests.ts';
import { MUTATING, startAwsRecorder, type AwsRecorder } from './aws-recorder.ts';

const SECRET = 'reliability-signing-secret-0123';
const RTL = '\u202e';
const ZW = '\u200b';

/** Text after `/ecs`, `/quiz` or `/dockhand` that no command accepts as it stands. */
const ECS_BAD: string[] = [
  'scale',
  'scale web',
  'scale web -1',
  'scale web 99999999999999999999999',
  'scale web 1e3',
  'scale web 0x10',
  'scale web 5.5',
  'scale web NaN',
  'scale web Infinity',
  'scale web ５',
  'scale web ٣',
  'scale web 3 4 5',
  'scale web 5 --cluster',
  'scale web 5 --cluster a/b',
  'scale web 5 --cluster ../../etc',
  'scale web 5 --nope',
  'scale web 5 --cluster demo --cluster demo',
  'scale web 5 —cluster demo',
  'scale 🚀 3',
  `scale ${RTL}bew 3`,
  `scale w${ZW}eb 3`,
  "scale 'web; DROP TABLE audit_log;--' 3",
  'scale "$(rm -rf /)" 3',
  'scale `id` 3',
  'scale web|cat 3',
  'scale ../web 3',
  'scale "unterminated 3',
  "scale 'web 3",
  'sclae web 3',
  'scael',
  'restart',
  'restart 🙃',
  'restart web --force=maybe',
  'status',
  `status ${'x'.repeat(3000)}`,
  'status "" ',
  'status web --cluster 日本',
  'logs',
  'logs web --since',
  'logs web --since -5m',
  'logs web --since 99999999999d',
  'logs web --since 15',
  'logs web --since 1fortnight',
  'logs web --lines 0',
  'logs web --lines 100000000',
  'logs web --lines -3',
  'logs web --filter',
  'logs web --follow forever',
  'logs web --task ../../x',
  'logs web --container "a\'b"',
  'deploy',
  'deploy web',
  'deploy web sha256:zzzz',
  'deploy web ../../etc/passwd',
  'deploy web 1.4.1 --container',
  'deploy web 😀',
  'deploy web 1.4.1 --force=yes',
  'rollback',
  'rollback web --to -3',
  'rollback web --to 1.5',
  'undo',
  'undo not-a-token',
  `undo ${'u'.repeat(500)}`,
  'images --nope',
  'images 💥',
  'images ../../',
  'metrics',
  'metrics web --since 0m',
  'metrics web --since -1h',
  'diagnose',
  'diagnose web api',
  'history web NaN',
  'history web -4',
  'mute',
  'mute web',
  'mute web -1h',
  'mute web 1000000d',
  'mute web forever',
  'unmute',
  'alerts --nope',
  'unfollow 🐳 extra',
  'clusters now',
  '--',
  '-h --help',
  '\t',
  '\u0000\u0001',
  '🚀🚀🚀',
  `${RTL}${ZW}`,
];

const QUIZ_BAD: string[] = ['start 🧪', 'start ../../etc/passwd', 'start ecs --count -1', 'start ecs --count 1000000', 'answer', 'answer Z', 'answer 99', 'leaderboard --top 0', 'leaderboard --top -1', 'review 🎓', 'nosuch'];

const DOCKHAND_BAD: string[] = ['', 'nosuch', 'audit --n -5', 'audit 1; DELETE FROM audit_log', 'help nosuch', `${'ecs '.repeat(1000)}`];

/** What a user must never see in chat. */
function leaks(text: string): string[] {
  const found: string[] = [];
  if (/\n\s+at [\w.<>]+ \(|\bat file:\/\/|node:internal/.test(text)) found.push('a stack trace');
  if (/\[object Object\]/.test(text)) found.push('[object Object]');
  if (/\bundefined\b/.test(text)) found.push('undefined');
  if (/\bNaN\b/.test(text) && !/'NaN'|NaN'|got NaN/.test(text)) found.push('NaN');
  if (/TypeError|ReferenceError|SyntaxError|RangeError|SqliteError|ECONNREFUSED/.test(text)) found.push('an internal error name');
  return found;
}

/** True when a reply tells what was wrong or what to do (the shape of every refusal dockhand gives). */
function guides(text: string): boolean {
  return /usage|try |did you mean|help|expected|must|between|at least|at most|allowed|no service|no quiz|there is no|unknown|not a|needs|missing|give|lists?|is not|isn't|no tag|no token|not found|too long|cannot|can.t|only|configured|close it|come with|the packs are|commands:/i.test(text);
}

describe('malformed commands through the terminal, Slack and Discord (one dockhand process, admin callers)', () => {
  let sandbox: Sandbox;
  let recorder: AwsRecorder;
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let server: ServerProcess;
  const admin: FakeUser = { id: snowflake(), username: 'ada' };
  let desiredBefore: string;

  /** Desired counts and task definition revisions: what a mutating call would change. */
  function worldState(): string {
    const services = [...sandbox.state.clusters.values()].flatMap((c) => [...c.services.values()].map((s) => `${c.name}/${s.name}:${s.desiredCount}:${s.taskDefinitionArn}`));
    const revisions = [...sandbox.state.taskDefinitions.entries()].map(([family, list]) => `${family}:${list.length}`);
    return JSON.stringify({ services: services.sort(), revisions: revisions.sort() });
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', seed: 11 });
    recorder = await startAwsRecorder(sandbox.endpoint);
    slack = await FakeSlack.start();
    discord = new FakeDiscord({ users: [admin] });
    await discord.start();
    await registerCommands({ token: discord.token, apiUrl: discord.apiUrl, guildId: discord.guildId });
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-rel-'));
    writeFileSync(join(dir, 'dockhand.yaml'), 'roles:\n  default: admin\n');
    server = await startServerProcess({
      AWS_ENDPOINT_URL: recorder.endpoint,
      DOCKHAND_CONFIG: join(dir, 'dockhand.yaml'),
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      LOG_LEVEL: 'warn',
    });
    await discord.waitFor(() => (discord.ready > 0 ? true : undefined), 20_000, 'the Discord gateway session');
    desiredBefore = worldState();
  }, 90_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await discord?.stop();
    await slack?.close();
    await recorder?.close();
    await sandbox?.stop();
  });

  it('Slack: every malformed slash command is acknowledged in time and answered with a clear message', async () => {
    const url = `http://127.0.0.1:${server.port}/slack/events`;
    const cases = [...ECS_BAD.map((t) => ['/ecs', t] as const), ...QUIZ_BAD.map((t) => ['/quiz', t] as const), ...DOCKHAND_BAD.map((t) => ['/dockhand', t] as const)];
    expect(cases.length).toBeGreaterThanOrEqual(100);
    const problems: string[] = [];
    // Ten at a time: a burst of a team's worth, not a flood (the flood is another test).
    for (let i = 0; i < cases.length; i += 10) {
      await Promise.all(
        cases.slice(i, i + 10).map(async ([command, text]) => {
          const responseUrl = slack.newResponseUrl('C0GENERAL');
          const id = responseUrl.split('/').at(-1)!;
          const res = await postToApp(url, slashBody({ command, text, user_id: 'U0ADA', response_url: responseUrl }), { secret: SECRET });
          if (res.status !== 200) return problems.push(`${command} ${text.slice(0, 40)}: HTTP ${res.status}`);
          // Slack shows an error to the user when the ack takes longer than 3 s (Slack, "Enabling interactivity with slash commands").
          if (res.ms > 3_000) problems.push(`${command} ${text.slice(0, 40)}: ack took ${res.ms.toFixed(0)} ms`);
          let answer = res.body;
          if (!answer.trim()) {
            const posted = await waitFor(`the answer to ${command} ${text.slice(0, 40)}`, () => slack.responses.find((r) => r.id === id), 20_000).catch(() => undefined);
            answer = posted ? JSON.stringify(posted.body) : '';
          }
          const label = `${command} ${JSON.stringify(text.slice(0, 40))}`;
          if (!answer) return problems.push(`${label}: no answer`);
          for (const leak of leaks(answer)) problems.push(`${label}: ${leak} in ${answer.slice(0, 200)}`);
          if (!guides(answer)) problems.push(`${label}: no guidance in ${answer.slice(0, 200)}`);
          return undefined;
        }),
      );
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('Discord: malformed option values in interactions each get a clear message', async () => {
    type Case = [string, string | undefined, Record<string, string | number | boolean>];
    const strings = ['🚀', `${RTL}bew`, `w${ZW}eb`, "web'; DROP TABLE audit_log;--", '$(rm -rf /)', '../../etc/passwd', 'x'.repeat(3000), ' ', 'a/b', '日本'];
    const cases: Case[] = [
      ...strings.map((s): Case => ['ecs', 'scale', { service: s, count: 3 }]),
      ...strings.map((s): Case => ['ecs', 'status', { service: s }]),
      ...strings.map((s): Case => ['ecs', 'logs', { service: 'web', since: s }]),
      ...strings.map((s): Case => ['ecs', 'deploy', { service: 'web', image: s }]),
      ...strings.map((s): Case => ['ecs', 'mute', { service: 'web', duration: s }]),
      ...strings.map((s): Case => ['ecs', 'undo', { token: s }]),
      ...strings.map((s): Case => ['ecs', 'services', { cluster: s }]),
      ...strings.map((s): Case => ['quiz', 'start', { pack: s }]),
    ];
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const problems: string[] = [];
    for (let i = 0; i < cases.length; i += 10) {
      const batch = cases.slice(i, i + 10).map(([cmd, sub, opts]) => ({ label: `/${cmd} ${sub} ${JSON.stringify(opts).slice(0, 60)}`, it: discord.slash(admin, cmd, sub, opts) }));
      await Promise.all(
        batch.map(async ({ label, it }) => {
          // Discord fails an interaction not answered within 3 seconds (Discord docs, "Receiving and Responding": interaction callback).
          const cb = await discord.answered(it, 3_000).catch(() => undefined);
          if (!cb) return problems.push(`${label}: no callback within 3 s`);
          const text = await discord.waitFor(() => textOf(it) || undefined, 20_000, `the answer to ${label}`).catch(() => '');
          if (!text) return problems.push(`${label}: no answer`);
          for (const leak of leaks(text)) problems.push(`${label}: ${leak} in ${text.slice(0, 200)}`);
          if (!guides(text)) problems.push(`${label}: no guidance in ${text.slice(0, 200)}`);
          return undefined;
        }),
      );
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('the terminal: a piped script of malformed lines answers each with a clear message and exits 1', async () => {
    const lines = [...ECS_BAD.map((t) => `/ecs ${t}`), ...QUIZ_BAD.map((t) => `/quiz ${t}`), '/nosuch', '/audit --n -5', '/help nosuch', '//', '/'].filter((l) => !l.includes('\u0000'));
    expect(lines.length).toBeGreaterThanOrEqual(100);
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: tempDb(), DOCKHAND_USER: 'ada', AWS_ENDPOINT_URL: recorder.endpoint },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(lines.join('\n') + '\n');
    });
    // A script whose commands were refused exits 1 (DESIGN.md's exit-code table), never with a crash.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/\n\s+at |"level":(50|60)/);
    const answers = run.stdout.split(/^> /m).slice(1);
    expect(answers.length).toBe(lines.length);
    const problems: string[] = [];
    for (const a of answers) {
      const [first = '', ...rest] = a.split('\n');
      const body = rest.join('\n').trim();
      if (!body) problems.push(`${first.slice(0, 60)}: no answer`);
      for (const leak of leaks(body)) problems.push(`${first.slice(0, 60)}: ${leak} in ${body.slice(0, 200)}`);
      if (!guides(body)) problems.push(`${first.slice(0, 60)}: no guidance in ${body.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('the server is still up and healthy, logged no error, and no AWS call changed anything', async () => {
    expect(server.child.exitCode).toBeNull();
    const health = await fetch(`http://127.0.0.1:${server.healthPort}/healthz`);
    expect(health.status).toBe(200);
    expect(server.out.stderr).not.toMatch(/"level":(50|60)|\n\s+at /);
    expect(recorder.operations.length).toBeGreaterThan(50);
    expect(recorder.operations.filter((op) => MUTATING.test(op))).toEqual([]);
    expect(worldState()).toBe(desiredBefore);
  });
});

/** Everything an interaction's answers say: the first callback, the edited original and follow-ups. */
function textOf(it: FakeInteraction): string {
  const parts: string[] = [];
  const data = it.callback?.data as { content?: string; embeds?: Array<{ title?: string; description?: string; fields?: Array<{ name: string; value: string }> }> } | undefined;
  if (data && it.callback?.type === 4) parts.push(FakeDiscord.text({ content: data.content ?? '', embeds: data.embeds ?? [] } as never));
  if (it.original) parts.push(FakeDiscord.text(it.original));
  for (const f of it.followUps) parts.push(FakeDiscord.text(f));
  return parts.filter(Boolean).join('\n');
}
