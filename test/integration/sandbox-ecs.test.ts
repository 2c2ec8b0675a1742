import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  paginateListServices,
  paginateListTasks,
} from '@aws-sdk/client-ecs';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { rejection } from './sdk-rejection.ts';

let sandbox: Sandbox;
let ecs: ECSClient;


beforeAll(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ manual: true, start: Date.UTC(2026, 10, 27, 9) }) });
  ecs = new ECSClient({
    endpoint: sandbox.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const s = sandbox.state;
  s.createCluster('big');
  s.createCluster('small');
  const td = s.defineTaskDefinition({ family: 'svc', logGroup: false });
  for (let i = 0; i < 230; i++) {
    s.createService('big', { name: `svc-${String(i).padStart(3, '0')}`, taskDefinition: td, desiredCount: i < 25 ? 10 : 0, logStyle: 'quiet' });
  }
  s.createService('small', { name: 'web', taskDefinition: s.defineTaskDefinition({ family: 'web' }), desiredCount: 2 });
  for (let i = 0; i < 105; i++) s.createCluster(`extra-${i}`);
});

afterAll(async () => {
  ecs.destroy();
  await sandbox.stop();
});

describe('sandbox ECS: clusters', () => {
  it('lists clusters across pages of at most 100', async () => {
    const first = await ecs.send(new ListClustersCommand({}));
    expect(first.clusterArns).toHaveLength(100);
    expect(first.nextToken).toBeTruthy();
    const second = await ecs.send(new ListClustersCommand({ nextToken: first.nextToken }));
    expect(second.clusterArns).toHaveLength(7);
    expect(second.nextToken).toBeUndefined();
    expect(first.clusterArns?.[0]).toBe('arn:aws:ecs:us-east-1:123456789012:cluster/big');
  });

  it('describes clusters with counts and reports missing ones as failures', async () => {
    const out = await ecs.send(new DescribeClustersCommand({ clusters: ['small', 'nope'] }));
    expect(out.clusters?.[0]).toMatchObject({ clusterName: 'small', status: 'ACTIVE', runningTasksCount: 2, activeServicesCount: 1 });
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/nope', reason: 'MISSING' }]);
  });

  it('refuses maxResults over 100', async () => {
    const err = await rejection(ecs.send(new ListClustersCommand({ maxResults: 101 })));
    expect(err).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  });
});

