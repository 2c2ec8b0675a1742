import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkContainerService } from '../../src/aws/container-service.ts';
import { SdkImageRegistry } from '../../src/aws/image-registry.ts';
import { SdkLogSource } from '../../src/aws/log-source.ts';
import { isCloudError } from '../../src/ports/container-service.ts';
import { hasMotoServer, startMotoServer, type MotoServer } from './moto-server.ts';

const MOTO = hasMotoServer();
if (!MOTO) console.warn('aws-moto.test.ts: skipped — moto_server is not installed (pip install "moto[server]")');

const REGION = 'us-east-1';
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

describe.skipIf(!MOTO)('the AWS layer against moto_server (an independent AWS emulator)', () => {
  let moto: MotoServer;
  let containers: SdkContainerService;
  let images: SdkImageRegistry;
  let logs: SdkLogSource;
  const target = { cluster: 'demo', region: REGION };

  beforeAll(async () => {
    moto = await startMotoServer();
    const opts = { endpoint: moto.url, credentials: creds, maxAttempts: 1 };
    containers = new SdkContainerService(opts);
    images = new SdkImageRegistry(opts);
    logs = new SdkLogSource(opts);

    const ecs = new ECSClient({ region: REGION, endpoint: moto.url, credentials: creds });
    await ecs.send(new CreateClusterCommand({ clusterName: 'demo' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        containerDefinitions: [
          {
            name: 'app',
            image: 'nginx:1.27',
            memory: 256,
            essential: true,
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': '/ecs/web', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'web' },
            },
          },
        ],
      }),
    );
    // 23 services: more than two DescribeServices batches of 10.
    for (let i = 0; i < 23; i++) {
      await ecs.send(new CreateServiceCommand({ cluster: 'demo', serviceName: i === 0 ? 'web' : `svc-${i}`, taskDefinition: 'web', desiredCount: 1 }));
    }
    ecs.destroy();

    const ecr = new ECRClient({ region: REGION, endpoint: moto.url, credentials: creds });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'worker' }));
    // 1,005 images: more than one DescribeImages page of 1,000.
    const batch: Array<Promise<unknown>> = [];
    for (let i = 0; i < 1005; i++) {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 100 + i, digest: `sha256:${i.toString(16).padStart(64, '0')}` },
        layers: [],
      });
      batch.push(ecr.send(new PutImageCommand({ repositoryName: 'web', imageManifest: manifest, imageTag: `v${i}` })));
      if (batch.length === 20) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    ecr.destroy();

    const cw = new CloudWatchLogsClient({ region: REGION, endpoint: moto.url, credentials: creds });
    await cw.send(new CreateLogGroupCommand({ logGroupName: '/ecs/web' }));
    const t0 = Date.now() - 60 * 60_000;
    for (const task of ['aaa111', 'bbb222']) {
      const stream = `web/app/${task}`;
      await cw.send(new CreateLogStreamCommand({ logGroupName: '/ecs/web', logStreamName: stream }));
      await cw.send(
        new PutLogEventsCommand({
          logGroupName: '/ecs/web',
          logStreamName: stream,
          logEvents: Array.from({ length: 150 }, (_, i) => ({
            timestamp: t0 + i * 1000 + (task === 'aaa111' ? 0 : 500),
            message: `${task} line ${i}${i % 50 === 0 ? ' ERROR boom' : ''}`,
          })),
        }),
      );
    }
    cw.destroy();
  }, 120_000);

  afterAll(async () => {
    containers?.destroy();
    images?.destroy();
    logs?.destroy();
    await moto?.stop();
  });

  it('lists clusters with their names', async () => {
    const clusters = await containers.listClusters(REGION);
    expect(clusters.map((c) => c.name)).toContain('demo');
  });

  it('lists every service and describes them in batches of 10, reporting the missing one', async () => {
    const arns = await containers.listServices(target);
    expect(arns).toHaveLength(23);
    const names = [...arns, 'no-such-service'];
    const out = await containers.describeServices(target, names);
    expect(out.items).toHaveLength(23);
    expect(out.items.find((s) => s.name === 'web')?.desiredCount).toBe(1);
    expect(out.failures).toHaveLength(1);
    expect(out.failures[0]?.reason).toBe('MISSING');
    expect(out.failures[0]?.arn).toContain('no-such-service');
  });

  it('updates a service desired count and reports the new count', async () => {
    const s = await containers.updateService(target, 'web', { desiredCount: 3 });
    expect(s.name).toBe('web');
    expect(s.desiredCount).toBe(3);
    const again = await containers.describeServices(target, ['web']);
    expect(again.items[0]?.desiredCount).toBe(3);
  });

  it('reads the awslogs configuration of a task definition', async () => {
    const td = await containers.describeTaskDefinition(REGION, 'web');
    expect(td.family).toBe('web');
    expect(td.containers[0]?.logs).toEqual({ group: '/ecs/web', region: REGION, streamPrefix: 'web' });
  });

  it('says which cluster does not exist', async () => {
    const err = await containers.describeServices({ cluster: 'nope', region: REGION }, ['web']).catch((e: unknown) => e);
    expect(isCloudError(err, 'cluster-not-found')).toBe(true);
    expect((err as Error).message).toContain("'nope'");
  });

  it('lists repositories and pages through more than 1,000 images', async () => {
    const repos = await images.listRepositories(REGION);
    expect(repos.map((r) => r.name).sort()).toEqual(['web', 'worker']);
    const all = await images.listImages(REGION, 'web');
    expect(all).toHaveLength(1005);
    expect(new Set(all.flatMap((i) => i.tags)).size).toBe(1005);
    expect(all[0]?.digest).toMatch(/^sha256:/);
  });

  it('says which repository does not exist', async () => {
    const err = await images.listImages(REGION, 'wbe').catch((e: unknown) => e);
    expect(isCloudError(err, 'repository-not-found')).toBe(true);
    expect((err as Error).message).toContain("'wbe'");
  });

  it('filters log events across streams, oldest first, keeping the newest lines', async () => {
    const last = await logs.filterEvents({ region: REGION, group: '/ecs/web' }, { limit: 5, keep: 'last' });
    expect(last.matched).toBe(300);
    expect(last.events).toHaveLength(5);
    expect(last.events.map((e) => e.message)).toEqual([
      'bbb222 line 147',
      'aaa111 line 148',
      'bbb222 line 148',
      'aaa111 line 149',
      'bbb222 line 149',
    ]);
    const ts = last.events.map((e) => e.timestamp);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it('filters by pattern and by stream', async () => {
    const errors = await logs.filterEvents({ region: REGION, group: '/ecs/web', filterPattern: 'ERROR' }, { limit: 100, keep: 'first' });
    expect(errors.events).toHaveLength(6);
    const one = await logs.filterEvents({ region: REGION, group: '/ecs/web', streamNames: ['web/app/aaa111'] }, { limit: 1000, keep: 'last' });
    expect(one.matched).toBe(150);
    expect(one.events.every((e) => e.stream === 'web/app/aaa111')).toBe(true);
  });

  it('reads the tail of one stream, and nothing for a stream that does not exist', async () => {
    const tail = await logs.streamTail(REGION, '/ecs/web', 'web/app/aaa111', 20);
    expect(tail).toHaveLength(20);
    expect(tail.at(-1)?.message).toBe('aaa111 line 149');
    expect(tail[0]?.message).toBe('aaa111 line 130');
    expect(await logs.streamTail(REGION, '/ecs/web', 'web/app/zzz', 20)).toEqual([]);
  });

  it('says which log group does not exist', async () => {
    const err = await logs.filterEvents({ region: REGION, group: '/ecs/nope' }, { limit: 5, keep: 'last' }).catch((e: unknown) => e);
    expect(isCloudError(err, 'log-group-not-found')).toBe(true);
    expect((err as Error).message).toContain('/ecs/nope');
  });
});
