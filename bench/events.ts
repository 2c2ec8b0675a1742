/**
 * Crash events through SQS versus polling, in the same run:
 *
 * 1. Crash-to-alert latency (a task exits in the sandbox → its alert row is in the outbox), p50 and
 *    p99 over at least 200 crashes, for the poll at its default 30 s and for `watch.source: events`.
 *    The poll runs on the sandbox clock, stepped a second at a time, with a poll every 30 sandbox
 *    seconds: its latency is the sandbox time from the exit to the poll that alerted it plus that
 *    poll's real duration (so it takes seconds, not hours). Events run in real time: the consumer
 *    long-polls the sandbox's SQS queue while the sandbox clock is stepped, and the latency is the
 *    real time from the moment the sandbox published the exit to the moment the alert row was written.
 * 2. AWS calls per minute at 1,000 services (10,000 tasks) when nothing crashes: a naive poll every
 *    30 s (per service: ListTasks of stopped tasks, DescribeTasks of them), dockhand's poll every
 *    30 s, and events (20 s long polls on an empty queue, measured over one 20 s wait, plus the
 *    sweep poll every 5 minutes). Calls are counted as the sandbox receives them.
 */
import { pathToFileURL } from 'node:url';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../src/aws/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import { openDatabase } from '../src/db/client.ts';
import { SqliteIncidentStore } from '../src/db/incident-store.ts';
import { SqliteOutbox } from '../src/db/outbox.ts';
import type { ClusterTarget, ContainerService } from '../src/ports/container-service.ts';
import { shortName } from '../src/ports/container-service.ts';
import { SandboxClock } from '../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../src/sandbox/server.ts';
import { watcherSettings, type WatchFileConfig } from '../src/watcher/config.ts';
import { EventConsumer } from '../src/watcher/events.ts';
import { record } from './report.ts';
import { CrashWatcher } from '../src/watcher/watcher.ts';

const CRASHING_SERVICES = 25;
/** Real ms per sandbox second in the events run: about 5 crashes a real second reach the queue, a busy cluster's pace, not a flood. */
const EVENTS_STEP_REAL_MS = 150;
const MIN_CRASHES = 200;
const POLL_EVERY_MS = 30_000;
const SERVICES = 1_000;
const TASKS_PER_SERVICE = 10;
// No incidents in the latency runs: every crash gets its own `crash:<task ARN>` alert row.
const WATCH: WatchFileConfig = { crashLoop: { crashes: 100, within: '1m' } };
const LANE = { platform: 'slack' as const, channelId: 'C1' };
const TARGET: ClusterTarget = { cluster: 'bench', region: 'us-east-1' };

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** The real SDK ports on a sandbox, SQLite in memory, and a watcher of cluster `bench` routing to Slack C1. */
function watcherOn(sandbox: Sandbox, watch: WatchFileConfig, onAlerts?: (outbox: SqliteOutbox) => void): { aws: ReturnType<typeof createAwsPorts>; database: ReturnType<typeof openDatabase>; outbox: SqliteOutbox; watcher: CrashWatcher } {
  const aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
  const database = openDatabase(':memory:');
  const outbox = new SqliteOutbox(database);
  const watcher = new CrashWatcher({
    containers: aws.containers,
    logs: aws.logs,
    store: new SqliteIncidentStore(database),
    outbox,
    clock: sandbox.clock,
    log: silentLogger,
    settings: watcherSettings(watch, [{ slack: LANE.channelId }]),
    clusters: [TARGET],
    ...(onAlerts ? { onAlerts: () => onAlerts(outbox) } : {}),
  });
  return { aws, database, outbox, watcher };
}

/** A sandbox with CRASHING_SERVICES services that crash every half minute or so, and the watcher's parts on it. */
async function latencyRig(source: 'poll' | 'events', onAlerts?: (outbox: SqliteOutbox) => void): Promise<{
  sandbox: Sandbox;
  watcher: CrashWatcher;
  outbox: SqliteOutbox;
  aws: ReturnType<typeof createAwsPorts>;
  crashedAt: Map<string, { sandbox: number; real: number }>;
  close(): Promise<void>;
}> {
  const clock = new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) });
  const sandbox = await startSandbox({ clock, scenario: 'empty', seed: 11 });
  const s = sandbox.state;
  s.createCluster('bench');
  const td = s.defineTaskDefinition({ family: 'svc', logGroup: '/ecs/bench' });
  for (let i = 0; i < CRASHING_SERVICES; i++) {
    s.createService('bench', { name: `svc-${i}`, taskDefinition: td, desiredCount: 1, logStyle: 'api', failure: { kind: 'crash', runMs: 15_000 + (i % 10) * 1_000, exitCode: 1 } });
  }
  // The moment each task's essential container exited, in sandbox and in real time.
  const crashedAt = new Map<string, { sandbox: number; real: number }>();
  const publish = s.onTaskChange;
  s.onTaskChange = (task, at) => {
    if (task.stopCode === 'EssentialContainerExited' && !crashedAt.has(task.arn)) crashedAt.set(task.arn, { sandbox: task.stoppingAt ?? at, real: performance.now() });
    publish?.(task, at);
  };
  const { aws, database, outbox, watcher } = watcherOn(sandbox, { ...WATCH, source }, onAlerts);
  return {
    sandbox,
    watcher,
    outbox,
    aws,
    crashedAt,
    async close() {
      aws.destroy();
      database.close();
      await sandbox.stop();
    },
  };
}