describe('sandbox ECS: services', () => {
  it('pages ListServices 10 at a time by default and 100 at most', async () => {
    const first = await ecs.send(new ListServicesCommand({ cluster: 'big' }));
    expect(first.serviceArns).toHaveLength(10);
    const all: string[] = [];
    for await (const page of paginateListServices({ client: ecs, pageSize: 100 }, { cluster: 'big' })) {
      expect(page.serviceArns?.length).toBeLessThanOrEqual(100);
      all.push(...(page.serviceArns ?? []));
    }
    expect(all).toHaveLength(230);
    expect(new Set(all).size).toBe(230);
    expect(all[229]).toBe('arn:aws:ecs:us-east-1:123456789012:service/big/svc-229');
  });

  it('describes services by name and ARN, with deployments and events', async () => {
    const out = await ecs.send(
      new DescribeServicesCommand({ cluster: 'small', services: ['web', 'arn:aws:ecs:us-east-1:123456789012:service/small/web'] }),
    );
    expect(out.services).toHaveLength(2);
    const web = out.services?.[0];
    expect(web).toMatchObject({ serviceName: 'web', status: 'ACTIVE', desiredCount: 2, runningCount: 2, pendingCount: 0, launchType: 'FARGATE' });
    expect(web?.deployments).toHaveLength(1);
    expect(web?.deployments?.[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 });
    expect(web?.deployments?.[0]?.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(web?.events?.[0]?.message).toBe('(service web) has reached a steady state.');
    expect(web?.createdAt).toBeInstanceOf(Date);
    expect(web?.createdAt?.getTime()).toBe(Date.UTC(2026, 10, 27, 9));
  });

  it('answers unknown services in failures with reason MISSING', async () => {
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'small', services: ['web', 'ghost'] }));
    expect(out.services?.map((s) => s.serviceName)).toEqual(['web']);
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/small/ghost', reason: 'MISSING' }]);
  });

  it('refuses 11 services in one DescribeServices', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
    const err = await rejection(ecs.send(new DescribeServicesCommand({ cluster: 'big', services: names })));
    expect(err).toEqual({ name: 'InvalidParameterException', message: 'service names can have at most 10 items.', status: 400 });
    const ok = await ecs.send(new DescribeServicesCommand({ cluster: 'big', services: names.slice(0, 10) }));
    expect(ok.services).toHaveLength(10);
  });

  it('answers an unknown cluster with ClusterNotFoundException', async () => {
    for (const call of [
      ecs.send(new ListServicesCommand({ cluster: 'nowhere' })),
      ecs.send(new DescribeServicesCommand({ cluster: 'nowhere', services: ['web'] })),
      ecs.send(new ListTasksCommand({ cluster: 'nowhere' })),
      ecs.send(new DescribeTasksCommand({ cluster: 'nowhere', tasks: ['abc'] })),
      ecs.send(new UpdateServiceCommand({ cluster: 'nowhere', service: 'web', desiredCount: 1 })),
    ]) {
      expect(await rejection(call)).toEqual({ name: 'ClusterNotFoundException', message: 'Cluster not found.', status: 400 });
    }
  });

  it('answers UpdateService on an unknown service with ServiceNotFoundException', async () => {
    const err = await rejection(ecs.send(new UpdateServiceCommand({ cluster: 'small', service: 'ghost', desiredCount: 3 })));
    expect(err).toEqual({ name: 'ServiceNotFoundException', message: 'Service not found.', status: 400 });
  });

  it('updates the desired count and returns the service', async () => {
    const out = await ecs.send(new UpdateServiceCommand({ cluster: 'big', service: 'svc-100', desiredCount: 4 }));
    expect(out.service).toMatchObject({ serviceName: 'svc-100', desiredCount: 4, runningCount: 0 });
    const err = await rejection(ecs.send(new UpdateServiceCommand({ cluster: 'big', service: 'svc-100', desiredCount: -1 })));
    expect(err.name).toBe('InvalidParameterException');
  });
});

describe('sandbox ECS: tasks', () => {
  it('pages ListTasks 100 at a time over 250 running tasks', async () => {
    const all: string[] = [];
    let pages = 0;
    for await (const page of paginateListTasks({ client: ecs }, { cluster: 'big' })) {
      pages++;
      expect(page.taskArns?.length).toBeLessThanOrEqual(100);
      all.push(...(page.taskArns ?? []));
    }
    expect(pages).toBe(3);
    expect(new Set(all).size).toBe(250);
  });

  it('filters tasks by service, family, startedBy and desired status', async () => {
    const byService = await ecs.send(new ListTasksCommand({ cluster: 'big', serviceName: 'svc-003' }));
    expect(byService.taskArns).toHaveLength(10);
    const byFamily = await ecs.send(new ListTasksCommand({ cluster: 'small', family: 'web' }));
    expect(byFamily.taskArns).toHaveLength(2);
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'small', tasks: byFamily.taskArns }));
    const startedBy = described.tasks?.[0]?.startedBy ?? '';
    expect(startedBy).toMatch(/^ecs-svc\/\d{19}$/);
    const byStarter = await ecs.send(new ListTasksCommand({ cluster: 'small', startedBy }));
    expect(byStarter.taskArns).toHaveLength(2);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'small', desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toEqual([]);
    const missing = await rejection(ecs.send(new ListTasksCommand({ cluster: 'small', serviceName: 'ghost' })));
    expect(missing.name).toBe('ServiceNotFoundException');
  });

  it('lists standalone tasks by family and startedBy', async () => {
    const td = sandbox.state.defineTaskDefinition({ family: 'migrate', logGroup: false });
    const task = sandbox.state.runTask('small', td, { startedBy: 'ci-pipeline' });
    const byStarter = await ecs.send(new ListTasksCommand({ cluster: 'small', startedBy: 'ci-pipeline' }));
    expect(byStarter.taskArns).toEqual([task.arn]);
    const byFamily = await ecs.send(new ListTasksCommand({ cluster: 'small', family: 'migrate' }));
    expect(byFamily.taskArns).toEqual([task.arn]);
    const out = await ecs.send(new DescribeTasksCommand({ cluster: 'small', tasks: [task.id] }));
    expect(out.tasks?.[0]).toMatchObject({ group: 'family:migrate', startedBy: 'ci-pipeline', lastStatus: 'PROVISIONING' });
  });

  it('describes tasks with the shape ECS gives', async () => {
    const list = await ecs.send(new ListTasksCommand({ cluster: 'small', serviceName: 'web' }));
    const out = await ecs.send(new DescribeTasksCommand({ cluster: 'small', tasks: list.taskArns }));
    const task = out.tasks?.[0];
    expect(task).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: 'service:web',
      launchType: 'FARGATE',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/small',
    });
    expect(task?.taskArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/small\/[0-9a-f]{32}$/);
    expect(task?.startedAt).toBeInstanceOf(Date);
    expect(task?.containers?.[0]).toMatchObject({ name: 'web', lastStatus: 'RUNNING' });
  });

  it('describes at most 100 tasks and reports missing ones', async () => {
    const list = await ecs.send(new ListTasksCommand({ cluster: 'big', maxResults: 100 }));
    const arns = list.taskArns ?? [];
    const ok = await ecs.send(new DescribeTasksCommand({ cluster: 'big', tasks: arns }));
    expect(ok.tasks).toHaveLength(100);
    const err = await rejection(ecs.send(new DescribeTasksCommand({ cluster: 'big', tasks: [...arns, 'deadbeef'] })));
    expect(err).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    const partial = await ecs.send(new DescribeTasksCommand({ cluster: 'big', tasks: [arns[0] ?? '', '0123456789abcdef0123456789abcdef'] }));
    expect(partial.tasks).toHaveLength(1);
    expect(partial.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:task/big/0123456789abcdef0123456789abcdef', reason: 'MISSING' }]);
  });

  it('stops a task with UserInitiated and the given reason', async () => {
    const list = await ecs.send(new ListTasksCommand({ cluster: 'big', serviceName: 'svc-010' }));
    const arn = list.taskArns?.[0] ?? '';
    const out = await ecs.send(new StopTaskCommand({ cluster: 'big', task: arn, reason: 'testing a stop' }));
    expect(out.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'testing a stop', lastStatus: 'DEACTIVATING' });
    const missing = await rejection(ecs.send(new StopTaskCommand({ cluster: 'big', task: 'ffffffffffffffffffffffffffffffff' })));
    expect(missing).toMatchObject({ name: 'InvalidParameterException', message: 'The referenced task was not found.' });
  });
});

