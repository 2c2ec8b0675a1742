import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListClustersCommand, ListServicesCommand, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';

const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

async function rejection(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; fault: string | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, fault: e.$fault };
  }
  throw new Error('expected the call to fail');
}

describe('sandbox protocol', () => {
  let sandbox: Sandbox;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ clock: new SandboxClock({ manual: true }) });
    sandbox.state.createCluster('default');
    ecs = new ECSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
    logs = new CloudWatchLogsClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  });

  afterAll(async () => {
    ecs.destroy();
    logs.destroy();
    await sandbox.stop();
  });

  async function post(target: string | undefined, body = '{}'): Promise<{ status: number; type: string | null; json: { __type?: string; message?: string } }> {
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
    if (target !== undefined) headers['x-amz-target'] = target;
    const res = await fetch(`${sandbox.endpoint}/`, { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), json: (await res.json()) as { __type?: string; message?: string } };
  }

  it('listens on 127.0.0.1 and answers with AWS JSON 1.1', async () => {
    expect(sandbox.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${sandbox.endpoint}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toEqual({ clusterArns: ['arn:aws:ecs:us-east-1:123456789012:cluster/default'] });
  });

  it('answers an unknown or missing X-Amz-Target with UnknownOperationException', async () => {
    for (const target of ['AmazonEC2ContainerServiceV20141113.LaunchRockets', 'Nope_2020.ListThings', undefined]) {
      const out = await post(target);
      expect(out.status).toBe(400);
      expect(out.type).toBe('UnknownOperationException');
      expect(out.json.__type).toBe('UnknownOperationException');
      expect(typeof out.json.message).toBe('string');
    }
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    const out = await post('AmazonEC2ContainerServiceV20141113.ListClusters', '{not json');
    expect(out).toMatchObject({ status: 400, json: { __type: 'SerializationException' } });
  });

  it('injects nothing unless asked', async () => {
    for (let i = 0; i < 5; i++) await ecs.send(new ListServicesCommand({}));
  });

  it('throttles a share of calls with ThrottlingException (HTTP 400), deterministically', async () => {
    sandbox.faults.set('ListServices', { throttle: 0.5 });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(await ecs.send(new ListServicesCommand({})).then(() => 'ok', (e: { name: string; $metadata?: { httpStatusCode?: number } }) => `${e.name}/${e.$metadata?.httpStatusCode}`));
    }
    expect(outcomes).toEqual(['ok', 'ThrottlingException/400', 'ok', 'ThrottlingException/400']);
    const retrying = new ECSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 3 });
    await expect(retrying.send(new ListServicesCommand({}))).resolves.toBeDefined();
    retrying.destroy();
    sandbox.faults.clear();
  });

  it('answers a share of calls with a server error (5xx)', async () => {
    sandbox.faults.set('ecs:ListClusters', { serverError: 1 });
    await expect(ecs.send(new ListServicesCommand({}))).resolves.toBeDefined();
    expect(await rejection(ecs.send(new ListClustersCommand({})))).toEqual({ name: 'ServerException', status: 500, fault: 'server' });
    sandbox.faults.set('logs:DescribeLogGroups', { serverError: 1 });
    expect(await rejection(logs.send(new DescribeLogGroupsCommand({})))).toEqual({ name: 'ServiceUnavailableException', status: 500, fault: 'server' });
    sandbox.faults.clear();
  });

  it('denies access with AccessDeniedException', async () => {
    sandbox.faults.set('*', { accessDenied: true });
    expect(await rejection(ecs.send(new ListServicesCommand({})))).toEqual({ name: 'AccessDeniedException', status: 400, fault: 'client' });
    expect(await rejection(logs.send(new DescribeLogGroupsCommand({})))).toMatchObject({ name: 'AccessDeniedException' });
    sandbox.faults.clear('*');
    await expect(ecs.send(new ListServicesCommand({}))).resolves.toBeDefined();
  });

  it('can answer FilterLogEvents with empty pages that still carry a nextToken', async () => {
    sandbox.state.putLogEvents('/app/x', 's', [{ timestamp: 1_000, message: 'hello' }]);
    sandbox.faults.set('FilterLogEvents', { emptyPage: 1 });
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/x' }));
    expect(first.events).toEqual([]);
    expect(first.nextToken).toBeTruthy();
    sandbox.faults.clear();
    const second = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/x', nextToken: first.nextToken }));
    expect(second.events?.map((e) => e.message)).toEqual(['hello']);
    expect(second.nextToken).toBeUndefined();
    sandbox.faults.clear();
  });

  it('adds latency', async () => {
    sandbox.faults.set('ListServices', { latencyMs: 150 });
    const started = Date.now();
    await ecs.send(new ListServicesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sandbox.faults.clear();
  });
});