/** Alert rows of crashes, by task ARN. */
async function crashRows(outbox: SqliteOutbox): Promise<Map<string, number>> {
  const rows = await outbox.history(LANE);
  return new Map(rows.filter((r) => r.alertKey.startsWith('crash:')).map((r) => [r.alertKey.slice('crash:'.length), r.createdAt]));
}

async function pollLatency(): Promise<number[]> {
  const r = await latencyRig('poll');
  // The first poll sums up history; start from a watched cluster, as a running dockhand is.
  await r.watcher.poll(TARGET);
  const t0 = r.sandbox.clock.now();
  const latencies: number[] = [];
  const alerted = new Set<string>();
  while (latencies.length < MIN_CRASHES) {
    r.sandbox.advance(1_000);
    if ((r.sandbox.clock.now() - t0) % POLL_EVERY_MS !== 0) continue;
    const pollAt = r.sandbox.clock.now();
    const started = performance.now();
    await r.watcher.poll(TARGET);
    const wall = performance.now() - started;
    for (const [arn] of await crashRows(r.outbox)) {
      const at = r.crashedAt.get(arn);
      if (alerted.has(arn) || !at || at.sandbox < t0) continue;
      alerted.add(arn);
      latencies.push(pollAt - at.sandbox + wall);
    }
  }
  await r.close();
  return latencies.sort((a, b) => a - b);
}

async function eventsLatency(): Promise<number[]> {
  // When each alert row was written, in real time: read right after the watcher says it wrote some.
  const writtenAt = new Map<string, number>();
  const r = await latencyRig('events', (outbox) => {
    const t = performance.now();
    void crashRows(outbox).then((rows) => {
      for (const arn of rows.keys()) if (!writtenAt.has(arn)) writtenAt.set(arn, t);
    });
  });
  await r.watcher.poll(TARGET);
  const queue = r.aws.eventQueue(r.sandbox.eventsQueueUrl ?? '', 'us-east-1');
  const consumer = new EventConsumer({ queue, sink: r.watcher, clusters: [TARGET], log: silentLogger });
  // Start from an empty queue and a running consumer, as a leader that has been up a while.
  while ((await consumer.receiveOnce(0)).received > 0);
  const from = performance.now();
  consumer.start();
  while ([...writtenAt.keys()].filter((a) => (r.crashedAt.get(a)?.real ?? 0) >= from).length < MIN_CRASHES) {
    r.sandbox.advance(1_000);
    await new Promise((res) => setTimeout(res, EVENTS_STEP_REAL_MS));
  }
  await new Promise((res) => setTimeout(res, 200));
  await consumer.stop();
  const latencies: number[] = [];
  for (const [arn, t] of writtenAt) {
    const at = r.crashedAt.get(arn);
    if (at && at.real >= from) latencies.push(t - at.real);
  }
  await r.close();
  return latencies.sort((a, b) => a - b);
}

/** The naive poll: every service's stopped tasks, listed and described one service at a time. */
async function naivePoll(ecs: ContainerService): Promise<void> {
  const services = (await ecs.describeServices(TARGET, (await ecs.listServices(TARGET)).map(shortName))).items;
  for (const s of services) {
    const arns = await ecs.listTasks(TARGET, { serviceName: s.name, desiredStatus: 'STOPPED' });
    if (arns.length > 0) await ecs.describeTasks(TARGET, arns);
  }
}

