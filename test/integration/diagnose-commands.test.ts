/**
 * `/ecs diagnose`, `/ecs metrics` and `/ecs status` through the real dispatcher and SDK clients
 * against the demo sandbox: how many AWS calls a diagnosis costs, and answers that still come
 * when CloudWatch metrics are denied or throttled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ecs } from '../../commands/ecs.ts';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import type { Caller } from '../../src/core/command.ts';
import { Dispatcher } from '../../src/core/dispatcher.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText } from '../../src/core/reply.ts';
import { defaultSettings } from '../../src/core/settings.ts';
import type { Ports } from '../../src/ports/index.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { MemoryAudit } from '../fakes/memory-audit.ts';

const viewer: Caller = { platform: 'console', workspaceId: 'local', channelId: 'terminal', userId: 'vic', displayName: 'vic' };
const operator: Caller = { ...viewer, userId: 'olga', displayName: 'olga' };
let sandbox: Sandbox;
let aws: AwsPorts;
let d: Dispatcher;
const calls: string[] = [];

/** Wraps a port so every method call is counted by name. */
function counted<T extends object>(name: string, port: T): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(prop)}`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 11 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  const ports: Ports = {
    clock: sandbox.clock,
    audit: new MemoryAudit(),
    containers: counted('ecs', aws.containers),
    images: counted('ecr', aws.images),
    logs: counted('logs', aws.logs),
    metrics: counted('cloudwatch', aws.metrics),
  };
  d = new Dispatcher({ commands: [ecs], ports, settings: defaultSettings({ clusters: [{ name: 'demo', region: 'us-east-1' }], sandbox: true, userRoles: new Map([['console:olga', 'operator']]) }), log: silentLogger });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

afterEach(() => sandbox.faults.clear());

async function run(line: string): Promise<string> {
  calls.length = 0;
  const r = await d.run(line, viewer);
  return replyToPlainText(r.reply);
}

describe('/ecs diagnose through the SDK', () => {
  it('diagnoses a crash-looping service in 9 port calls or fewer, at most 3 of them log reads', async () => {
    const out = await run('/ecs diagnose payments');
    expect(out).toMatch(/out of memory: \d+ of the last \d+ crashes/);
    // describeServices, listTasks ×2, describeTasks, describeTaskDefinition, serviceUtilization, streamTail ×3.
    expect(calls.length).toBeLessThanOrEqual(9);
    expect(calls.filter((c) => c.startsWith('logs.')).length).toBeLessThanOrEqual(3);
    expect(calls.filter((c) => c === 'cloudwatch.serviceUtilization')).toHaveLength(1);
    expect(calls.some((c) => c.startsWith('ecr.'))).toBe(false);
  });

  it('asks ECR only when a pull failed', async () => {
    const out = await run('/ecs diagnose reports');
    expect(out).toContain('image tag 0.6.0 is not in ECR repository reports');
    expect(calls.filter((c) => c.startsWith('ecr.'))).toEqual(['ecr.listImages']);
  });

  it('with GetMetricData denied, diagnose still runs and names the permission; status and metrics answer without sparklines', async () => {
    sandbox.faults.set('cloudwatch:GetMetricData', { accessDenied: true });
    const diag = await run('/ecs diagnose payments');
    expect(diag).toMatch(/out of memory/);
    expect(diag).toMatch(/memory trend unavailable: the sandbox denied cloudwatch:GetMetricData .*lacks the cloudwatch:GetMetricData permission/);
    const healthy = await run('/ecs diagnose web');
    expect(healthy).toMatch(/healthy: 2\/2 running/);
    expect(healthy).toMatch(/cpu and memory unavailable: .*cloudwatch:GetMetricData/);
    const status = await run('/ecs status web');
    expect(status).toContain('Desired: 2');
    expect(status).toMatch(/CPU \/ memory \(1h\): unavailable: .*cloudwatch:GetMetricData permission/);
    const metrics = await run('/ecs metrics web');
    expect(metrics).toMatch(/No metrics: .*lacks the cloudwatch:GetMetricData permission/);
  });

  it('with GetMetricData throttled, status still answers', async () => {
    sandbox.faults.set('cloudwatch:GetMetricData', { throttle: 1 });
    const status = await run('/ecs status web');
    expect(status).toContain('Running: 2');
    expect(status).toMatch(/CPU \/ memory \(1h\): unavailable: .*throttling/);
  });

  it('/ecs metrics takes --since and refuses windows CloudWatch cannot give at one-minute detail', async () => {
    const six = await run('/ecs metrics api --since 6h');
    expect(six).toContain('api — CPU and memory, last 6h');
    expect(six).toMatch(/CPU \| [\d.]+% \| [\d.]+% \| [\d.]+% \| [▁▂▃▄▅▆▇█]{30}/);
    expect(await run('/ecs metrics api --since 30d')).toMatch(/since/i);
  });

  it('a scale that cannot settle says the likely cause from the same rules', async () => {
    const r = await d.run('/ecs scale payments 2', operator);
    expect(replyToPlainText(r.reply)).toContain('Scaling payments 1 → 2');
    expect(r.followUp).toBeDefined();
    const posted: string[] = [];
    let done = false;
    const p = r.followUp!(async (x) => {
      posted.push(replyToPlainText(x));
    }).then(() => (done = true));
    for (let i = 0; i < 3_000 && !done; i++) {
      await new Promise((res) => setTimeout(res, 2));
      sandbox.advance(1_000);
    }
    await p;
    const last = posted.at(-1) ?? '';
    expect(last).toMatch(/payments is not steady after|cannot progress/);
    expect(last).toMatch(/Likely why: \*(out of memory: \d+ of the last \d+ crashes|essential container exits: exit 1 in \d+ of \d+ exits in the last hour)\*/);
    expect(last).toMatch(/Next: /);
  }, 60_000);
});