describe('sandbox clock', () => {
  it('runs faster than real time with a speed factor', async () => {
    const sandbox = await startSandbox({ speed: 200, tickIntervalMs: 10 });
    try {
      sandbox.state.createCluster('fast');
      sandbox.state.createService('fast', { name: 'web', taskDefinition: sandbox.state.defineTaskDefinition({ family: 'web' }), desiredCount: 0 });
      const ecs = new ECSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds });
      const before = sandbox.clock.now();
      await ecs.send(new UpdateServiceCommand({ cluster: 'fast', service: 'web', desiredCount: 1 }));
      await new Promise((r) => setTimeout(r, 300));
      expect(sandbox.clock.now() - before).toBeGreaterThanOrEqual(50_000);
      const list = await ecs.send(new ListTasksCommand({ cluster: 'fast' }));
      const out = await ecs.send(new DescribeTasksCommand({ cluster: 'fast', tasks: list.taskArns }));
      expect(out.tasks?.[0]?.lastStatus).toBe('RUNNING');
      ecs.destroy();
    } finally {
      await sandbox.stop();
    }
  });

  it('wakes sleepers when a manual clock advances', async () => {
    const clock = new SandboxClock({ manual: true, start: 1_000 });
    let woke = false;
    const p = clock.sleep(5_000).then(() => (woke = true));
    clock.advance(4_000);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1_000);
    await p;
    expect(woke).toBe(true);
    expect(clock.now()).toBe(6_000);
  });
});

describe('sandbox demo scenario', () => {
  let sandbox: Sandbox;
  let ecs: ECSClient;
  let ecr: ECRClient;
  let logs: CloudWatchLogsClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }) });
    ecs = new ECSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds });
    ecr = new ECRClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds });
    logs = new CloudWatchLogsClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds });
  });

  afterAll(async () => {
    ecs.destroy();
    ecr.destroy();
    logs.destroy();
    await sandbox.stop();
  });

  it('has cluster demo with healthy, crash-looping, unpullable and health-check-failing services', async () => {
    const names = ['web', 'api', 'worker', 'payments', 'reports', 'search'];
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: names }));
    const byName = new Map(out.services?.map((s) => [s.serviceName, s]));
    expect(byName.get('web')).toMatchObject({ desiredCount: 2, runningCount: 2 });
    expect(byName.get('api')).toMatchObject({ desiredCount: 3, runningCount: 3 });
    expect(byName.get('worker')).toMatchObject({ desiredCount: 1, runningCount: 1 });
    expect(byName.get('reports')).toMatchObject({ desiredCount: 1, runningCount: 0 });

    const crashed = await ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'payments', desiredStatus: 'STOPPED' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: crashed.taskArns }));
    const codes = described.tasks?.map((t) => t.containers?.[0]?.exitCode);
    expect(codes).toContain(1);
    expect(codes).toContain(137);
    const failed = await ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'reports', desiredStatus: 'STOPPED' }));
    const reports = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: failed.taskArns }));
    expect(reports.tasks?.[0]?.stopCode).toBe('TaskFailedToStart');
    const unhealthy = await ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'search', desiredStatus: 'STOPPED' }));
    const search = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: unhealthy.taskArns }));
    expect(search.tasks?.[0]).toMatchObject({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' });
  });

  it('has ECR repositories with several images, and web runs an older tag than the newest', async () => {
    const repos = await ecr.send(new DescribeRepositoriesCommand({}));
    expect(repos.repositories?.map((r) => r.repositoryName)).toEqual(expect.arrayContaining(['web', 'api', 'worker']));
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web' }));
    expect(images.imageDetails?.length).toBeGreaterThanOrEqual(3);
    const newest = [...(images.imageDetails ?? [])].sort((a, b) => (b.imagePushedAt?.getTime() ?? 0) - (a.imagePushedAt?.getTime() ?? 0))[0];
    const web = await ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    const list = await ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'web' }));
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: list.taskArns }));
    const running = tasks.tasks?.[0]?.containers?.[0];
    expect(web.services?.[0]?.taskDefinition).toMatch(/task-definition\/web:2$/);
    expect(running?.image).toMatch(/\/web:1\.4\.0$/);
    expect(newest?.imageTags).toContain('1.4.1');
    expect(running?.imageDigest).not.toBe(newest?.imageDigest);
  });

  it('has log lines flowing for running tasks and the crash lines of payments', async () => {
    const before = await logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/web', filterPattern: 'HTTP/1.1' }));
    sandbox.advance(30_000);
    const after = await logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/web', filterPattern: 'HTTP/1.1' }));
    expect(after.events?.length ?? 0).toBeGreaterThan(before.events?.length ?? 0);
    const fatal = await logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments', filterPattern: '?FATAL ?Killed' }));
    expect(fatal.events?.some((e) => e.message === 'Killed')).toBe(true);
    expect(fatal.events?.some((e) => e.message?.includes('FATAL could not connect'))).toBe(true);
  });
});