describe('sandbox ECS: task definitions', () => {
  it('registers, describes and lists task definition revisions', async () => {
    const reg = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'billing',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: 'billing',
            image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/billing:1.0.0',
            essential: true,
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/billing', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' } },
          },
        ],
      }),
    );
    expect(reg.taskDefinition).toMatchObject({ family: 'billing', revision: 1, status: 'ACTIVE' });
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'billing', containerDefinitions: [{ name: 'billing', image: 'billing:1.0.1' }] }));
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'billing' }));
    expect(latest.taskDefinition?.revision).toBe(2);
    const first = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'billing:1' }));
    expect(first.taskDefinition?.containerDefinitions?.[0]?.logConfiguration?.options?.['awslogs-group']).toBe('/ecs/billing');
    const byArn = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/billing:2' }));
    expect(byArn.taskDefinition?.registeredAt).toBeInstanceOf(Date);

    const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'billing', sort: 'DESC' }));
    expect(listed.taskDefinitionArns).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:task-definition/billing:2',
      'arn:aws:ecs:us-east-1:123456789012:task-definition/billing:1',
    ]);
    const paged = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1 }));
    expect(paged.taskDefinitionArns).toHaveLength(1);
    const next = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 100, nextToken: paged.nextToken }));
    const all = await ecs.send(new ListTaskDefinitionsCommand({}));
    expect(all.taskDefinitionArns).toContain('arn:aws:ecs:us-east-1:123456789012:task-definition/billing:2');
    expect([...(paged.taskDefinitionArns ?? []), ...(next.taskDefinitionArns ?? [])]).toEqual(all.taskDefinitionArns);
  });

  it('refuses unknown or invalid task definitions with ClientException', async () => {
    const unknown = await rejection(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nothing:9' })));
    expect(unknown).toEqual({ name: 'ClientException', message: 'Unable to describe task definition.', status: 400 });
    const invalid = await rejection(ecs.send(new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [] })));
    expect(invalid.name).toBe('ClientException');
  });
});
