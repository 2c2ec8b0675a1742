/**
 * Crash watcher polls over 1,000 services and 10,000 running tasks in the sandbox (20 services
 * crash-looping, so about a thousand stopped tasks are listed): AWS calls by operation and wall
 * time of the watcher's first poll, of a poll after 30 s of new crashes, and of a poll where
 * nothing changed — next to a naive poll that lists and describes every service's stopped tasks
 * one service at a time, in the same run. Calls are counted as the sandbox receives them.
 */
import { pathToFileURL } from 'node:url';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../src/aws/index.ts';
import { silentLogger } from '../src/core/logger.ts';
import { openDatabase } from '../src/db/client.ts';
import { SqliteIncidentStore } from '../src/db/incident-store.ts';
import { SqliteOutbox } from '../src/db/outbox.ts';
import type { ClusterTarget, ContainerService } from '../src/ports/container-service.ts';
import { shortName } from '../src/ports/container-service.ts';
import { SandboxClock } from '../src/sandbox/clock.ts';
import { startSandbox } from '../src/sandbox/server.ts';
import { watcherSettings } from '../src/watcher/config.ts';
import { CrashWatcher } from '../src/watcher/watcher.ts';
import { record } from './report.ts';

const SERVICES = 1_000;
const TASKS_PER_SERVICE = 10;
const CRASHING = 20;

type Counts = Map<string, number>;

function total(c: Counts): number {
  let n = 0;
  for (const v of c.values()) n += v;
  return n;
}

function breakdown(c: Counts): string {
  return [...c.entries()].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ');
}

/** The naive poll: every service's stopped tasks, listed and described one service at a time, every poll. */
async function naivePoll(ecs: ContainerService, target: ClusterTarget): Promise<number> {
  const services = (await ecs.describeServices(target, (await ecs.listServices(target)).map(shortName))).items;
  let described = 0;
  for (const s of services) {
    const arns = await ecs.listTasks(target, { serviceName: s.name, desiredStatus: 'STOPPED' });
    if (arns.length > 0) described += (await ecs.describeTasks(target, arns)).items.length;
  }
  return described;
}

/** Prints the figures. */
export async function run(): Promise<void> {
  const clock = new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) });
  const sandbox = await startSandbox({ clock, scenario: 'empty', seed: 3 });
  const s = sandbox.state;
  s.createCluster('bench');
  const healthy = s.defineTaskDefinition({ family: 'svc', logGroup: '/ecs/bench' });
  const setupStart = performance.now();
  for (let i = 0; i < SERVICES; i++) {
    const crash = i % (SERVICES / CRASHING) === 0;
    s.createService('bench', {
      name: `svc-${String(i).padStart(4, '0')}`,
      taskDefinition: healthy,
      desiredCount: TASKS_PER_SERVICE,
      logStyle: 'quiet',
      ...(crash ? { failure: { kind: 'crash' as const, runMs: 60_000, oomEvery: 4 } } : {}),
    });
  }
  // Ten minutes of crash loops, so ECS lists a realistic pile of stopped tasks.
  sandbox.advance(10 * 60_000);
  const cluster = s.clusters.get('bench')!;
  let running = 0;
  let stopped = 0;
  for (const t of cluster.tasks.values()) {
    if (t.desiredStatus === 'RUNNING') running++;
    else stopped++;
  }
  console.log(`sandbox: ${SERVICES} services, ${running} running tasks, ${stopped} stopped tasks listed (${CRASHING} services crash-looping); set up in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

  const counts: Counts = new Map();
  const original = sandbox.faults.decide.bind(sandbox.faults);
  sandbox.faults.decide = (service, op) => {
    counts.set(op, (counts.get(op) ?? 0) + 1);
    return original(service, op);
  };
  const measure = async <T>(label: string, fn: () => Promise<T>): Promise<{ calls: number; ms: number; result: T }> => {
    counts.clear();
    const t0 = performance.now();
    const result = await fn();
    const ms = performance.now() - t0;
    const calls = total(counts);
    console.log(`  ${label.padEnd(46)} ${String(calls).padStart(5)} calls  ${ms.toFixed(0).padStart(6)} ms   (${breakdown(counts)})`);
    return { calls, ms, result };
  };

  const aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
  const database = openDatabase(':memory:');
  const watcher = new CrashWatcher({
    containers: aws.containers,
    logs: aws.logs,
    store: new SqliteIncidentStore(database),
    outbox: new SqliteOutbox(database),
    clock,
    log: silentLogger,
    settings: watcherSettings(undefined, [{ slack: 'C1' }]),
    clusters: [{ cluster: 'bench', region: 'us-east-1' }],
  });
  const target = { cluster: 'bench', region: 'us-east-1' };

  console.log('watcher (stopped tasks listed per cluster, only unhandled ones described, 100 a call):');
  const first = await measure('first poll (all stopped tasks new)', () => watcher.poll(target));
  sandbox.advance(30_000);
  const next = await measure('poll after 30 s of crashes', () => watcher.poll(target));
  const idle = await measure('poll where nothing changed', () => watcher.poll(target));
  console.log(`    (first poll described ${first.result.described}, recorded ${first.result.crashes} crashes; next described ${next.result.described}; idle described ${idle.result.described})`);

  console.log('naive (per service: ListTasks STOPPED, then DescribeTasks of all of them, every poll):');
  const naive = await measure('naive poll', () => naivePoll(aws.containers, target));
  const naiveIdle = await measure('naive poll where nothing changed', () => naivePoll(aws.containers, target));
  console.log(`    (naive described ${naive.result} stopped tasks each poll)`);
  console.log(
    `result: a quiet poll makes ${idle.calls} calls vs ${naiveIdle.calls} naive (${(naiveIdle.calls / Math.max(1, idle.calls)).toFixed(1)}× fewer), ` +
      `${idle.ms.toFixed(0)} ms vs ${naiveIdle.ms.toFixed(0)} ms`,
  );

  record({ bench: 'watcher', name: `AWS calls of a quiet poll, ${SERVICES.toLocaleString('en-US')} services`, value: idle.calls, unit: 'calls', baseline: { name: 'naive per-service poll', value: naiveIdle.calls }, better: 'lower' });
  record({ bench: 'watcher', name: `quiet poll time, ${SERVICES.toLocaleString('en-US')} services`, value: idle.ms, unit: 'ms', baseline: { name: 'naive per-service poll', value: naiveIdle.ms }, better: 'lower' });
  aws.destroy();
  database.close();
  await sandbox.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
