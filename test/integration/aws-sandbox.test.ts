/**
 * The AWS layer (Sdk* ports) against the sandbox, for what the crash watcher and the
 * commands rely on: batching limits, MISSING failures, stopped tasks, stream tails,
 * and log pages that come back empty while a next token continues.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsPorts, SANDBOX_CREDENTIALS, type AwsPorts } from '../../src/aws/index.ts';
import { SdkLogSource } from '../../src/aws/log-source.ts';
import { isCloudError } from '../../src/ports/container-service.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';

const REGION = 'us-east-1';
let sandbox: Sandbox;
let aws: AwsPorts;
const demo = { cluster: 'demo', region: REGION };

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }), seed: 3 });
  aws = createAwsPorts({ endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
  const s = sandbox.state;
  s.createCluster('many');
  const td = s.defineTaskDefinition({ family: 'm', logGroup: false });
  for (let i = 0; i < 25; i++) s.createService('many', { name: `m${i}`, taskDefinition: td, desiredCount: 6, logStyle: 'quiet' });
}, 60_000);

afterAll(async () => {
  aws?.destroy();
  await sandbox?.stop();
});

describe('SdkImageRegistry on the sandbox', () => {
  it('returns images with scan counts, and null findings for an unscanned image', async () => {
    const images = await aws.images.listImages(REGION, 'web');
    const withCritical = images.find((i) => i.tags.includes('1.4.0'));
    expect(withCritical?.scan?.counts).toMatchObject({ CRITICAL: 1, HIGH: 1 });
    const findings = await aws.images.scanFindings(REGION, 'web', withCritical!.digest);
    expect(findings?.counts).toMatchObject({ CRITICAL: 1 });
    const unscanned = (await aws.images.listImages(REGION, 'payments')).find((i) => i.tags.includes('3.2.0'))!;
    expect(unscanned.scan).toBeUndefined();
    expect(await aws.images.scanFindings(REGION, 'payments', unscanned.digest)).toBeNull();
  });
});

describe('SdkContainerService on the sandbox', () => {
  it('describes any number of services in batches of 10 and reports missing ones as MISSING', async () => {
    const many = { cluster: 'many', region: REGION };
    const arns = await aws.containers.listServices(many);
    expect(arns).toHaveLength(25);
    const out = await aws.containers.describeServices(many, [...arns, 'ghost', 'm3']);
    expect(out.items).toHaveLength(26);
    expect(out.failures).toEqual([expect.objectContaining({ reason: 'MISSING', arn: expect.stringContaining('ghost') })]);
  });

  it('lists running tasks across pages and describes more than 100 in batches of 100', async () => {
    const many = { cluster: 'many', region: REGION };
    const running = await aws.containers.listTasks(many, { desiredStatus: 'RUNNING' });
    expect(running).toHaveLength(150);
    const out = await aws.containers.describeTasks(many, running);
    expect(out.items).toHaveLength(150);
    expect(out.items.every((t) => t.group?.startsWith('service:m') && t.lastStatus === 'RUNNING')).toBe(true);
    expect(await aws.containers.listTasks(many, { serviceName: 'm1' })).toHaveLength(6);
    expect(await aws.containers.listTasks(many, { limit: 120 })).toHaveLength(120);
  });

  it('finds crashed tasks the way the watcher does: STOPPED ARNs, then their stop codes and exit codes', async () => {
    const stopped = await aws.containers.listTasks(demo, { desiredStatus: 'STOPPED' });
    expect(stopped.length).toBeGreaterThan(0);
    const tasks = (await aws.containers.describeTasks(demo, stopped)).items;
    const crashed = tasks.filter((t) => t.group === 'service:payments' && t.stopCode === 'EssentialContainerExited');
    expect(crashed.length).toBeGreaterThan(0);
    const c = crashed[0]!;
    expect(c.containers[0]?.exitCode).toBeTypeOf('number');
    expect(c.stoppedAt).toBeTypeOf('number');
    expect(c.id).toBe(c.arn.slice(c.arn.lastIndexOf('/') + 1));
    const pull = tasks.find((t) => t.group === 'service:reports');
    expect(pull?.stopCode).toBe('TaskFailedToStart');
  });

  it('reads the awslogs configuration, then the last 20 lines of a container stream', async () => {
    const [svc] = (await aws.containers.describeServices(demo, ['web'])).items;
    const td = await aws.containers.describeTaskDefinition(REGION, svc!.taskDefinition);
    const logs = td.containers[0]!.logs!;
    expect(logs).toEqual({ group: '/ecs/web', region: REGION, streamPrefix: 'ecs' });
    const [taskArn] = await aws.containers.listTasks(demo, { serviceName: 'web' });
    const id = taskArn!.slice(taskArn!.lastIndexOf('/') + 1);
    const tail = await aws.logs.streamTail(REGION, logs.group, `${logs.streamPrefix}/${td.containers[0]!.name}/${id}`, 20);
    expect(tail).toHaveLength(20);
    const ts = tail.map((l) => l.timestamp);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(await aws.logs.streamTail(REGION, logs.group, 'ecs/web/nope', 20)).toEqual([]);
  });

  it('scales through UpdateService and reports the new desired count', async () => {
    const s = await aws.containers.updateService(demo, 'worker', { desiredCount: 2 });
    expect(s.desiredCount).toBe(2);
    const err = await aws.containers.updateService(demo, 'nope', { desiredCount: 1 }).catch((e: unknown) => e);
    expect(isCloudError(err, 'service-not-found')).toBe(true);
    expect((err as Error).message).toContain("'nope'");
  });

  it('turns injected AccessDenied and throttling into typed errors', async () => {
    sandbox.faults.set('ecs:StopTask', { accessDenied: true });
    const [arn] = await aws.containers.listTasks(demo, { serviceName: 'api' });
    const denied = await aws.containers.stopTask(demo, arn!, 'test').catch((e: unknown) => e);
    expect(isCloudError(denied, 'access-denied')).toBe(true);
    expect((denied as Error).message).toContain('AWS denied ecs:StopTask');
    sandbox.faults.set('ecr:DescribeRepositories', { throttle: 1 });
    const throttled = await aws.images.listRepositories(REGION).catch((e: unknown) => e);
    expect(isCloudError(throttled, 'throttled')).toBe(true);
    sandbox.faults.clear();
    const stopped = await aws.containers.stopTask(demo, arn!, 'dockhand test');
    expect(stopped.desiredStatus).toBe('STOPPED');
  }, 30_000);

  it('says which cluster does not exist', async () => {
    const err = await aws.containers.listServices({ cluster: 'nowhere', region: REGION }).catch((e: unknown) => e);
    expect(isCloudError(err, 'cluster-not-found')).toBe(true);
  });
});

describe('SdkLogSource on a window busier than its scan budget', () => {
  it('still returns the newest lines, not the last of the oldest it had time to read', async () => {
    const now = Date.now();
    // 24,000 lines in the last hour over three tasks' streams; the budget stops a plain
    // oldest-first read after the first page of 10,000.
    for (let t = 0; t < 3; t++) {
      const events = Array.from({ length: 8_000 }, (_, k) => k * 3 + t).map((i) => ({ timestamp: now - 3_600_000 + i * 150, message: `line ${i}` }));
      sandbox.state.putLogEvents('/busy', `app/web/t${t}`, events);
    }
    const out = await aws.logs.filterEvents({ region: REGION, group: '/busy', startTime: now - 7_200_000 }, { limit: 20, keep: 'last', maxScanned: 10_000 });
    expect(out.events.map((e) => e.message)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${23_980 + i}`));
    expect(out.incomplete).toBe(true);
  });
});

describe('SdkLogSource paging', () => {
  let server: Server;
  let logs: SdkLogSource;
  let calls = 0;

  beforeAll(async () => {
    // A server whose pages are empty while the token continues, as CloudWatch's can be.
    const pages = [
      { events: [], nextToken: 't1' },
      { events: [{ logStreamName: 's/a', timestamp: 1000, message: 'one\n', eventId: 'e1' }], nextToken: 't2' },
      { events: [], nextToken: 't3' },
      { events: [], nextToken: 't4' },
      { events: [{ logStreamName: 's/b', timestamp: 2000, message: 'two', eventId: 'e2' }] },
    ];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls++;
        const token = (JSON.parse(body) as { nextToken?: string }).nextToken;
        const i = token ? Number(token.slice(1)) : 0;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(pages[i]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    logs = new SdkLogSource({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  });

  afterAll(async () => {
    logs.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('keeps reading past empty pages until the token ends', async () => {
    const out = await logs.filterEvents({ region: REGION, group: '/g' }, { limit: 10, keep: 'last' });
    expect(calls).toBe(5);
    expect(out.events.map((e) => e.message)).toEqual(['one', 'two']);
    expect(out).toMatchObject({ matched: 2, incomplete: false });
  });
});
