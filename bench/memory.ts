/**
 * Memory of the compiled bot as the image runs it (the Dockerfile's CMD), as resident set size, with AWS in another
 * process (the sandbox and the Slack and Discord stand-ins run in this bench's process):
 * - idle with Slack (HTTP), Discord (gateway) and the watcher running on the demo world (target ≤ 150 MB);
 * - with the watcher polling every 5 s over 1,000 services and 10,000 tasks (target ≤ 300 MB);
 * - `npm run bench -- soak`: the same for an hour (BENCH_SOAK_MINUTES to change it), sampled every
 *   minute; flat means the last sample is within 10% of the one after the first five minutes.
 * The embedded-sandbox figure (one process) is the startup bench's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCommands } from '../src/adapters/discord/register-cli.ts';
import { SandboxClock, startSandbox, type Sandbox } from '../src/sandbox/server.ts';
import { freePort } from '../test/e2e/server-process.ts';
import { FakeDiscord } from '../test/fakes/discord-api.ts';
import { FakeSlack } from '../test/fakes/slack-api.ts';
import { record } from './report.ts';
import { imageCommand, treeRssMb } from './startup.ts';

const root = join(import.meta.dirname, '..');
const SERVICES = 1_000;
const TASKS_PER_SERVICE = 10;

function build(): void {
  if (existsSync(join(root, 'dist/src/main.js')) && process.env.BENCH_REBUILD === '0') return;
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('npm run build failed');
}

/** The compiled bot against the given sandbox and stand-ins; resolves once its banner is out. */
async function startBot(sandbox: Sandbox, slack: FakeSlack, discord: FakeDiscord, env: Record<string, string>): Promise<ChildProcess> {
  const db = join(mkdtempSync(join(tmpdir(), 'dockhand-bench-mem-')), 'd.db');
  const [node, ...args] = imageCommand();
  const child = spawn(node!, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOCKHAND_DB: db,
      AWS_ENDPOINT_URL: sandbox.endpoint,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'bench-signing-secret-0123456789',
      SLACK_API_URL: slack.apiUrl,
      PORT: String(await freePort()),
      HEALTH_PORT: String(await freePort()),
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DOCKHAND_WATCH_EVERY: '5s',
      LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const end = Date.now() + 60_000;
  while (!err.includes('adapters: ')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`dockhand did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the memory figures (or the soak when `soak` is true) and prints them. */
export async function run(soak = false): Promise<void> {
  build();
  const slack = await FakeSlack.start();
  const discord = new FakeDiscord();
  await discord.start();
  await registerCommands({ token: discord.token, apiUrl: discord.apiUrl, guildId: discord.guildId });
  const demo = await startSandbox({ scenario: 'demo', seed: 4, clock: new SandboxClock({ speed: 5 }) });
  const big = await startSandbox({ scenario: 'empty', seed: 4, clock: new SandboxClock({ speed: 1 }) });
  try {
    const s = big.state;
    s.createCluster('big');
    const td = s.defineTaskDefinition({ family: 'svc', logGroup: false });
    for (let i = 0; i < SERVICES; i++) s.createService('big', { name: `svc-${String(i).padStart(4, '0')}`, taskDefinition: td, desiredCount: TASKS_PER_SERVICE, logStyle: 'quiet' });
    big.advance(60_000);

    if (!soak) {
      const idleBot = await startBot(demo, slack, discord, {});
      await sleep(20_000);
      const idle = treeRssMb(idleBot.pid!);
      await stop(idleBot);
      console.log(`memory: compiled bot idle with Slack, Discord and the watcher (demo world, sandbox in another process): ${idle.toFixed(0)} MB RSS (target ≤ 150 MB)`);
      record({ bench: 'memory', name: 'compiled bot idle: Slack, Discord, watcher', value: idle, unit: 'MB', target: '≤ 150 MB', met: idle <= 150, better: 'lower' });
    }

    const bot = await startBot(big, slack, discord, { DOCKHAND_CLUSTERS: 'big' });
    const minutes = soak ? Number(process.env.BENCH_SOAK_MINUTES ?? 60) : 1;
    const samples: number[] = [];
    const sampleEvery = soak ? 60_000 : 5_000;
    for (let t = 0; t < minutes * 60_000; t += sampleEvery) {
      await sleep(sampleEvery);
      samples.push(treeRssMb(bot.pid!));
    }
    await stop(bot);
    const peak = Math.max(...samples);
    console.log(`memory: watcher every 5 s over ${SERVICES.toLocaleString('en-US')} services / ${(SERVICES * TASKS_PER_SERVICE).toLocaleString('en-US')} tasks for ${minutes} min: peak ${peak.toFixed(0)} MB RSS (target ≤ 300 MB); samples ${samples.map((x) => x.toFixed(0)).join(' ')}`);
    record({ bench: 'memory', name: `watcher over ${SERVICES.toLocaleString('en-US')} services, peak over ${minutes} min`, value: peak, unit: 'MB', target: '≤ 300 MB', met: peak <= 300, better: 'lower' });
    if (soak) {
      const base = samples[Math.min(4, samples.length - 1)]!;
      const last = samples.at(-1)!;
      const growth = last / base - 1;
      console.log(`soak: ${base.toFixed(0)} MB after 5 min → ${last.toFixed(0)} MB after ${minutes} min (${(growth * 100).toFixed(1)}%; target: flat, ≤ 10%)`);
      record({ bench: 'soak', name: `RSS after ${minutes} min of 5 s polls`, value: last, unit: 'MB', baseline: { name: 'after 5 min', value: base }, target: '≤ 1.10×', met: growth <= 0.1, better: 'lower' });
    }
  } finally {
    await demo.stop();
    await big.stop();
    await discord.stop();
    await slack.close();
  }
}
