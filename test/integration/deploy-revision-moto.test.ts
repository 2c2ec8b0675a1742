/**
 * The deploy path of the AWS layer against moto_server, software nobody here wrote: a new revision
 * registered from a rich Fargate task definition keeps every field but the one container's image
 * (roles, ports, environment, secrets, logging, health check, sizes, volumes, runtime platform and
 * tags), sends none of the read-only fields back (moto accepts what ECS would refuse to echo, so the
 * comparison is of what came back), and UpdateService moves the service to it.
 */
import { CreateClusterCommand, CreateServiceCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkContainerService } from '../../src/aws/container-service.ts';
import { hasMotoServer, startMotoServer, type MotoServer } from './moto-server.ts';

const MOTO = hasMotoServer();
if (!MOTO) console.warn('deploy-revision-moto.test.ts: skipped — moto_server is not installed (pip install "moto[server]")');

const REGION = 'us-east-1';
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The fields a registration sets, without the ones ECS fills in (ARN, revision, status, timestamps, …). */
function settable(td: TaskDefinition): Record<string, unknown> {
  const { taskDefinitionArn: _a, revision: _r, status: _s, requiresAttributes: _q, compatibilities: _c, registeredAt: _t, registeredBy: _b, deregisteredAt: _d, ...rest } = td;
  return rest as Record<string, unknown>;
}

describe.skipIf(!MOTO)('registering a deploy revision and updating the service, against moto_server', () => {
  let moto: MotoServer;
  let ecs: ECSClient;
  let containers: SdkContainerService;
  const target = { cluster: 'prod', region: REGION };

  beforeAll(async () => {
    moto = await startMotoServer();
    ecs = new ECSClient({ region: REGION, endpoint: moto.url, credentials: creds });
    containers = new SdkContainerService({ endpoint: moto.url, credentials: creds, maxAttempts: 1 });
    await ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'payments',
        taskRoleArn: 'arn:aws:iam::123456789012:role/payments-task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/payments-exec',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        volumes: [{ name: 'scratch' }],
        tags: [{ key: 'team', value: 'payments' }],
        containerDefinitions: [
          {
            name: 'app',
            image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments:2.3.0',
            essential: true,
            portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
            environment: [{ name: 'MODE', value: 'live' }],
            secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf' }],
            healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'], interval: 30, timeout: 5, retries: 3 },
            mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp/scratch' }],
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/payments', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'ecs' } },
          },
          { name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29', essential: false, memoryReservation: 64 },
        ],
      }),
    );
    await ecs.send(new CreateServiceCommand({ cluster: 'prod', serviceName: 'payments', taskDefinition: 'payments', desiredCount: 2, launchType: 'FARGATE' }));
  }, 120_000);

  afterAll(async () => {
    containers?.destroy();
    ecs?.destroy();
    await moto?.stop();
  });

  it('keeps every field and tag of the current revision but the one image, and the service moves to it', async () => {
    const before = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'payments:1', include: ['TAGS'] })));
    const next = await containers.registerImageRevision(REGION, 'payments:1', { app: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments:2.3.1' });
    expect(next.arn).toMatch(/task-definition\/payments:2$/);
    const after = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'payments:2', include: ['TAGS'] }));
    const expected = settable(before.taskDefinition!);
    const containersExpected = (expected.containerDefinitions as Array<Record<string, unknown>>).map((c) => (c.name === 'app' ? { ...c, image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments:2.3.1' } : c));
    expect(settable(after.taskDefinition!)).toEqual({ ...expected, containerDefinitions: containersExpected });
    expect(after.tags).toEqual(before.tags);
    expect(after.tags).toEqual([{ key: 'team', value: 'payments' }]);

    const s = await containers.updateService(target, 'payments', { taskDefinition: next.arn });
    expect(s.taskDefinition).toBe(next.arn);
    const again = await containers.describeServices(target, ['payments']);
    expect(again.items[0]?.taskDefinition).toBe(next.arn);
  });
});
