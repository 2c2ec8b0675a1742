/**
 * Sandbox size: 1,000 services and 10,000 tasks, polled the way a watcher polls a cluster
 * (ListServices → DescribeServices in tens → ListTasks → DescribeTasks in hundreds) with the
 * real SDK clients. Target: a full poll in at most a second or two. Also reports the cost of
 * one scheduler pass over all 10,000 tasks.
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListServicesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { ListServicesCommandOutput, ListTasksCommandOutput } from '@aws-sdk/client-ecs';
import { startSandbox } from '../src/sandbox/server.ts';
import { SandboxClock } from '../src/sandbox/clock.ts';
import { record } from './report.ts';

const SERVICES = 1_000;
const TASKS_PER_SERVICE = 10;
const ROUNDS = 3;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

/** One full poll; returns how many services and tasks it saw and how many calls it made. */
async function poll(ecs: ECSClient, cluster: string, concurrency: number): Promise<{ services: number; tasks: number; calls: number }> {
  let calls = 0;
  const serviceArns: string[] = [];
  let token: string | undefined;
  do {
    const page: ListServicesCommandOutput = await ecs.send(new ListServicesCommand({ cluster, maxResults: 100, nextToken: token }));
    calls++;
    serviceArns.push(...(page.serviceArns ?? []));
    token = page.nextToken;
  } while (token);
  const described = await inParallel(chunks(serviceArns, 10), concurrency, async (batch) => {
    calls++;
    return (await ecs.send(new DescribeServicesCommand({ cluster, services: batch }))).services ?? [];
  });
  const taskArns: string[] = [];
  token = undefined;
  do {
    const page: ListTasksCommandOutput = await ecs.send(new ListTasksCommand({ cluster, maxResults: 100, nextToken: token }));
    calls++;
    taskArns.push(...(page.taskArns ?? []));
    token = page.nextToken;
  } while (token);
  const tasks = await inParallel(chunks(taskArns, 100), concurrency, async (batch) => {
    calls++;
    return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }))).tasks ?? [];
  });
  return { services: described.flat().length, tasks: tasks.flat().length, calls };
}

/** Builds the big sandbox, polls it sequentially and with 8 calls in flight, and prints the timings. */
export async function run(): Promise<void> {
  const clock = new SandboxClock({ manual: true });
  const sandbox = await startSandbox({ clock });
  const ecs = new ECSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 1 });
  try {
    const built = performance.now();
    const s = sandbox.state;
    s.createCluster('big');
    const td = s.defineTaskDefinition({ family: 'svc', logGroup: false });
    for (let i = 0; i < SERVICES; i++) {
      s.createService('big', { name: `svc-${String(i).padStart(4, '0')}`, taskDefinition: td, desiredCount: TASKS_PER_SERVICE, logStyle: 'quiet' });
    }
    console.log(`built ${SERVICES} services / ${SERVICES * TASKS_PER_SERVICE} tasks in ${(performance.now() - built).toFixed(0)} ms`);

    const tickStart = performance.now();
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      sandbox.tick();
    }
    console.log(`scheduler pass over 10,000 tasks: ${((performance.now() - tickStart) / 10).toFixed(2)} ms`);

    await poll(ecs, 'big', 8); // warm-up: connections, SDK middleware
    for (const concurrency of [1, 8]) {
      const times: number[] = [];
      let seen = { services: 0, tasks: 0, calls: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        const t = performance.now();
        seen = await poll(ecs, 'big', concurrency);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? NaN;
      const verdict = median <= 2_000 ? 'ok' : 'OVER the 2 s target';
      record({ bench: 'sandbox', name: `full poll of 1,000 services / 10,000 tasks (${concurrency === 1 ? 'sequential' : `${concurrency} in flight`})`, value: median, unit: 'ms', target: '≤ 2,000 ms', met: median <= 2_000, better: 'lower' });
      console.log(
        `full poll (${concurrency === 1 ? 'sequential' : `${concurrency} in flight`}): ${seen.services} services, ${seen.tasks} tasks, ${seen.calls} calls — median ${median.toFixed(0)} ms, best ${(times[0] ?? NaN).toFixed(0)} ms (${verdict})`,
      );
    }
  } finally {
    ecs.destroy();
    await sandbox.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