async function callsPerMinute(): Promise<{ naive: number; poll: number; events: number; detail: string }> {
  const clock = new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) });
  const sandbox = await startSandbox({ clock, scenario: 'empty', seed: 5 });
  const s = sandbox.state;
  s.createCluster('bench');
  const td = s.defineTaskDefinition({ family: 'svc', logGroup: '/ecs/bench' });
  for (let i = 0; i < SERVICES; i++) s.createService('bench', { name: `svc-${String(i).padStart(4, '0')}`, taskDefinition: td, desiredCount: TASKS_PER_SERVICE, logStyle: 'quiet' });
  sandbox.advance(60_000);
  const counts = new Map<string, number>();
  const original = sandbox.faults.decide.bind(sandbox.faults);
  sandbox.faults.decide = (service, op) => {
    counts.set(op, (counts.get(op) ?? 0) + 1);
    return original(service, op);
  };
  const count = (): number => [...counts.values()].reduce((a, b) => a + b, 0);
  const { aws, database, watcher } = watcherOn(sandbox, { source: 'events' });
  await watcher.poll(TARGET);
  counts.clear();
  await naivePoll(aws.containers);
  const naivePerPoll = count();
  counts.clear();
  await watcher.poll(TARGET);
  const pollPerPoll = count();
  // The tasks' start-up events are history: the queue starts empty, as it is when nothing changes.
  const sqs = new SQSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  await sqs.send(new PurgeQueueCommand({ QueueUrl: sandbox.eventsQueueUrl }));
  sqs.destroy();
  const consumer = new EventConsumer({ queue: aws.eventQueue(sandbox.eventsQueueUrl ?? '', 'us-east-1'), sink: watcher, clusters: [TARGET], log: silentLogger });
  consumer.start();
  await new Promise((res) => setTimeout(res, 1_000));
  counts.clear();
  const windowMs = 20_500;
  await new Promise((res) => setTimeout(res, windowMs));
  const receives = count();
  await consumer.stop();
  aws.destroy();
  database.close();
  await sandbox.stop();
  const perMin = 60_000 / POLL_EVERY_MS;
  const receivesPerMin = (receives * 60_000) / windowMs;
  const sweepPerMin = pollPerPoll / 5;
  return {
    naive: naivePerPoll * perMin,
    poll: pollPerPoll * perMin,
    events: receivesPerMin + sweepPerMin,
    detail: `naive ${naivePerPoll} calls a poll; dockhand's poll ${pollPerPoll} calls a poll; events: ${receives} ReceiveMessage in ${(windowMs / 1000).toFixed(1)} s of an empty queue (${receivesPerMin.toFixed(1)}/min) + a ${pollPerPoll}-call sweep every 5 min (${sweepPerMin.toFixed(1)}/min)`,
  };
}

/** Prints the figures. */
export async function run(): Promise<void> {
  const poll = await pollLatency();
  const events = await eventsLatency();
  console.log(`crash → alert row in the outbox, ${CRASHING_SERVICES} crash-looping services:`);
  console.log(`  poll every 30 s      n=${poll.length}  p50 ${fmt(pct(poll, 50))}  p99 ${fmt(pct(poll, 99))}   (sandbox clock stepped 1 s at a time, a poll every 30 sandbox s: sandbox time to the alerting poll + its real duration)`);
  console.log(`  events (SQS)         n=${events.length}  p50 ${fmt(pct(events, 50))}  p99 ${fmt(pct(events, 99))}   (real time from the sandbox publishing the exit to the alert row; 20 s long polls, batches of 10; a sandbox second every ${EVENTS_STEP_REAL_MS} real ms)`);
  const p50 = pct(events, 50);
  console.log(`  target: events p50 under 2 s — ${p50 < 2_000 ? 'met' : 'NOT met'} (${fmt(p50)})`);
  record({ bench: 'events', name: `crash → alert row p50, ${events.length} crashes, events through SQS`, value: p50, unit: 'ms', baseline: { name: 'poll every 30 s', value: pct(poll, 50) }, target: '< 2 s', met: p50 < 2_000, better: 'lower' });
  record({ bench: 'events', name: 'crash → alert row p99, events through SQS', value: pct(events, 99), unit: 'ms', baseline: { name: 'poll every 30 s', value: pct(poll, 99) }, better: 'lower' });
  const c = await callsPerMinute();
  console.log(`AWS calls per minute at ${SERVICES} services, ${SERVICES * TASKS_PER_SERVICE} tasks, nothing crashing:`);
  console.log(`  naive poll every 30 s    ${c.naive.toFixed(0).padStart(6)}/min`);
  console.log(`  dockhand poll every 30 s ${c.poll.toFixed(0).padStart(6)}/min`);
  console.log(`  events + 5 min sweep     ${c.events.toFixed(1).padStart(6)}/min`);
  console.log(`    (${c.detail})`);
  record({ bench: 'events', name: `AWS calls a minute, ${SERVICES} services, nothing crashing, events + 5 min sweep`, value: Math.round(c.events * 10) / 10, unit: 'calls/min', baseline: { name: 'naive poll every 30 s', value: c.naive }, target: '≤ 1/50 of the naive poll', met: c.events <= c.naive / 50, better: 'lower' });
  record({ bench: 'events', name: `AWS calls a minute, ${SERVICES} services, nothing crashing, dockhand's poll every 30 s`, value: c.poll, unit: 'calls/min', baseline: { name: 'naive poll every 30 s', value: c.naive }, better: 'lower' });
  console.log(`  target: events at most 1/50 of a naive poll (${(c.naive / 50).toFixed(1)}/min) — ${c.events <= c.naive / 50 ? 'met' : 'NOT met'} (1/${(c.naive / Math.max(c.events, 0.001)).toFixed(0)})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
