/**
 * `/ecs logs` over 50,000 events: a service whose tasks wrote 50,000 lines in the last hour, searched for a pattern that only 20 lines match (so every event has to be scanned), through
 * dockhand's real dispatcher and SDK clients, next to the aws CLI (v1, which has no `logs tail`)
 * paging FilterLogEvents with the same pattern over the same sandbox, in the same run.
 */
import { execFile, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ecs } from '../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../src/aws/index.ts';
import type { Caller } from '../src/core/command.ts';
import { Dispatcher } from '../src/core/dispatcher.ts';
import { silentLogger } from '../src/core/logger.ts';
import { replyToPlainText } from '../src/core/reply.ts';
import { defaultSettings } from '../src/core/settings.ts';
import { SandboxClock, startSandbox } from '../src/sandbox/server.ts';
import { MemoryAudit } from '../test/fakes/memory-audit.ts';
import { record } from './report.ts';

const EVENTS = 50_000;
const MATCHES = 20;
const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Runs the benchmark and prints its figures. */
export async function run(): Promise<void> {
  const sandbox = await startSandbox({ scenario: 'demo', seed: 21, clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }) });
  const aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
  try {
    const s = sandbox.state;
    const now = s.clock.now();
    // The sandbox keeps 10,000 events a stream (as a bound on its memory), so the 50,000 are spread
    // over five streams of the service's log group, as five tasks of one service would write them.
    const streams = 5;
    const per = EVENTS / streams;
    const every = per / (MATCHES / streams);
    for (let k = 0; k < streams; k++) {
      const events = Array.from({ length: per }, (_, i) => ({
        timestamp: now - 55 * 60_000 + Math.floor((i * 50 * 60_000) / per) + k,
        message: i % every === every - 1 ? `needle ${k}-${i} payment declined` : `GET /health 200 ${k}-${i} served in 3ms`,
      }));
      s.putLogEvents('/ecs/web', `ecs/web/${'bench'.padEnd(27, String(k))}${k}`, events);
    }
    const d = new Dispatcher({
      commands: [ecs],
      ports: { clock: sandbox.clock, audit: new MemoryAudit(), containers: aws.containers, images: aws.images, logs: aws.logs },
      settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true }),
      log: silentLogger,
    });
    const caller: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'bench', displayName: 'bench' };
    const line = '/ecs logs web --since 1h --filter needle --lines 50';
    const dock: number[] = [];
    let shown = 0;
    for (let r = 0; r < ROUNDS + 1; r++) {
      const t = performance.now();
      const res = await d.run(line, caller);
      if (r > 0) dock.push(performance.now() - t);
      shown = replyToPlainText(res.reply).split('\n').filter((l) => l.includes('needle')).length;
    }
    const cli: number[] = [];
    let cliEvents = 0;
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
    const args = ['logs', 'filter-log-events', '--log-group-name', '/ecs/web', '--filter-pattern', 'needle', '--start-time', String(now - 60 * 60_000), '--endpoint-url', sandbox.endpoint, '--output', 'json'];
    const hasCli = spawnSync('aws', ['--version'], { env }).status === 0;
    for (let r = 0; hasCli && r < ROUNDS; r++) {
      const t = performance.now();
      // The sandbox answers on this process's event loop, so the CLI runs asynchronously beside it.
      const out = await new Promise<string>((resolve, reject) => execFile('aws', args, { env, maxBuffer: 64 * 1024 * 1024 }, (e, stdout) => (e ? reject(e) : resolve(stdout))));
      cli.push(performance.now() - t);
      cliEvents = (JSON.parse(out) as { events?: unknown[] }).events?.length ?? 0;
    }
    const dm = median(dock);
    console.log(`logs: ${EVENTS.toLocaleString('en-US')} events in 5 streams, ${MATCHES} match; median of ${ROUNDS}`);
    console.log(`  dockhand ${line}: ${dm.toFixed(0)} ms (${shown} lines shown)`);
    if (hasCli) {
      const cm = median(cli);
      console.log(`  aws CLI v1 filter-log-events, auto-paging:              ${cm.toFixed(0)} ms (${cliEvents} events, Python start included)`);
      record({ bench: 'logs', name: `/ecs logs --filter over ${EVENTS.toLocaleString('en-US')} events`, value: dm, unit: 'ms', baseline: { name: 'aws CLI filter-log-events', value: cm }, target: '≤ 1× the aws CLI', met: dm <= cm, better: 'lower' });
    } else {
      console.log('  aws CLI not installed here: no baseline');
    }
  } finally {
    aws.destroy();
    await sandbox.stop();
  }
}
