import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Service, Task } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';

const T0 = Date.UTC(2026, 10, 27, 9);
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
let sandbox: Sandbox;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;

beforeEach(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ manual: true, start: T0 }) });
  ecs = new ECSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  logs = new CloudWatchLogsClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  sandbox.state.createCluster('lab');
});

afterEach(async () => {
  ecs.destroy();
  logs.destroy();
  await sandbox.stop();
});

async function service(name: string): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: 'lab', services: [name] }));
  const s = out.services?.[0];
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

async function tasks(serviceName: string, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> {
  const list = await ecs.send(new ListTasksCommand({ cluster: 'lab', serviceName, desiredStatus }));
  if (!list.taskArns?.length) return [];
  const out = await ecs.send(new DescribeTasksCommand({ cluster: 'lab', tasks: list.taskArns }));
  return out.tasks ?? [];
}

function messages(s: Service): string[] {
  return (s.events ?? []).map((e) => e.message ?? '');
}

describe('sandbox lifecycle on a stepped clock', () => {
  it('scales up through PROVISIONING, PENDING and ACTIVATING to RUNNING, then reports a steady state', async () => {
    sandbox.state.createService('lab', { name: 'web', taskDefinition: sandbox.state.defineTaskDefinition({ family: 'web' }), desiredCount: 0 });
    await ecs.send(new UpdateServiceCommand({ cluster: 'lab', service: 'web', desiredCount: 2 }));
    sandbox.tick();
    let s = await service('web');
    expect(s).toMatchObject({ desiredCount: 2, runningCount: 0, pendingCount: 2 });
    expect(messages(s)[0]).toMatch(/^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);
    const seen: string[] = [(await tasks('web'))[0]?.lastStatus ?? ''];
    for (let i = 0; i < 8; i++) {
      sandbox.advance(1_000);
      const status = (await tasks('web'))[0]?.lastStatus ?? '';
      if (seen[seen.length - 1] !== status) seen.push(status);
    }
    expect(seen).toEqual(['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING']);
    const running = await tasks('web');
    expect(running.every((t) => t.startedAt instanceof Date && t.pullStartedAt instanceof Date && t.pullStoppedAt instanceof Date)).toBe(true);
    s = await service('web');
    expect(s).toMatchObject({ runningCount: 2, pendingCount: 0 });
    expect(messages(s)[0]).toBe('(service web) has reached a steady state.');
  });

  it('scales down with ServiceSchedulerInitiated, keeps stopped tasks about an hour, then drops them', async () => {
    sandbox.state.createService('lab', { name: 'api', taskDefinition: sandbox.state.defineTaskDefinition({ family: 'api' }), desiredCount: 3 });
    const dep = (await service('api')).deployments?.[0]?.id ?? '';
    await ecs.send(new UpdateServiceCommand({ cluster: 'lab', service: 'api', desiredCount: 1 }));
    sandbox.tick();
    const s = await service('api');
    expect(messages(s)[0]).toMatch(/^\(service api\) has stopped 2 running tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);
    let stopped = await tasks('api', 'STOPPED');
    expect(stopped).toHaveLength(2);
    expect(stopped[0]).toMatchObject({
      desiredStatus: 'STOPPED',
      lastStatus: 'DEACTIVATING',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: `Scaling activity initiated by (deployment ${dep})`,
    });
    sandbox.advance(10_000);
    stopped = await tasks('api', 'STOPPED');
    expect(stopped.map((t) => t.lastStatus)).toEqual(['STOPPED', 'STOPPED']);
    expect(stopped[0]?.containers?.[0]?.exitCode).toBe(0);
    expect(stopped[0]?.stoppedAt).toBeInstanceOf(Date);
    expect(await tasks('api')).toHaveLength(1);
    sandbox.advance(59 * 60_000);
    expect(await tasks('api', 'STOPPED')).toHaveLength(2);
    sandbox.advance(2 * 60_000);
    expect(await tasks('api', 'STOPPED')).toHaveLength(0);
    const gone = await ecs.send(new DescribeTasksCommand({ cluster: 'lab', tasks: stopped.map((t) => t.taskArn ?? '') }));
    expect(gone.failures?.map((f) => f.reason)).toEqual(['MISSING', 'MISSING']);
  });

  it('rolls a forced deployment: new tasks first, old ones drained, PRIMARY/ACTIVE until COMPLETED', async () => {
    sandbox.state.createService('lab', { name: 'web', taskDefinition: sandbox.state.defineTaskDefinition({ family: 'web' }), desiredCount: 2 });
    const oldTasks = await tasks('web');
    const out = await ecs.send(new UpdateServiceCommand({ cluster: 'lab', service: 'web', forceNewDeployment: true }));
    const deps = out.service?.deployments ?? [];
    expect(deps.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    const newId = deps[0]?.id ?? '';
    sandbox.tick();
    expect((await tasks('web')).length).toBe(4);
    sandbox.advance(5_000);
    expect((await tasks('web')).filter((t) => t.startedBy === deps[1]?.id)).toHaveLength(2);
    sandbox.advance(5_000);
    const now = await tasks('web');
    expect(now.map((t) => t.startedBy)).toEqual([newId, newId]);
    const drained = await tasks('web', 'STOPPED');
    expect(drained.map((t) => t.taskArn).sort()).toEqual(oldTasks.map((t) => t.taskArn).sort());
    expect(drained[0]?.stoppedReason).toBe(`Scaling activity initiated by (deployment ${deps[1]?.id ?? ''})`);
    sandbox.advance(10_000);
    let s = await service('web');
    expect(s.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([['PRIMARY', 'IN_PROGRESS']]);
    sandbox.advance(60_000);
    s = await service('web');
    expect(s.deployments?.[0]).toMatchObject({ rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${newId} completed.` });
    expect(messages(s).slice(0, 2)).toEqual([`(service web) has reached a steady state.`, `(service web) (deployment ${newId}) deployment completed.`]);
  });

  it('deploys a new task definition revision', async () => {
    const td = sandbox.state.defineTaskDefinition({ family: 'worker' });
    sandbox.state.createService('lab', { name: 'worker', taskDefinition: td, desiredCount: 1 });
    const reg = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'worker', containerDefinitions: [{ name: 'worker', image: 'worker:2' }] }));
    const out = await ecs.send(new UpdateServiceCommand({ cluster: 'lab', service: 'worker', taskDefinition: 'worker:2' }));
    expect(out.service?.taskDefinition).toBe(reg.taskDefinition?.taskDefinitionArn);
    sandbox.advance(15_000);
    const running = await tasks('worker');
    expect(running.map((t) => t.taskDefinitionArn)).toEqual([reg.taskDefinition?.taskDefinitionArn]);
  });

  it('crash-loops a service: exit 1 with EssentialContainerExited, every third an OOM kill, replaced each time', async () => {
    const td = sandbox.state.defineTaskDefinition({ family: 'payments' });
    sandbox.state.createService('lab', {
      name: 'payments',
      taskDefinition: td,
      desiredCount: 1,
      logStyle: 'payments',
      running: false,
      failure: { kind: 'crash', runMs: 40_000, oomEvery: 3 },
    });
    sandbox.advance(6 * 60_000);
    const stopped = (await tasks('payments', 'STOPPED')).sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
    expect(stopped.length).toBeGreaterThanOrEqual(6);
    for (const t of stopped) expect(t).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', group: 'service:payments' });
    expect(stopped.slice(0, 6).map((t) => t.containers?.[0]?.exitCode)).toEqual([1, 1, 137, 1, 1, 137]);
    expect(stopped[2]?.containers?.[0]?.reason).toBe('OutOfMemoryError: Container killed due to memory usage');
    expect(stopped[0]?.containers?.[0]?.reason).toBeUndefined();

    const s = await service('payments');
    expect(messages(s).filter((m) => m.startsWith('(service payments) has started 1 tasks')).length).toBeGreaterThanOrEqual(7);
    expect(messages(s)).not.toContain('(service payments) has reached a steady state.');
    expect(s.deployments?.[0]?.rolloutState).toBe('IN_PROGRESS');
    expect(s.deployments?.[0]?.failedTasks).toBe(stopped.length);

    const firstId = stopped[0]?.taskArn?.split('/').pop() ?? '';
    const crashLog = await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/payments', logStreamName: `ecs/payments/${firstId}`, limit: 3 }));
    expect(crashLog.events?.at(-1)?.message).toMatch(/FATAL could not connect to database .*connection refused/);
    const oomId = stopped[2]?.taskArn?.split('/').pop() ?? '';
    const oomLog = await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/payments', logStreamName: `ecs/payments/${oomId}`, limit: 1 }));
    expect(oomLog.events?.[0]?.message).toBe('Killed');
  });

  it('fails to start tasks whose image cannot be pulled and backs off', async () => {
    const td = sandbox.state.defineTaskDefinition({ family: 'reports', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/reports:0.6.0' });
    sandbox.state.createService('lab', { name: 'reports', taskDefinition: td, desiredCount: 1, failure: { kind: 'image-pull' } });
    sandbox.advance(4 * 60_000);
    const stopped = await tasks('reports', 'STOPPED');
    expect(stopped.length).toBeGreaterThanOrEqual(3);
    expect(stopped.length).toBeLessThan(10);
    const t = stopped[0];
    expect(t?.stopCode).toBe('TaskFailedToStart');
    expect(t?.stoppedReason).toMatch(/^CannotPullContainerError: .*reports:0\.6\.0.*not found$/);
    expect(t?.containers?.[0]?.reason).toBe(t?.stoppedReason);
    expect(t?.containers?.[0]?.exitCode).toBeUndefined();
    expect(t?.startedAt).toBeUndefined();
    const s = await service('reports');
    expect(s.runningCount).toBe(0);
    expect(messages(s).some((m) => m.includes('is unable to consistently start tasks successfully'))).toBe(true);
  });

  it('replaces tasks that fail container health checks', async () => {
    const td = sandbox.state.defineTaskDefinition({ family: 'cache', healthCheck: true });
    sandbox.state.createService('lab', { name: 'cache', taskDefinition: td, desiredCount: 1, failure: { kind: 'health-check', runMs: 30_000 } });
    sandbox.advance(45_000);
    const [t] = await tasks('cache', 'STOPPED');
    expect(t).toMatchObject({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks', healthStatus: 'UNHEALTHY' });
    expect(t?.containers?.[0]?.healthStatus).toBe('UNHEALTHY');
    const s = await service('cache');
    expect(messages(s).some((m) => /^\(service cache\) \(task [0-9a-f]{32}\) failed container health checks\.$/.test(m))).toBe(true);
    expect(s.runningCount! + s.pendingCount!).toBe(1);
  });

  it('fails a rollout with the deployment circuit breaker', async () => {
    const td = sandbox.state.defineTaskDefinition({ family: 'jobs' });
    sandbox.state.createService('lab', { name: 'jobs', taskDefinition: td, desiredCount: 1, failure: { kind: 'image-pull' }, circuitBreaker: { enable: true, rollback: false } });
    sandbox.advance(3 * 60_000);
    const s = await service('jobs');
    expect(s.deployments?.[0]).toMatchObject({ rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
  });

  it('replaces a task stopped by the user, and running tasks keep writing log lines', async () => {
    sandbox.state.createService('lab', { name: 'web', taskDefinition: sandbox.state.defineTaskDefinition({ family: 'web' }), desiredCount: 1, logStyle: 'web' });
    const [first] = await tasks('web');
    await ecs.send(new StopTaskCommand({ cluster: 'lab', task: first?.taskArn ?? '', reason: 'debugging' }));
    sandbox.advance(10_000);
    const [second] = await tasks('web');
    expect(second?.taskArn).not.toBe(first?.taskArn);
    expect(second?.lastStatus).toBe('RUNNING');
    sandbox.advance(60_000);
    const id = second?.taskArn?.split('/').pop() ?? '';
    const out = await logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/web', logStreamNames: [`ecs/web/${id}`], filterPattern: 'HTTP/1.1' }));
    expect(out.events?.length).toBeGreaterThanOrEqual(8);
    expect(out.events?.[0]?.message).toMatch(/^10\.0\.\d+\.\d+ - - \[27\/Nov\/2026:09:\d\d:\d\d \+0000\] "GET \S+ HTTP\/1\.1" \d{3} \d+/);
  });
});
